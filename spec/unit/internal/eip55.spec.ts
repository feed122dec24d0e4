import fc from 'fast-check';
import { getAddress } from 'ethers';
import { eip55Checksum } from '../../../src/internal/eip55';
import { keccakModuleBytes, wasmEip55Checksum } from '../../../src/internal/eip55Wasm';
import { keccak256 } from '../../../src/internal/keccak256';

/*
 * The two specialised one-block keccaks behind EIP-55 — WebAssembly where the platform
 * runs it, JavaScript otherwise — against ethers' getAddress, the reference, against the
 * general keccak256, and against the EIP's own examples (which do not depend on ethers).
 */

describe('wasmEip55Checksum', () => {
  it('is available in Node.js, from a module the spec engine accepts', () => {
    expect(WebAssembly.validate(keccakModuleBytes())).toBe(true);
    expect(wasmEip55Checksum).toBeInstanceOf(Function);
  });
});

const hex40Of = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** 40 digits drawn from `alphabet`. */
const digits = (alphabet: string): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet), { minLength: 40, maxLength: 40 }).map((chars) => chars.join(''));

describe.each([
  ['eip55Checksum (JavaScript)', eip55Checksum],
  ['wasmEip55Checksum (WebAssembly)', wasmEip55Checksum ?? (() => 'no WebAssembly')],
])('%s', (_name, checksum: (hex40: string) => string) => {
  it('agrees with ethers getAddress on thousands of random addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
        const hex40 = hex40Of(bytes);
        expect(checksum(hex40)).toBe(getAddress(`0x${hex40}`));
      }),
      { numRuns: 5_000 },
    );
  });

  it('agrees with ethers on addresses of letters only, where every digit has a case to get right', () => {
    fc.assert(
      fc.property(digits('abcdef'), (hex40) => {
        expect(checksum(hex40)).toBe(getAddress(`0x${hex40}`));
      }),
      { numRuns: 1_000 },
    );
  });

  it.each([
    ['all zeros', '0'.repeat(40)],
    ['all f', 'f'.repeat(40)],
    ['0x…0001', `${'0'.repeat(39)}1`],
    ['0x1000…', `1${'0'.repeat(39)}`],
    ['all a', 'a'.repeat(40)],
    ['every digit, twice and a half', '0123456789abcdef'.repeat(3).slice(0, 40)],
  ])('agrees with ethers on %s', (_what, hex40) => {
    expect(checksum(hex40)).toBe(getAddress(`0x${hex40}`));
  });

  it.each([
    // The examples of EIP-55 itself: all caps, all lower, and mixed.
    '0x52908400098527886E0F7030069857D2E4169EE7',
    '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
    '0xde709f2102306220921060314715629080e2fb77',
    '0x27b1fdb04752bbc536007a920d24acb045561c26',
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  ])('gives the example of EIP-55 %s', (checksummed) => {
    expect(checksum(checksummed.slice(2).toLowerCase())).toBe(checksummed);
  });

  it('agrees with the general keccak256 (an independent permutation) on the bits it reads', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
        const hex40 = hex40Of(bytes);
        const hash = keccak256(new TextEncoder().encode(hex40));
        const expected = [...hex40]
          .map((digit, i) => (((hash[i >> 1] ?? 0) >> (i % 2 === 0 ? 7 : 3)) & 1 ? digit.toUpperCase() : digit))
          .join('');
        expect(checksum(hex40)).toBe(`0x${expected}`);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['empty', ''],
    ['one digit short', '0'.repeat(39)],
    ['one digit long', '0'.repeat(41)],
    ['with 0x', `0x${'0'.repeat(38)}`],
    ['upper case', 'A'.repeat(40)],
    ['a non-hex letter', `${'0'.repeat(39)}g`],
    ['a non-ASCII character', `${'0'.repeat(39)}\u0130`],
    ['a character past the table', `\u{1F600}${'0'.repeat(38)}`],
  ])('throws a RangeError for %s', (_what, value) => {
    expect(() => checksum(value)).toThrow(RangeError);
    expect(() => checksum(value)).toThrow(JSON.stringify(value));
  });
});
