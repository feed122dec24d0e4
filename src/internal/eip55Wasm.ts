import { KECCAK_ROUND_CONSTANTS } from './keccakRoundConstants.js';

/*
 * EIP-55 checksums with keccak-f[1600] in WebAssembly, where the platform runs it: 64-bit
 * lanes and rotations are single instructions there, where JavaScript must emulate them
 * with pairs of 32-bit words (eip55.ts, the fallback and reference). The module is
 * assembled below, at load, from the permutation's definition (no binary blob to trust or
 * keep in step): one function absorbs the 40 ASCII digits written at address 0 (one
 * block: lanes 0–4, the padding constant in lanes 5 and 16), runs the 24 rounds and stores
 * the first 20 bytes of the hash at address 64. The round constants are a data segment at
 * address 128.
 */

/** Where the JavaScript side writes the digits and reads the hash. */
const DIGITS_AT = 0;
const HASH_AT = 64;
const ROUND_CONSTANTS_AT = 128;

/** The rotation of lane x + 5y in rho. */
const ROTATIONS = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

// Opcodes and types of the WebAssembly binary format (the few used here).
const I32 = 0x7f;
const I64 = 0x7e;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I64_CONST = 0x42;
const I64_LOAD = 0x29;
const I64_STORE = 0x37;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I32_LT_U = 0x49;
const I64_AND = 0x83;
const I64_XOR = 0x85;
const I64_ROTL = 0x89;
const LOOP = 0x03;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;

function unsignedLeb(n: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (n !== 0);
  return bytes;
}

function signedLeb(value: bigint): number[] {
  const bytes: number[] = [];
  let n = BigInt.asIntN(64, value);
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

const vector = (items: readonly number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, contents: number[]): number[] => [id, ...unsignedLeb(contents.length), ...contents];
const name = (text: string): number[] => vector([...text].map((c) => [c.charCodeAt(0)]));

// Locals of the function: lanes a0–a24, rho-pi outputs b0–b24, column parities c0–c4,
// theta terms d0–d4 (all i64), and the round number (i32).
const A = (i: number): number => i;
const B = (i: number): number => 25 + i;
const C = (x: number): number => 50 + x;
const D = (x: number): number => 55 + x;
const ROUND = 60;

/** The body of `keccak()`: absorb, 24 rounds, squeeze. */
function keccakBody(): number[] {
  const code: number[] = [];
  const get = (local: number): void => void code.push(LOCAL_GET, local);
  const set = (local: number): void => void code.push(LOCAL_SET, local);
  const i64 = (value: bigint): void => void code.push(I64_CONST, ...signedLeb(value));
  // Absorb: the digits are the message bytes 0–39, lanes 0–4 (little-endian); the padding
  // is byte 40 = 0x01 (bit 0 of lane 5) and byte 135 = 0x80 (bit 63 of lane 16).
  for (let i = 0; i < 5; i++) {
    code.push(I32_CONST, 0, I64_LOAD, 3, ...unsignedLeb(DIGITS_AT + 8 * i));
    set(A(i));
  }
  i64(1n);
  set(A(5));
  i64(1n << 63n);
  set(A(16));
  code.push(LOOP, VOID);
  // theta: column parities, then each lane takes its neighbours' (folded into rho-pi below).
  for (let x = 0; x < 5; x++) {
    get(A(x));
    for (let y = 1; y < 5; y++) {
      get(A(x + 5 * y));
      code.push(I64_XOR);
    }
    set(C(x));
  }
  for (let x = 0; x < 5; x++) {
    get(C((x + 4) % 5));
    get(C((x + 1) % 5));
    i64(1n);
    code.push(I64_ROTL, I64_XOR);
    set(D(x));
  }
  // rho and pi: lane x + 5y, theta applied and rotated, moves to y + 5((2x + 3y) mod 5).
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const lane = x + 5 * y;
      get(A(lane));
      get(D(x));
      code.push(I64_XOR);
      const rotation = ROTATIONS[lane] as number;
      if (rotation !== 0) {
        i64(BigInt(rotation));
        code.push(I64_ROTL);
      }
      set(B(y + 5 * ((2 * x + 3 * y) % 5)));
    }
  }
  // chi: along each row.
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      get(B(x + 5 * y));
      get(B(((x + 1) % 5) + 5 * y));
      i64(-1n);
      code.push(I64_XOR);
      get(B(((x + 2) % 5) + 5 * y));
      code.push(I64_AND, I64_XOR);
      set(A(x + 5 * y));
    }
  }
  // iota: the round constant, from the data segment.
  get(A(0));
  get(ROUND);
  code.push(I32_CONST, 3, I32_SHL, I64_LOAD, 3, ...unsignedLeb(ROUND_CONSTANTS_AT), I64_XOR);
  set(A(0));
  // Next round while round + 1 < 24.
  get(ROUND);
  code.push(I32_CONST, 1, I32_ADD);
  set(ROUND);
  get(ROUND);
  code.push(I32_CONST, 24, I32_LT_U, BR_IF, 0, END);
  // Squeeze: the first 20 bytes of the hash (lanes 0–2; the third in full: 24 bytes).
  for (let i = 0; i < 3; i++) {
    code.push(I32_CONST, 0);
    get(A(i));
    code.push(I64_STORE, 3, ...unsignedLeb(HASH_AT + 8 * i));
  }
  code.push(END);
  return code;
}

/** The module's bytes: one memory page, the function `keccak`, the round constants. */
export function keccakModuleBytes(): Uint8Array<ArrayBuffer> {
  const locals = vector([
    [...unsignedLeb(60), I64],
    [1, I32],
  ]);
  const body = [...locals, ...keccakBody()];
  const constants = KECCAK_ROUND_CONSTANTS.flatMap((rc) =>
    Array.from({ length: 8 }, (_, byte) => Number((rc >> BigInt(8 * byte)) & 0xffn)),
  );
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, 0, 0]])), // type: () -> ()
    ...section(3, vector([[0]])), // function 0 has type 0
    ...section(5, vector([[0x00, 1]])), // one memory of one page
    ...section(
      7,
      vector([
        [...name('memory'), 0x02, 0],
        [...name('keccak'), 0x00, 0],
      ]),
    ),
    ...section(10, vector([[...unsignedLeb(body.length), ...body]])),
    ...section(
      11,
      vector([[0x00, I32_CONST, ...signedLeb(BigInt(ROUND_CONSTANTS_AT)), END, ...vector(constants.map((b) => [b]))]]),
    ),
  ]);
}

/** Per ASCII code, whether it is a lower-case hex digit. */
const IS_DIGIT = new Uint8Array(128);
for (const digit of '0123456789abcdef') IS_DIGIT[digit.charCodeAt(0)] = 1;

/** The result's character codes, reused: "0x" then the 40 digits. */
const CODES: number[] = Array.from('0x'.padEnd(42, '0'), (ch) => ch.charCodeAt(0));

interface KeccakInstance {
  readonly memory: WebAssembly.Memory;
  readonly keccak: () => void;
}

function instantiate(): KeccakInstance | undefined {
  try {
    if (typeof WebAssembly !== 'object') return undefined;
    // Synchronous: the module is a few kilobytes (browsers allow that on the main thread).
    const instance = new WebAssembly.Instance(new WebAssembly.Module(keccakModuleBytes()));
    const { memory, keccak } = instance.exports as unknown as KeccakInstance;
    return memory instanceof WebAssembly.Memory && typeof keccak === 'function' ? { memory, keccak } : undefined;
  } catch {
    // No WebAssembly here (a content security policy without 'wasm-unsafe-eval', say).
    return undefined;
  }
}

/**
 * The WebAssembly EIP-55 checksum of 40 lower-case hex digits (`0x` and mixed case), or
 * `undefined` where the platform cannot run the module: use eip55.ts's then. Throws a
 * RangeError for anything but 40 lower-case hex digits, as that one does.
 *
 * @example
 * const checksum = wasmEip55Checksum ?? eip55Checksum;
 * checksum('2b0cc6058313801d5feb184a539e3a0c5a87a6a1'); // '0x2B0cc6…'
 */
export const wasmEip55Checksum: ((hex40: string) => string) | undefined = (() => {
  const keccak = instantiate();
  if (keccak === undefined) return undefined;
  const bytes = new Uint8Array(keccak.memory.buffer);
  const run = keccak.keccak;
  return (hex40: string): string => {
    let valid = hex40.length === 40 ? 1 : 0;
    for (let i = 0; i < 40; i++) {
      const code = hex40.charCodeAt(i);
      valid &= IS_DIGIT[code] ?? 0;
      bytes[DIGITS_AT + i] = code;
    }
    if (valid === 0) throw new RangeError(`expected 40 lower-case hex digits, got ${JSON.stringify(hex40)}`);
    run();
    // Digit i is upper-cased when nibble i of the hash is 8 or more: bit 7 (i even) or bit
    // 3 (i odd) of hash byte i / 2. Digits 0–9 have bit 6 clear and stay; a–f lose 0x20.
    for (let i = 0; i < 40; i++) {
      const byte = bytes[HASH_AT + (i >> 1)] as number;
      const upper = (byte >> (7 - 4 * (i & 1))) & 1;
      const code = bytes[DIGITS_AT + i] as number;
      CODES[i + 2] = code ^ ((code >> 1) & (upper << 5));
    }
    return String.fromCharCode.apply(null, CODES);
  };
})();
