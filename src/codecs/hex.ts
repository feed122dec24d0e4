import * as t from 'io-ts';

const HEX = /^0x[0-9a-fA-F]*$/;
const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;

/**
 * A 0x-prefixed hex string of `bytes` bytes (any length when omitted), decoded to
 * lower case so that equal values compare equal as strings.
 */
export function HexString(name: string, bytes?: number): t.Type<string, string, unknown> {
  const length = bytes === undefined ? undefined : 2 + bytes * 2;
  return new t.Type<string, string, unknown>(
    name,
    (u): u is string =>
      typeof u === 'string' && HEX.test(u) && (length === undefined ? u.length % 2 === 0 : u.length === length),
    (u, c) => {
      if (typeof u !== 'string' || !HEX.test(u)) return t.failure(u, c, `${name} must be a 0x-prefixed hex string`);
      if (length === undefined ? u.length % 2 !== 0 : u.length !== length) {
        return t.failure(u, c, `${name} must be ${bytes === undefined ? 'whole bytes' : `${bytes} bytes`}`);
      }
      return t.success(u.toLowerCase());
    },
    t.identity,
  );
}

/** A 32-byte hash (block hash, transaction hash, topic). */
export const Hash32 = HexString('Hash32', 32);
/** A 20-byte address, in lower case. */
export const AddressHex = HexString('AddressHex', 20);
/** Hex-encoded bytes of any whole length. */
export const Bytes = HexString('Bytes');

/**
 * A JSON-RPC quantity (`0x1a`) decoded to a safe integer. Numbers and bigints are accepted
 * as well, for RPC transports that already decode quantities.
 */
export const Quantity = new t.Type<number, string, unknown>(
  'Quantity',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) => {
    let value: number;
    if (typeof u === 'string') {
      if (!QUANTITY.test(u)) return t.failure(u, c, 'Quantity must be a 0x-prefixed hex number without leading zeros');
      value = Number.parseInt(u, 16);
    } else if (typeof u === 'bigint') {
      value = Number(u);
      if (BigInt(value) !== u) return t.failure(u, c, 'Quantity is not a safe integer');
    } else if (typeof u === 'number') {
      value = u;
    } else {
      return t.failure(u, c, 'Quantity must be a hex string, number or bigint');
    }
    return Number.isSafeInteger(value) && value >= 0
      ? t.success(value)
      : t.failure(u, c, 'Quantity is not a safe non-negative integer');
  },
  (n) => `0x${n.toString(16)}`,
);
