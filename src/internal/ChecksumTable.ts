/**
 * A fixed table of EIP-55 checksums, indexed by an address's first four hex digits: one
 * slot per index, holding the checksummed form of the last address seen there.
 *
 * Addresses are keccak-derived, so their leading digits spread them evenly over the
 * slots. A lookup reads four digits for the index and compares the slot's address with
 * the one asked for, ignoring case; a miss computes the checksum and overwrites the slot.
 * Nothing is hashed, allocated or deleted per lookup, where a Map hashed every address
 * string (a new slice of the log's data each time) and, on a stream of new addresses,
 * grew and dropped tables. Only checksummed strings are kept (no key strings that would
 * hold on to the log data they were sliced from): memory is bounded by the slot count.
 *
 * @example
 * const table = new ChecksumTable(16, eip55Checksum);
 * table.get('2b0cc6058313801d5feb184a539e3a0c5a87a6a1'); // '0x2B0cc6…'
 */
export class ChecksumTable {
  readonly #slots: (string | undefined)[];
  readonly #mask: number;
  readonly #compute: (hex40: string) => string;

  /**
   * @param indexBits how many bits of the address index the table (1–16): `2 ** indexBits` slots.
   * @param compute the checksum of 40 lower-case hex digits (`0x` and mixed case).
   */
  constructor(indexBits: number, compute: (hex40: string) => string) {
    if (!Number.isInteger(indexBits) || indexBits < 1 || indexBits > 16) {
      throw new RangeError(`ChecksumTable indexBits must be an integer from 1 to 16, got ${String(indexBits)}`);
    }
    this.#slots = new Array<string | undefined>(2 ** indexBits).fill(undefined);
    this.#mask = 2 ** indexBits - 1;
    this.#compute = compute;
  }

  /** The checksummed form of `hex40` (40 lower-case hex digits). */
  get(hex40: string): string {
    return this.getAt(hex40, 0);
  }

  /**
   * The checksummed form of the 40 lower-case hex digits of `text` at `offset` (an address
   * word inside a log's data): a hit reads them in place; only a miss copies them out, for
   * the checksum.
   */
  getAt(text: string, offset: number): string {
    const slot =
      (hexDigit(text, offset) << 12) |
      (hexDigit(text, offset + 1) << 8) |
      (hexDigit(text, offset + 2) << 4) |
      hexDigit(text, offset + 3);
    const index = slot & this.#mask;
    const held = this.#slots[index];
    if (held !== undefined && sameDigits(held, text, offset)) return held;
    const checksummed = this.#compute(offset === 0 ? text : text.slice(offset, offset + 40));
    this.#slots[index] = checksummed;
    return checksummed;
  }
}

/** Value of the lower-case hex digit at `i` (0–15; other characters give other values, only used to index). */
function hexDigit(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c <= 57 ? c - 48 : c - 87;
}

/** Whether the checksummed `0x…` address holds the lower-case digits of `text` at `offset`, ignoring case. */
function sameDigits(checksummed: string, text: string, offset: number): boolean {
  for (let i = 39; i >= 0; i -= 1) {
    // Lower-casing an ASCII letter sets bit 5; digits have it set already.
    if ((checksummed.charCodeAt(i + 2) | 0x20) !== text.charCodeAt(offset + i)) return false;
  }
  return true;
}
