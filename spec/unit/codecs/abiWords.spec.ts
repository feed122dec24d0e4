import fc from 'fast-check';
import { getAddress } from 'ethers';
import type * as t from 'io-ts';
import { AddressWord, Uint256Word, Uint8Word, staticEventData } from '../../../src/codecs/abiWords';
import { reportErrors } from '../../../src/codecs/reportErrors';
import { addressWord, word } from '../helpers/logs';

type Decoded<A> = { ok: true; value: A } | { ok: false; reason: string[] };

function decode<A>(codec: t.Decoder<unknown, A>, input: unknown): Decoded<A> {
  const result = codec.decode(input);
  return result._tag === 'Right' ? { ok: true, value: result.right } : { ok: false, reason: reportErrors(result.left) };
}

const hex40 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => Buffer.from(bytes).toString('hex'));
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
/** 24 hex digits of address padding with at least one non-zero digit. */
const dirtyPadding = (digits: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: digits - 1 }), fc.constantFrom(...'123456789abcdef'))
    .map(([at, digit]) => `${'0'.repeat(at)}${digit}${'0'.repeat(digits - at - 1)}`);

const isSmall = (n: number): n is 0 | 1 | 2 => n >= 0 && n <= 2;
const SmallWord = Uint8Word('Small', isSmall, '0 to 2');

describe('AddressWord', () => {
  it('decodes a canonical address word to the EIP-55 checksummed address', () => {
    fc.assert(
      fc.property(hex40, (hex) => {
        expect(decode(AddressWord, `${'0'.repeat(24)}${hex}`)).toEqual({ ok: true, value: getAddress(`0x${hex}`) });
      }),
    );
  });

  it('rejects an address word with any non-zero padding byte, where ethers would mask it', () => {
    fc.assert(
      fc.property(dirtyPadding(24), hex40, (padding, hex) => {
        expect(decode(AddressWord, `${padding}${hex}`)).toEqual({
          ok: false,
          reason: ['address word must have 12 zero bytes of padding'],
        });
      }),
    );
  });

  it('rejects a word of the wrong length and a non-string', () => {
    expect(decode(AddressWord, `${'0'.repeat(23)}${'1'.repeat(40)}`).ok).toBe(false);
    expect(decode(AddressWord, `${'0'.repeat(25)}${'1'.repeat(40)}`).ok).toBe(false);
    expect(decode(AddressWord, 1).ok).toBe(false);
  });

  it('encodes an address, in any case, back to its word', () => {
    fc.assert(
      fc.property(hex40, (hex) => {
        expect(AddressWord.encode(getAddress(`0x${hex}`))).toBe(addressWord(`0x${hex}`));
      }),
    );
  });
});

describe('Uint256Word', () => {
  it('decodes any 32-byte word to its bigint, and encodes it back', () => {
    fc.assert(
      fc.property(uint256, (n) => {
        expect(decode(Uint256Word, word(n))).toEqual({ ok: true, value: n });
        expect(Uint256Word.encode(n)).toBe(word(n));
      }),
    );
  });

  it('decodes the extremes', () => {
    expect(decode(Uint256Word, '0'.repeat(64))).toEqual({ ok: true, value: 0n });
    expect(decode(Uint256Word, 'f'.repeat(64))).toEqual({ ok: true, value: 2n ** 256n - 1n });
  });

  it('rejects a word of 63 or 65 digits and non-hex', () => {
    expect(decode(Uint256Word, '1'.repeat(63)).ok).toBe(false);
    expect(decode(Uint256Word, '1'.repeat(65)).ok).toBe(false);
    expect(decode(Uint256Word, `${'0'.repeat(63)}x`).ok).toBe(false);
  });
});

describe('Uint8Word', () => {
  it('decodes a canonical word whose value passes the check', () => {
    expect(decode(SmallWord, word(0))).toEqual({ ok: true, value: 0 });
    expect(decode(SmallWord, word(2))).toEqual({ ok: true, value: 2 });
  });

  it('rejects a value out of range with a message naming the value and the expected range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 255 }), (n) => {
        expect(decode(SmallWord, word(n))).toEqual({
          ok: false,
          reason: [`Small ${n} is out of range (expected 0 to 2)`],
        });
      }),
    );
  });

  it('rejects a word with any non-zero padding byte, even when the low byte is in range', () => {
    fc.assert(
      fc.property(dirtyPadding(62), fc.integer({ min: 0, max: 2 }), (padding, n) => {
        expect(decode(SmallWord, `${padding}${n.toString(16).padStart(2, '0')}`)).toEqual({
          ok: false,
          reason: ['Small word must be a uint8 with 31 zero bytes of padding'],
        });
      }),
    );
  });

  it('encodes a value back to its word', () => {
    expect(SmallWord.encode(2)).toBe(word(2));
  });
});

describe('staticEventData', () => {
  const Pair = staticEventData('Pair', [
    ['who', AddressWord],
    ['amount', Uint256Word],
    ['small', SmallWord],
  ] as const);
  const who = `0x${'ab'.repeat(20)}`;

  it('decodes one word per field, in layout order', () => {
    expect(decode(Pair, `0x${addressWord(who)}${word(1234n)}${word(1)}`)).toEqual({
      ok: true,
      value: { who: getAddress(who), amount: 1234n, small: 1 },
    });
  });

  it('encodes the fields back to the data', () => {
    const data = `0x${addressWord(who)}${word(2n ** 200n)}${word(2)}`;
    const decoded = Pair.decode(data);
    expect(decoded._tag === 'Right' && Pair.encode(decoded.right)).toBe(data);
  });

  it.each([
    ['a word short', `0x${addressWord(who)}${word(1)}`],
    ['a word too many', `0x${addressWord(who)}${word(1)}${word(1)}${word(0)}`],
    ['a digit short', `0x${addressWord(who)}${word(1)}${word(1)}`.slice(0, -1)],
    ['no data', '0x'],
    ['no 0x', `00${addressWord(who)}${word(1)}${word(1)}`],
  ])('rejects data %s, saying how many words it must hold', (_what, data) => {
    expect(decode(Pair, data)).toEqual({ ok: false, reason: ['Pair data must be exactly 3 words (192 hex digits)'] });
  });

  it('reports every bad field by name', () => {
    const data = `0x${'f'.repeat(24)}${'ab'.repeat(20)}${word(1)}${word(9)}`;
    expect(decode(Pair, data)).toEqual({
      ok: false,
      reason: [
        'who: address word must have 12 zero bytes of padding',
        'small: Small 9 is out of range (expected 0 to 2)',
      ],
    });
  });
});
