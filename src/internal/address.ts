import { InvalidAddressError } from '../errors/InvalidAddressError.js';
import { ChecksumTable } from './ChecksumTable.js';
import { eip55Checksum } from './eip55.js';
import { wasmEip55Checksum } from './eip55Wasm.js';

/** A valid address in the two forms the library works with. */
export interface NormalizedAddress {
  /** EIP-55 checksummed, for display and event fields. */
  readonly checksummed: string;
  /** `0x` and 40 lower-case hex digits: the form nodes return and filters take. */
  readonly lower: string;
  /** The 40 hex digits in lower case, without `0x`: compared against raw log words. */
  readonly hex40: string;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

// Distinct addresses in a busy Nexus stream number in the thousands; 65,536 slots of one
// checksummed string (~60 bytes) bound the table to about 4 MiB however long a stream runs.
// A miss is hashed in WebAssembly where the platform runs it, in JavaScript otherwise.
const checksums = new ChecksumTable(16, wasmEip55Checksum ?? eip55Checksum);

/**
 * EIP-55 checksum of 40 lower-case hex digits, memoised: an address that recurs (a task's
 * status changes, a provider's attempts) is hashed once.
 */
export function checksumHex40(hex40: string): string {
  return checksums.get(hex40);
}

/**
 * {@link checksumHex40} of the 40 lower-case hex digits of `text` at `offset` (an address
 * word in a log's data), without copying them out unless they must be hashed.
 */
export function checksumHex40At(text: string, offset: number): string {
  return checksums.getAt(text, offset);
}

/**
 * Validates a user-supplied address: 0x and 40 hex digits; a mixed-case address must
 * carry a correct EIP-55 checksum. Throws {@link InvalidAddressError} naming `parameter`.
 */
export function normalizeAddress(value: unknown, parameter: string): NormalizedAddress {
  if (typeof value !== 'string') {
    throw new InvalidAddressError(parameter, value, 'is not a string');
  }
  if (!ADDRESS.test(value)) {
    throw new InvalidAddressError(parameter, value, 'is not 0x followed by 40 hex digits');
  }
  const hex40 = value.slice(2).toLowerCase();
  const checksummed = checksumHex40(hex40);
  const body = value.slice(2);
  const mixedCase = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixedCase && value !== checksummed) {
    throw new InvalidAddressError(parameter, value, `has an invalid EIP-55 checksum (expected ${checksummed})`);
  }
  return { checksummed, lower: `0x${hex40}`, hex40 };
}
