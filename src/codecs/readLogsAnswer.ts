import type { RpcLog } from './RpcLog.js';
import { markPrevalidated } from './prevalidatedLogs.js';

/*
 * The body of an `eth_getLogs` answer read straight from its bytes into RpcLogs, without
 * the UTF-8 decoding of the whole body, the JSON.parse tree and the validation pass over
 * it: one scan that checks every byte it keeps and makes one string per hex field (none
 * for the fields the library does not keep, and none for a value equal to the previous
 * log's, as a block hash or topic0 usually is).
 *
 * It only takes the usual case: `{ …, "result": [ logs ] }` where every log is a
 * well-formed RpcLog of the Nexus asked for, not removed, in chain order, and every other
 * value is a plain string, number or literal without escapes. Anything else — an error
 * answer, a batch, a malformed or foreign log, an escape, a duplicate key, a quantity of
 * more than 13 digits — gives `undefined`, and the caller reads the body the ordinary way
 * (TextDecoder, JSON.parse, validateRpcLogs), which reports whatever is wrong. So a
 * result of this reader is always what the ordinary way would have made of the same
 * body (spec/unit/codecs/readLogsAnswer.spec.ts checks it on random bodies).
 */

/** Per byte: a lower-case hex digit, an upper-case one, or neither. */
const LOWER = 1;
const UPPER = 2;
const HEX_CLASS = new Uint8Array(256);
for (const c of '0123456789abcdef') HEX_CLASS[c.charCodeAt(0)] = LOWER;
for (const c of 'ABCDEF') HEX_CLASS[c.charCodeAt(0)] = UPPER;

/** Per byte: its value as a hex digit (either case), or 255. */
const DIGIT_VALUE = new Uint8Array(256).fill(255);
for (let i = 0; i < 16; i++) {
  DIGIT_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  DIGIT_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The fields of a log the library keeps, as bits of a "seen" mask. */
const ADDRESS = 1;
const TOPICS = 2;
const DATA = 4;
const BLOCK_NUMBER = 8;
const BLOCK_HASH = 16;
const TRANSACTION_HASH = 32;
const LOG_INDEX = 64;
const REMOVED = 128;
const REQUIRED = ADDRESS | TOPICS | DATA | BLOCK_NUMBER | BLOCK_HASH | TRANSACTION_HASH | LOG_INDEX;

/** The key names, as bytes, and their bits. */
const KEYS: readonly (readonly [Uint8Array, number])[] = (
  [
    ['address', ADDRESS],
    ['topics', TOPICS],
    ['data', DATA],
    ['blockNumber', BLOCK_NUMBER],
    ['blockHash', BLOCK_HASH],
    ['transactionHash', TRANSACTION_HASH],
    ['logIndex', LOG_INDEX],
    ['removed', REMOVED],
  ] as const
).map(([name, bit]) => [Uint8Array.from(name, (c) => c.charCodeAt(0)), bit] as const);

/** The kept keys by length (`address` for 7; `removed` apart). */
const KEYS_BY_LENGTH: readonly (readonly [Uint8Array, number] | undefined)[] = (() => {
  // Dense, so that a lookup by any key length stays in bounds (an out-of-bounds read deoptimises).
  const table = Array.from({ length: 32 }, (): readonly [Uint8Array, number] | undefined => undefined);
  for (const key of KEYS) if (key[1] !== REMOVED) table[key[0].length] = key;
  return table;
})();
const REMOVED_KEY = KEYS.find(([, bit]) => bit === REMOVED) as readonly [Uint8Array, number];

const RESULT_KEY = Uint8Array.from('result', (c) => c.charCodeAt(0));
const ERROR_KEY = Uint8Array.from('error', (c) => c.charCodeAt(0));

interface NodeBufferLike {
  latin1Slice(start: number, end: number): string;
}
interface NodeBufferConstructor {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): NodeBufferLike;
}

/** Node's Buffer, when the platform has it: its latin1Slice copies bytes into a string natively. */
const NodeBuffer = (globalThis as unknown as { Buffer?: NodeBufferConstructor }).Buffer;

/** `body` as a Node Buffer (no copy), or undefined on platforms without one. */
function nodeBufferOf(body: Uint8Array): NodeBufferLike | undefined {
  const buffer = NodeBuffer?.from(body.buffer, body.byteOffset, body.byteLength);
  return typeof buffer?.latin1Slice === 'function' ? buffer : undefined;
}

/** The string of the ASCII bytes `[start, end)` of `body`, where there is no Node Buffer. */
function charsOf(body: Uint8Array, start: number, end: number): string {
  // In pieces: an argument list as long as a huge field would overflow the stack.
  let text = '';
  for (let from = start; from < end; from += CHARS_PER_CALL) {
    const piece = body.subarray(from, Math.min(end, from + CHARS_PER_CALL));
    text += String.fromCharCode.apply(null, piece as unknown as number[]);
  }
  return text;
}

const CHARS_PER_CALL = 4096;

/** Thrown inside the scan when the body is not of the usual shape; never escapes readLogsAnswer. */
const NOT_USUAL: unique symbol = Symbol('not the usual answer');

/**
 * The logs of an `eth_getLogs` answer body, checked for the Nexus at `address` (`0x` and
 * 40 lower-case hex digits) and marked as such for validateRpcLogs; or `undefined` when
 * the body is anything but the usual case (then parse it with JSON.parse).
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(await response.arrayBuffer());
 * const logs = readLogsAnswer(bytes, filter.address) ?? JSON.parse(new TextDecoder().decode(bytes)).result;
 * ```
 */
export function readLogsAnswer(body: Uint8Array, address: string): RpcLog[] | undefined {
  try {
    return new LogsAnswerScan(body, address).answer();
  } catch {
    // NOT_USUAL, or anything unforeseen: the ordinary path reads the body and says what is wrong.
    return undefined;
  }
}

/** A hash value of the previous log and where its bytes start in the body. */
interface LastHash {
  text: string;
  at: number;
}

class LogsAnswerScan {
  readonly #b: Uint8Array;
  /** The body as a Node Buffer, to make strings from (undefined in browsers). */
  readonly #buffer: NodeBufferLike | undefined;
  readonly #address: string;
  readonly #addressBytes: Uint8Array;
  #p = 0;
  #keyStart = 0;
  // The previous log's topic0, block hash and transaction hash, to reuse an equal value.
  readonly #topic0: LastHash = { text: '', at: -1 };
  readonly #blockHash: LastHash = { text: '', at: -1 };
  readonly #transactionHash: LastHash = { text: '', at: -1 };

  constructor(body: Uint8Array, address: string) {
    this.#b = body;
    this.#buffer = nodeBufferOf(body);
    this.#address = address;
    this.#addressBytes = Uint8Array.from(address, (c) => c.charCodeAt(0));
  }

  /** The whole body: one JSON-RPC object with a `result` array and no `error`. */
  answer(): RpcLog[] {
    this.#expect(OPEN_BRACE);
    let logs: RpcLog[] | undefined;
    if (this.#peek() !== CLOSE_BRACE) {
      for (;;) {
        const key = this.#key();
        if (this.#keyIs(key, RESULT_KEY)) {
          if (logs !== undefined) throw NOT_USUAL;
          logs = this.#logs();
        } else if (this.#keyIs(key, ERROR_KEY)) {
          throw NOT_USUAL;
        } else {
          this.#skipValue();
        }
        if (!this.#more(CLOSE_BRACE)) break;
      }
    }
    this.#expect(CLOSE_BRACE);
    this.#skipSpace();
    if (this.#p !== this.#b.length || logs === undefined) throw NOT_USUAL;
    return markPrevalidated(logs, this.#address);
  }

  /** The `result` list: logs in chain order (equal positions allowed, as the ordinary path allows them). */
  #logs(): RpcLog[] {
    const logs = this.#list(() => this.#log());
    for (let i = 1; i < logs.length; i++) {
      const before = logs[i - 1] as RpcLog;
      const log = logs[i] as RpcLog;
      if (
        log.blockNumber < before.blockNumber ||
        (log.blockNumber === before.blockNumber && log.logIndex < before.logIndex)
      )
        throw NOT_USUAL;
    }
    return logs;
  }

  /** `[ item, … ]`, each item read by `item` (told how many came before it). */
  #list<T>(item: (index: number) => T): T[] {
    this.#expect(OPEN_BRACKET);
    const items: T[] = [];
    if (this.#peek() === CLOSE_BRACKET) {
      this.#p += 1;
      return items;
    }
    do items.push(item(items.length));
    while (this.#more(CLOSE_BRACKET));
    this.#expect(CLOSE_BRACKET);
    return items;
  }

  /** One log object, its fields in any order, unknown ones skipped. */
  #log(): RpcLog {
    this.#expect(OPEN_BRACE);
    let seen = 0;
    let topics: string[] = [];
    let data = '';
    let blockNumber = 0;
    let blockHash = '';
    let transactionHash = '';
    let logIndex = 0;
    if (this.#peek() !== CLOSE_BRACE) {
      for (;;) {
        const key = this.#key();
        const bit = this.#fieldBit(key);
        if ((seen & bit) !== 0) throw NOT_USUAL;
        seen |= bit;
        switch (bit) {
          case ADDRESS:
            this.#nexusAddress();
            break;
          case TOPICS:
            topics = this.#list(this.#topic);
            break;
          case DATA:
            data = this.#hexString(-1);
            break;
          case BLOCK_NUMBER:
            blockNumber = this.#quantity();
            break;
          case BLOCK_HASH:
            blockHash = this.#hash(this.#blockHash);
            break;
          case TRANSACTION_HASH:
            transactionHash = this.#hash(this.#transactionHash);
            break;
          case LOG_INDEX:
            logIndex = this.#quantity();
            break;
          case REMOVED:
            // `false` is kept as the ordinary path keeps it; a removed log is left to it.
            if (!this.#literal('false')) throw NOT_USUAL;
            break;
          default:
            this.#skipValue();
        }
        if (!this.#more(CLOSE_BRACE)) break;
      }
    }
    this.#expect(CLOSE_BRACE);
    if ((seen & REQUIRED) !== REQUIRED) throw NOT_USUAL;
    const address = this.#address;
    return (seen & REMOVED) === 0
      ? { address, topics, data, blockNumber, blockHash, transactionHash, logIndex }
      : { address, topics, data, blockNumber, blockHash, transactionHash, logIndex, removed: false };
  }

  /** The `address` value: the Nexus asked for, in either case (its string is reused). */
  #nexusAddress(): void {
    const b = this.#b;
    const expected = this.#addressBytes;
    this.#skipSpace();
    if (b[this.#p] !== QUOTE) throw NOT_USUAL;
    const start = this.#p + 1;
    if (b[start + 42] !== QUOTE) throw NOT_USUAL;
    if (b[start] !== 0x30 || b[start + 1] !== 0x78) throw NOT_USUAL;
    for (let i = 2; i < 42; i++) {
      const byte = b[start + i] as number;
      const want = expected[i] as number;
      // An upper-case letter stands for its lower-case digit (the ordinary path lowers it).
      if (byte !== want && !(want >= 0x61 && byte === want - 0x20)) throw NOT_USUAL;
    }
    this.#p = start + 43;
  }

  /** `[ topic, … ]`: 32-byte hex strings; the first reused when equal to the previous log's. */
  readonly #topic = (index: number): string => (index === 0 ? this.#hash(this.#topic0) : this.#hexString(64));

  /**
   * A 32-byte hex string value: `last`'s string when its bytes are the same as those `last`
   * was read from (the previous log's), else a new one; `last` then remembers this one.
   */
  #hash(last: LastHash): string {
    const b = this.#b;
    this.#skipSpace();
    const start = this.#p + 1;
    if (last.at >= 0 && b[this.#p] === QUOTE && b[start + 66] === QUOTE && this.#sameBytes(start, last.at, 66)) {
      this.#p = start + 67;
    } else {
      last.text = this.#hexString(64);
    }
    last.at = start;
    return last.text;
  }

  #sameBytes(a: number, b: number, length: number): boolean {
    const bytes = this.#b;
    for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
    return true;
  }

  /** A `0x` hex string value of `digits` digits (any even number when -1), in lower case. */
  #hexString(digits: number): string {
    const b = this.#b;
    this.#skipSpace();
    if (b[this.#p] !== QUOTE) throw NOT_USUAL;
    const start = this.#p + 1;
    if (b[start] !== 0x30 || b[start + 1] !== 0x78) throw NOT_USUAL;
    let p = start + 2;
    let classes = LOWER;
    for (;;) {
      const byte = b[p];
      if (byte === QUOTE) break;
      const kind = HEX_CLASS[byte as number] as number;
      // Not a hex digit; also the end of the body (no byte: undefined).
      if (!(kind > 0)) throw NOT_USUAL;
      classes |= kind;
      p += 1;
    }
    const length = p - start - 2;
    if (digits < 0 ? (length & 1) !== 0 : length !== digits) throw NOT_USUAL;
    this.#p = p + 1;
    const text = this.#buffer !== undefined ? this.#buffer.latin1Slice(start, p) : charsOf(b, start, p);
    return classes === LOWER ? text : text.toLowerCase();
  }

  /** A quantity string (`0x0` or `0x` and up to 13 digits without a leading zero) as a number. */
  #quantity(): number {
    const b = this.#b;
    this.#skipSpace();
    if (b[this.#p] !== QUOTE) throw NOT_USUAL;
    const start = this.#p + 1;
    if (b[start] !== 0x30 || b[start + 1] !== 0x78) throw NOT_USUAL;
    let p = start + 2;
    let value = 0;
    for (;;) {
      const byte = b[p];
      if (byte === QUOTE) break;
      const digit = DIGIT_VALUE[byte as number] as number;
      if (!(digit < 16)) throw NOT_USUAL;
      value = value * 16 + digit;
      p += 1;
    }
    const digits = p - start - 2;
    // 13 digits are 52 bits: always a safe integer. Longer ones, and bad forms, go the ordinary way.
    if (digits === 0 || digits > 13 || (digits > 1 && b[start + 2] === 0x30)) throw NOT_USUAL;
    this.#p = p + 1;
    return value;
  }

  /** Skips a string, number or literal; a nested object or array, or an escape, is not usual. */
  #skipValue(): void {
    const b = this.#b;
    this.#skipSpace();
    const first = b[this.#p];
    if (first === QUOTE) {
      this.#p = this.#stringEnd(this.#p + 1) + 1;
      return;
    }
    if (first === undefined || first === OPEN_BRACE || first === OPEN_BRACKET) throw NOT_USUAL;
    if (this.#literal('true') || this.#literal('false') || this.#literal('null')) return;
    // A number: JSON's grammar, checked strictly enough that JSON.parse would accept it.
    let p = this.#p;
    if (b[p] === 0x2d) p += 1;
    const intStart = p;
    while (isDigit(b[p])) p += 1;
    if (p === intStart || (b[intStart] === 0x30 && p - intStart > 1)) throw NOT_USUAL;
    if (b[p] === 0x2e) {
      p += 1;
      const fractionStart = p;
      while (isDigit(b[p])) p += 1;
      if (p === fractionStart) throw NOT_USUAL;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      p += 1;
      if (b[p] === 0x2b || b[p] === 0x2d) p += 1;
      const exponentStart = p;
      while (isDigit(b[p])) p += 1;
      if (p === exponentStart) throw NOT_USUAL;
    }
    this.#p = p;
  }

  /** Consumes `word` (after spaces) when it is next, followed by a delimiter. */
  #literal(word: string): boolean {
    const b = this.#b;
    this.#skipSpace();
    const start = this.#p;
    for (let i = 0; i < word.length; i++) if (b[start + i] !== word.charCodeAt(i)) return false;
    this.#p = start + word.length;
    return true;
  }

  /** A key and its colon: the key's bytes start at `#keyStart`; returns their length. */
  #key(): number {
    const b = this.#b;
    this.#skipSpace();
    if (b[this.#p] !== QUOTE) throw NOT_USUAL;
    const start = this.#p + 1;
    const end = this.#stringEnd(start);
    this.#keyStart = start;
    this.#p = end + 1;
    this.#expect(COLON);
    return end - start;
  }

  /** Whether the last key read, of `length` bytes, is `name`. */
  #keyIs(length: number, name: Uint8Array): boolean {
    if (length !== name.length) return false;
    const b = this.#b;
    const start = this.#keyStart;
    for (let i = 0; i < length; i++) if (b[start + i] !== name[i]) return false;
    return true;
  }

  /** The bit of a kept field's key (the last key read, of `length` bytes), or 0 for another key. */
  #fieldBit(length: number): number {
    // The kept keys differ in length but for address/removed, which differ in their first letter.
    if (length >= KEYS_BY_LENGTH.length) return 0;
    const candidate = length === 7 && this.#b[this.#keyStart] === 0x72 ? REMOVED_KEY : KEYS_BY_LENGTH[length];
    return candidate !== undefined && this.#keyIs(length, candidate[0]) ? candidate[1] : 0;
  }

  /** Index of the closing quote of a string starting at `start`: no escapes, control or non-ASCII bytes. */
  #stringEnd(start: number): number {
    const b = this.#b;
    let p = start;
    for (;;) {
      const byte = b[p];
      if (byte === QUOTE) return p;
      if (byte === undefined || byte === BACKSLASH || byte < 0x20 || byte >= 0x80) throw NOT_USUAL;
      p += 1;
    }
  }

  /** After a member or element: `true` on a comma (another follows), `false` before `close`. */
  #more(close: number): boolean {
    const next = this.#peek();
    if (next === COMMA) {
      this.#p += 1;
      return true;
    }
    if (next === close) return false;
    throw NOT_USUAL;
  }

  #expect(byte: number): void {
    if (this.#peek() !== byte) throw NOT_USUAL;
    this.#p += 1;
  }

  /** The next byte that is not JSON whitespace (the cursor moved onto it). */
  #peek(): number | undefined {
    this.#skipSpace();
    return this.#b[this.#p];
  }

  #skipSpace(): void {
    const b = this.#b;
    let p = this.#p;
    for (;;) {
      const byte = b[p];
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
      p += 1;
    }
    this.#p = p;
  }
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}
