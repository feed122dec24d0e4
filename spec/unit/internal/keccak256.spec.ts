import fc from 'fast-check';
import { keccak256 as ethersKeccak256 } from 'ethers';
import { keccak256 } from '../../../src/internal/keccak256';

const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString('hex')}`;

describe('keccak256', () => {
  it('hashes the empty string to the known digest', () => {
    expect(hex(keccak256(new Uint8Array(0)))).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
  });

  it('agrees with ethers at every length from 0 to 300 bytes (one, two and three blocks of 136)', () => {
    // Every length once, so that both padding edges (a block with one byte left, where
    // 0x01 and 0x80 share a byte, and a full block, which adds a block of padding) occur.
    const inputs = fc.sample(fc.uint8Array({ minLength: 301, maxLength: 301 }), { numRuns: 1, seed: 55 })[0] ?? [];
    for (let length = 0; length <= 300; length++) {
      const bytes = Uint8Array.from(inputs).subarray(0, length);
      expect(hex(keccak256(bytes))).toBe(ethersKeccak256(bytes));
    }
  });

  it('agrees with ethers on random inputs of 0 to 300 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        expect(hex(keccak256(bytes))).toBe(ethersKeccak256(bytes));
      }),
      { numRuns: 1_000 },
    );
  });

  it('hashes a view by its own bytes, not the whole buffer under it', () => {
    const buffer = Uint8Array.from({ length: 64 }, (_, i) => i);
    const view = buffer.subarray(12, 32);
    expect(hex(keccak256(view))).toBe(ethersKeccak256(buffer.slice(12, 32)));
  });

  it('leaves its input unchanged', () => {
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => i);
    keccak256(bytes);
    expect([...bytes]).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });
});
