import * as t from 'io-ts';
import { checksumHex40 } from '../internal/address.js';

/*
 * Codecs for single 32-byte ABI words, given as 64 lower-case hex digits.
 * They accept only canonical encodings, as Solidity emits them: an address or uint8
 * word with non-zero padding is rejected, where ethers and viem silently mask it.
 */

const WORD = /^[0-9a-f]{64}$/;
const ADDRESS_WORD = /^0{24}[0-9a-f]{40}$/;
const UINT8_WORD = /^0{62}[0-9a-f]{2}$/;

/** An `address` word, decoded to its EIP-55 checksummed form. */
export const AddressWord = new t.Type<string, string, unknown>(
  'address',
  (u): u is string => typeof u === 'string',
  (u, c) =>
    typeof u === 'string' && ADDRESS_WORD.test(u)
      ? t.success(checksumHex40(u.slice(24)))
      : t.failure(u, c, 'address word must have 12 zero bytes of padding'),
  (a) => a.slice(2).toLowerCase().padStart(64, '0'),
);

/** A `uint256` word, decoded to a bigint. */
export const Uint256Word = new t.Type<bigint, string, unknown>(
  'uint256',
  (u): u is bigint => typeof u === 'bigint',
  (u, c) =>
    typeof u === 'string' && WORD.test(u)
      ? t.success(BigInt(`0x${u}`))
      : t.failure(u, c, 'uint256 word must be 32 bytes of hex'),
  (n) => n.toString(16).padStart(64, '0'),
);

/**
 * A `uint8` word whose value must satisfy `isValid` (an enum range or a bit mask).
 */
export function Uint8Word<A extends number>(
  name: string,
  isValid: (value: number) => value is A,
  expected: string,
): t.Type<A, string, unknown> {
  return new t.Type<A, string, unknown>(
    name,
    (u): u is A => typeof u === 'number' && isValid(u),
    (u, c) => {
      if (typeof u !== 'string' || !UINT8_WORD.test(u))
        return t.failure(u, c, `${name} word must be a uint8 with 31 zero bytes of padding`);
      const value = Number.parseInt(u.slice(62), 16);
      return isValid(value)
        ? t.success(value)
        : t.failure(u, c, `${name} ${value} is out of range (expected ${expected})`);
    },
    (n) => n.toString(16).padStart(64, '0'),
  );
}

/** The fields of a static event layout, in ABI order: name and word codec. */
export type WordLayout = readonly (readonly [string, t.Mixed])[];

/** The decoded object of a {@link WordLayout}. */
export type LayoutOf<L extends WordLayout> = {
  readonly [F in L[number] as F[0]]: t.TypeOf<F[1]>;
};

/**
 * Codec of an event's data when every parameter is static and none is indexed: exactly
 * one 32-byte word per field, decoded field by field.
 */
export function staticEventData<L extends WordLayout>(name: string, layout: L): t.Type<LayoutOf<L>, string, unknown> {
  const length = 2 + 64 * layout.length;
  const props: t.Props = {};
  for (const [field, codec] of layout) props[field] = codec;
  const fields = t.type(props, name);
  return new t.Type<LayoutOf<L>, string, unknown>(
    name,
    (u): u is LayoutOf<L> => fields.is(u),
    (u, c) => {
      if (typeof u !== 'string' || u.length !== length || !u.startsWith('0x')) {
        return t.failure(u, c, `${name} data must be exactly ${layout.length} words (${length - 2} hex digits)`);
      }
      const words: Record<string, string> = {};
      layout.forEach(([field], i) => {
        words[field] = u.slice(2 + 64 * i, 2 + 64 * (i + 1));
      });
      return fields.validate(words, c) as t.Validation<LayoutOf<L>>;
    },
    (a) =>
      `0x${layout.map(([field, codec]) => codec.encode((a as Record<string, unknown>)[field]) as string).join('')}`,
  );
}
