import { KECCAK_ROUND_CONSTANTS } from './keccakRoundConstants.js';

/*
 * Keccak-256 as Ethereum uses it (the original Keccak padding, not SHA3-256's), over any
 * bytes. Written for clarity rather than speed: it is for values hashed once (a logsBloom
 * bit position per client, test references). The per-event EIP-55 checksum has its own
 * unrolled permutation in eip55.ts; the two are independent and tested against each other
 * and against ethers.
 *
 * A 64-bit lane is a pair of 32-bit words, low word first: lane i = x + 5y of the 5×5 state
 * is `state[2i]` (bits 0–31) and `state[2i + 1]` (bits 32–63), little-endian as the bytes
 * are absorbed.
 */

/** The round constants as (low word, high word) pairs. */
const ROUND_WORDS = Int32Array.from(
  KECCAK_ROUND_CONSTANTS.flatMap((rc) => [Number(rc & 0xffffffffn) | 0, Number(rc >> 32n) | 0]),
);

/** Rotation offset of lane i = x + 5y (the rho step). */
const RHO = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

/** Where lane (x, y) goes in the pi step: (y, 2x + 3y mod 5), as a lane index. */
const PI = Array.from({ length: 25 }, (_, i) => {
  const x = i % 5;
  const y = (i - x) / 5;
  return y + 5 * ((2 * x + 3 * y) % 5);
});

/** Bytes absorbed per permutation: 1600 bits less twice the 256-bit output. */
const RATE = 136;

const word = (words: Int32Array, i: number): number => words[i] ?? 0;

/** keccak-f[1600] in place on 25 lanes as 50 words (see the file comment for the layout). */
function keccakF1600(state: Int32Array): void {
  const c = new Int32Array(10);
  const b = new Int32Array(50);
  for (let round = 0; round < 24; round++) {
    // theta: each lane takes the parities of two neighbouring columns.
    for (let x = 0; x < 5; x++) {
      for (let half = 0; half < 2; half++) {
        let parity = 0;
        for (let y = 0; y < 5; y++) parity ^= word(state, 2 * (x + 5 * y) + half);
        c[2 * x + half] = parity;
      }
    }
    for (let x = 0; x < 5; x++) {
      const left = 2 * ((x + 4) % 5);
      const right = 2 * ((x + 1) % 5);
      const rLo = word(c, right);
      const rHi = word(c, right + 1);
      const dLo = word(c, left) ^ ((rLo << 1) | (rHi >>> 31));
      const dHi = word(c, left + 1) ^ ((rHi << 1) | (rLo >>> 31));
      for (let y = 0; y < 5; y++) {
        const i = 2 * (x + 5 * y);
        state[i] = word(state, i) ^ dLo;
        state[i + 1] = word(state, i + 1) ^ dHi;
      }
    }
    // rho and pi: rotate each lane by its offset and move it.
    for (let i = 0; i < 25; i++) {
      let lo = word(state, 2 * i);
      let hi = word(state, 2 * i + 1);
      let n = RHO[i] ?? 0;
      if (n >= 32) {
        [lo, hi] = [hi, lo];
        n -= 32;
      }
      const j = 2 * (PI[i] ?? 0);
      b[j] = n === 0 ? lo : (lo << n) | (hi >>> (32 - n));
      b[j + 1] = n === 0 ? hi : (hi << n) | (lo >>> (32 - n));
    }
    // chi: the only non-linear step, along each row.
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) {
        const i = 2 * (y + x);
        const i1 = 2 * (y + ((x + 1) % 5));
        const i2 = 2 * (y + ((x + 2) % 5));
        state[i] = word(b, i) ^ (~word(b, i1) & word(b, i2));
        state[i + 1] = word(b, i + 1) ^ (~word(b, i1 + 1) & word(b, i2 + 1));
      }
    }
    // iota
    state[0] = word(state, 0) ^ word(ROUND_WORDS, 2 * round);
    state[1] = word(state, 1) ^ word(ROUND_WORDS, 2 * round + 1);
  }
}

/**
 * Keccak-256 of `bytes` (Ethereum's hash: `keccak256` of ethers and viem), 32 bytes.
 * Not optimised: for values hashed once, such as the logsBloom bits of an address.
 */
export function keccak256(bytes: Uint8Array): Uint8Array {
  // Keccak padding: a 0x01 byte after the message, 0x80 in the last byte of the block
  // (the two are the same byte, 0x81, when only one byte of the block is left).
  const padded = new Uint8Array((Math.floor(bytes.length / RATE) + 1) * RATE);
  padded.set(bytes);
  padded[bytes.length] = 0x01;
  padded[padded.length - 1] = (padded[padded.length - 1] ?? 0) | 0x80;
  const view = new DataView(padded.buffer);
  const state = new Int32Array(50);
  for (let offset = 0; offset < padded.length; offset += RATE) {
    for (let w = 0; w < RATE / 4; w++) state[w] = word(state, w) ^ view.getInt32(offset + 4 * w, true);
    keccakF1600(state);
  }
  const hash = new Uint8Array(32);
  const out = new DataView(hash.buffer);
  for (let w = 0; w < 8; w++) out.setInt32(4 * w, word(state, w), true);
  return hash;
}
