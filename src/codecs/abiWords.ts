import * as t from 'io-ts';
import { checksumHex40At } from '../internal/address.js';

/*
 * Codecs for single 32-byte ABI words, given as 64 lower-case hex digits.
 * They accept only canonical encodings, as Solidity emits them: an address or uint8
 * word with non-zero padding is rejected, where ethers and viem silently mask it.
 *
 * Each codec also has `read(hex, offset)`: the same rule applied to the word at `offset`
 * of a longer string already known to be lower-case hex, without slicing the word out
 * or allocating a validation result. Event data is decoded through it; the io-ts
 * `validate` is the same rule with error messages.
 */

const WORD = /^[0-9a-f]{64}$/;
const ZEROS_24 = '0'.repeat(24);
const ZEROS_62 = '0'.repeat(62);

/** What `read` returns for a word that breaks the codec's rule. */
export const INVALID_WORD: unique symbol = Symbol('invalid word');

/** An io-ts codec of one ABI word, with a fast reader of a word inside known-good hex. */
export interface WordCodec<A> extends t.Type<A, string, unknown> {
  readonly read: (hex: string, offset: number) => A | typeof INVALID_WORD;
}

function wordCodec<A>(
  name: string,
  is: (u: unknown) => u is A,
  read: (hex: string, offset: number) => A | typeof INVALID_WORD,
  failure: (u: unknown) => string,
  encode: (a: A) => string,
): WordCodec<A> {
  const codec = new t.Type<A, string, unknown>(
    name,
    is,
    (u, c) => {
      if (typeof u !== 'string' || !WORD.test(u)) return t.failure(u, c, failure(u));
      const value = read(u, 0);
      return value === INVALID_WORD ? t.failure(u, c, failure(u)) : t.success(value);
    },
    encode,
  );
  return Object.assign(codec, { read });
}

/** An `address` word, decoded to its EIP-55 checksummed form. */
export const AddressWord: WordCodec<string> = wordCodec(
  'address',
  (u): u is string => typeof u === 'string',
  (hex, offset) => (hex.startsWith(ZEROS_24, offset) ? checksumHex40At(hex, offset + 24) : INVALID_WORD),
  () => 'address word must have 12 zero bytes of padding',
  (a) => a.slice(2).toLowerCase().padStart(64, '0'),
);

/** A `uint256` word, decoded to a bigint. */
export const Uint256Word: WordCodec<bigint> = wordCodec(
  'uint256',
  (u): u is bigint => typeof u === 'bigint',
  (hex, offset) => BigInt(`0x${hex.slice(offset, offset + 64)}`),
  () => 'uint256 word must be 32 bytes of hex',
  (n) => n.toString(16).padStart(64, '0'),
);

/**
 * A `uint8` word whose value must satisfy `isValid` (an enum range or a bit mask).
 */
export function Uint8Word<A extends number>(
  name: string,
  isValid: (value: number) => value is A,
  expected: string,
): WordCodec<A> {
  const value = (hex: string, offset: number): number | undefined =>
    hex.startsWith(ZEROS_62, offset) ? Number.parseInt(hex.slice(offset + 62, offset + 64), 16) : undefined;
  return wordCodec(
    name,
    (u): u is A => typeof u === 'number' && isValid(u),
    (hex, offset) => {
      const n = value(hex, offset);
      return n !== undefined && isValid(n) ? n : INVALID_WORD;
    },
    (u) => {
      const n = typeof u === 'string' ? value(u, 0) : undefined;
      return n === undefined
        ? `${name} word must be a uint8 with 31 zero bytes of padding`
        : `${name} ${n} is out of range (expected ${expected})`;
    },
    (n) => n.toString(16).padStart(64, '0'),
  );
}

/** Any {@link WordCodec}, as a layout holds them. */
export type AnyWordCodec = t.Mixed & { readonly read: (hex: string, offset: number) => unknown };

/** The fields of a static event layout, in ABI order: name and word codec. */
export type WordLayout = readonly (readonly [string, AnyWordCodec])[];

/** The decoded values of a {@link WordLayout}, in its order. */
export type WordsOf<L extends WordLayout> = {
  -readonly [I in keyof L]: L[I] extends readonly [string, infer C extends AnyWordCodec] ? t.TypeOf<C> : never;
};

/**
 * A reader of the data of one static event layout: the value of every word, in layout
 * order, or `undefined` if a word breaks its codec's rule (ask the io-ts codec of
 * {@link staticEventData} for the reasons). The data must already be known to be lower-case
 * hex of exactly one word per field (`RpcLog` and the shape check make it so); it is not
 * checked again. The array returned is the reader's own and is overwritten by its next
 * call: read it at once.
 *
 * @example
 * const read = staticWordsReader(layout);
 * const words = read(log.data);
 * if (words !== undefined) build(words);
 */
export function staticWordsReader<L extends WordLayout>(layout: L): (hex: string) => WordsOf<L> | undefined {
  const codecs = layout.map(([, codec]) => codec);
  const words: unknown[] = new Array<unknown>(codecs.length).fill(undefined);
  return (hex) => {
    for (let i = 0; i < codecs.length; i += 1) {
      const value = (codecs[i] as AnyWordCodec).read(hex, 2 + 64 * i);
      if (value === INVALID_WORD) return undefined;
      words[i] = value;
    }
    return words as WordsOf<L>;
  };
}

/** The decoded object of a {@link WordLayout}. */
export type LayoutOf<L extends WordLayout> = {
  readonly [F in L[number] as F[0]]: t.TypeOf<F[1]>;
};

const LOWER_HEX_DATA = /^0x[0-9a-f]*$/;

/**
 * Codec of an event's data when every parameter is static and none is indexed: exactly
 * one 32-byte word per field, decoded field by field.
 */
export function staticEventData<L extends WordLayout>(name: string, layout: L): t.Type<LayoutOf<L>, string, unknown> {
  const length = 2 + 64 * layout.length;
  const props: t.Props = {};
  for (const [field, codec] of layout) props[field] = codec;
  const fields = t.type(props, name);
  /** The field-by-field io-ts structure: slower, but names every bad field. */
  const explain = (u: string, c: t.Context): t.Validation<LayoutOf<L>> => {
    const words: Record<string, string> = {};
    layout.forEach(([field], i) => {
      words[field] = u.slice(2 + 64 * i, 66 + 64 * i);
    });
    return fields.validate(words, c) as t.Validation<LayoutOf<L>>;
  };
  return new t.Type<LayoutOf<L>, string, unknown>(
    name,
    (u): u is LayoutOf<L> => fields.is(u),
    (u, c) => {
      if (typeof u !== 'string' || u.length !== length || !u.startsWith('0x')) {
        return t.failure(u, c, `${name} data must be exactly ${layout.length} words (${length - 2} hex digits)`);
      }
      if (!LOWER_HEX_DATA.test(u)) return explain(u, c);
      const decoded: Record<string, unknown> = {};
      for (let i = 0; i < layout.length; i += 1) {
        const [field, codec] = layout[i] as readonly [string, AnyWordCodec];
        const value = codec.read(u, 2 + 64 * i);
        if (value === INVALID_WORD) return explain(u, c);
        decoded[field] = value;
      }
      return t.success(decoded as LayoutOf<L>);
    },
    (a) =>
      `0x${layout.map(([field, codec]) => codec.encode((a as Record<string, unknown>)[field]) as string).join('')}`,
  );
}
