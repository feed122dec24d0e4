import type * as t from 'io-ts';
import { AddressHex, Bytes, Hash32, HexString, Quantity } from '../../../src/codecs/hex';

/** The decoded value, or `'rejected'` with no value. */
function decode<A>(codec: t.Decoder<unknown, A>, input: unknown): A | 'rejected' {
  const result = codec.decode(input);
  return result._tag === 'Right' ? result.right : 'rejected';
}

describe('HexString', () => {
  it('decodes 0x-prefixed hex of the given byte length to lower case', () => {
    expect(decode(Hash32, `0x${'AbCd'.repeat(16)}`)).toBe(`0x${'abcd'.repeat(16)}`);
    expect(decode(AddressHex, `0x${'F0'.repeat(20)}`)).toBe(`0x${'f0'.repeat(20)}`);
    expect(decode(HexString('Two', 2), '0xBEEF')).toBe('0xbeef');
  });

  it.each([
    ['one hex digit short', `0x${'a'.repeat(63)}`],
    ['one byte long', `0x${'a'.repeat(66)}`],
    ['without 0x', 'a'.repeat(64)],
    ['with an upper-case 0X', `0X${'a'.repeat(64)}`],
    ['with a non-hex digit', `0x${'g'.repeat(64)}`],
    ['a number', 42],
    ['null', null],
  ])('rejects a 32-byte hash %s', (_what, input) => {
    expect(decode(Hash32, input)).toBe('rejected');
  });

  it('Bytes accepts any whole number of bytes, including none, and rejects half bytes', () => {
    expect(decode(Bytes, '0x')).toBe('0x');
    expect(decode(Bytes, '0xAB12')).toBe('0xab12');
    expect(decode(Bytes, '0xabc')).toBe('rejected');
  });

  it('names the codec and the expected length in its messages', () => {
    const result = Hash32.decode('0x12');
    expect(result._tag === 'Left' && result.left[0]!.message).toBe('Hash32 must be 32 bytes');
  });
});

describe('Quantity', () => {
  it.each([
    ['0x0', 0],
    ['0x1a', 26],
    ['0xA', 10],
    ['0x1fffffffffffff', Number.MAX_SAFE_INTEGER],
    [0, 0],
    [123, 123],
    [7n, 7],
    [BigInt(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
  ])('decodes %p to %p', (input, expected) => {
    expect(decode(Quantity, input)).toBe(expected);
  });

  it.each([
    ['a leading zero', '0x01'],
    ['two zeros', '0x00'],
    ['no digits', '0x'],
    ['decimal text', '26'],
    ['a tag', 'latest'],
    ['2^53, not a safe integer', '0x20000000000000'],
    ['a negative number', -1],
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a negative bigint', -1n],
    ['a bigint beyond 2^53', 2n ** 53n + 1n],
    ['null', null],
    ['a boolean', true],
  ])('rejects %s', (_what, input) => {
    expect(decode(Quantity, input)).toBe('rejected');
  });

  it('encodes back to a hex quantity', () => {
    expect(Quantity.encode(0)).toBe('0x0');
    expect(Quantity.encode(4_095)).toBe('0xfff');
  });
});
