import { keccak256 } from '../internal/keccak256.js';

/** The three bits (byte offset into the hex string, bit mask) an item sets in a logs bloom. */
type BloomBits = readonly (readonly [index: number, mask: number])[];

/** The bytes of a 0x-prefixed, lower-case hex string of whole bytes. */
function bytesOf(hex: string): Uint8Array {
  const bytes = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = Number.parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  return bytes;
}

function bloomBits(hex: string): BloomBits {
  const hash = keccak256(bytesOf(hex));
  const bits: [number, number][] = [];
  for (let i = 0; i < 6; i += 2) {
    // Yellow paper M3:2048: the low 11 bits of each of the first three byte pairs name a
    // bit, counted from the end of the 256-byte filter.
    const bit = (((hash[i] ?? 0) << 8) | (hash[i + 1] ?? 0)) & 2047;
    const byte = 255 - (bit >> 3);
    bits.push([2 + 2 * byte, 1 << (bit & 7)]);
  }
  return bits;
}

const holds = (bloom: string, bits: BloomBits): boolean =>
  bits.every(([index, mask]) => (Number.parseInt(bloom.slice(index, index + 2), 16) & mask) !== 0);

/**
 * Tells from a block header's `logsBloom` whether the block may hold a log of the Nexus
 * with one of the watched topic0s. A bloom has no false negatives, so `false` proves the
 * block has none of them and spares its `eth_getLogs`. The bit positions are computed
 * once, here.
 */
export class NexusBloom {
  readonly #address: BloomBits;
  readonly #topics: readonly BloomBits[];

  constructor(address: string, topics: readonly string[]) {
    this.#address = bloomBits(address);
    this.#topics = topics.map(bloomBits);
  }

  /** `false` only when `bloom` rules the Nexus logs out. */
  mayHoldLogs(bloom: string): boolean {
    return holds(bloom, this.#address) && this.#topics.some((topic) => holds(bloom, topic));
  }
}
