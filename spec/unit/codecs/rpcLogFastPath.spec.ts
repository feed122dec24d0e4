import fc from 'fast-check';
import type { NexusDiagnostic } from 'ogpu-events';
import { RpcLog } from '../../../src/codecs/RpcLog';
import { validateRpcLogs } from '../../../src/source/validateRpcLogs';
import { NEXUS_ADDRESS } from '../helpers/logs';

/*
 * The RpcLog envelope codec against a reference model written plainly below: what
 * eth_getLogs may answer for one log, and what the library makes of it. Whatever the
 * implementation (io-ts structure, hand-written fast path), RpcLog.decode and
 * validateRpcLogs must agree with the model on every input.
 */

const RUNS = 1_000;

/* ---------- the reference model ---------- */

const REQUIRED = ['address', 'topics', 'data', 'blockNumber', 'blockHash', 'transactionHash', 'logIndex'] as const;
type Field = (typeof REQUIRED)[number] | 'removed';
const FIELDS: readonly Field[] = [...REQUIRED, 'removed'];

/** The known fields of a log as the library hands it on: hex in lower case, quantities as numbers. */
interface KnownFields {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly transactionHash: string;
  readonly logIndex: number;
  readonly removed?: boolean;
}

/**
 * Accepted with its known fields, or rejected with the fields at fault: none when the
 * value is no log object at all (a primitive, null, an array); any other object is read
 * field by field, whatever its prototype.
 */
type Verdict = { readonly ok: true; readonly log: KnownFields } | { readonly ok: false; readonly broken: Field[] };

const HEX = /^0x[0-9a-fA-F]*$/;
const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** 0x-prefixed hex (digits in either case) of `bytes` bytes, or of whole bytes when undefined: in lower case. */
function modelHex(u: unknown, bytes?: number): string | undefined {
  if (typeof u !== 'string' || !HEX.test(u)) return undefined;
  const wholeBytes = bytes === undefined ? u.length % 2 === 0 : u.length === 2 + 2 * bytes;
  return wholeBytes ? u.toLowerCase() : undefined;
}

/** A quantity: 0x-hex without leading zeros, or a number or bigint; a safe non-negative integer in any case. */
function modelQuantity(u: unknown): number | undefined {
  if (typeof u === 'string') return QUANTITY.test(u) && BigInt(u) <= MAX_SAFE ? Number(BigInt(u)) : undefined;
  if (typeof u === 'number') return Number.isSafeInteger(u) && u >= 0 ? u : undefined;
  if (typeof u === 'bigint') return u >= 0n && u <= MAX_SAFE ? Number(u) : undefined;
  return undefined;
}

function model(u: unknown): Verdict {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return { ok: false, broken: [] };
  const raw = u as Record<string, unknown>;
  const broken: Field[] = [];
  const check = <A>(field: Field, value: A | undefined): A => {
    if (value === undefined) broken.push(field);
    return value as A;
  };
  const rawTopics = raw['topics'];
  // Array.from reads a hole as undefined: a hole is a missing topic.
  const topics = Array.isArray(rawTopics) ? Array.from(rawTopics as unknown[], (topic) => modelHex(topic, 32)) : [];
  const log = {
    address: check('address', modelHex(raw['address'], 20)),
    topics: check('topics', Array.isArray(rawTopics) && topics.every((t) => t !== undefined) ? topics : undefined),
    data: check('data', modelHex(raw['data'])),
    blockNumber: check('blockNumber', modelQuantity(raw['blockNumber'])),
    blockHash: check('blockHash', modelHex(raw['blockHash'], 32)),
    transactionHash: check('transactionHash', modelHex(raw['transactionHash'], 32)),
    logIndex: check('logIndex', modelQuantity(raw['logIndex'])),
  } as KnownFields;
  const removed = raw['removed'];
  if (removed !== undefined && typeof removed !== 'boolean') broken.push('removed');
  if (broken.length > 0) return { ok: false, broken };
  return { ok: true, log: removed === undefined ? log : { ...log, removed: removed as boolean } };
}

/**
 * The known fields of a decoded log, as downstream code sees them: other fields may
 * travel along or not, and a quantity of -0 is 0 to every comparison and sum.
 */
function known(log: RpcLog): KnownFields {
  const fields = {
    address: log.address,
    topics: [...log.topics],
    data: log.data,
    blockNumber: log.blockNumber + 0,
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: log.logIndex + 0,
  };
  return log.removed === undefined ? fields : { ...fields, removed: log.removed };
}

const normalised = (log: KnownFields): KnownFields => ({
  ...log,
  blockNumber: log.blockNumber + 0,
  logIndex: log.logIndex + 0,
});

/** What RpcLog.decode makes of `u`, in the model's terms. */
function decoded(u: unknown): { ok: true; log: KnownFields } | { ok: false } {
  const result = RpcLog.decode(u);
  return result._tag === 'Right' ? { ok: true, log: known(result.right) } : { ok: false };
}

const expectedOf = (verdict: Verdict) => (verdict.ok ? { ok: true, log: normalised(verdict.log) } : { ok: false });

/** Whether a reason line is about `field`: it names it first, as `field: ...` or `field.3: ...`. */
const isAbout = (line: string, field: Field): boolean => line.startsWith(`${field}:`) || line.startsWith(`${field}.`);

/** A deep copy of plain objects and arrays (holes kept), in this realm, for toStrictEqual. */
function deepCopy<A>(value: A): A {
  if (typeof value !== 'object' || value === null) return value;
  const copy = (
    Array.isArray(value) ? new Array<unknown>(value.length) : Object.create(Object.getPrototypeOf(value))
  ) as A;
  for (const key of Object.keys(value)) {
    Object.defineProperty(copy, key, {
      value: deepCopy((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/* ---------- arbitraries ---------- */

const hexDigits = (count: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: count, maxLength: count });
/** 0x and `bytes` bytes of hex, each digit in either case. */
const anyCaseHex = (bytes: number) => hexDigits(2 * bytes).map((digits) => `0x${digits}`);
const anyCaseBytes = fc.nat({ max: 64 }).chain(anyCaseHex);

/** `hex` with each digit after 0x in either case. */
const inAnyCase = (hex: string) =>
  fc
    .array(fc.boolean(), { minLength: hex.length - 2, maxLength: hex.length - 2 })
    .map((upper) => `0x${[...hex.slice(2)].map((digit, i) => (upper[i] ? digit.toUpperCase() : digit)).join('')}`);

/** A safe non-negative integer as a node or a transport may give it: hex quantity (any case), number or bigint. */
const anyQuantity = fc
  .oneof(fc.maxSafeNat(), fc.constantFrom(0, -0, 1, 15, 16, Number.MAX_SAFE_INTEGER))
  .chain((n) => fc.oneof(inAnyCase(`0x${n.toString(16)}`), fc.constant(n), fc.constant(BigInt(n))));

const KNOWN_KEYS: readonly string[] = FIELDS;
/** Fields nodes add (transactionIndex, blockTimestamp...) or anything else: to be ignored. */
// ('length' and '__proto__' are left out: copied onto an array or any object carrier by
// Object.assign they would change the carrier itself, not add a field.)
const extraFields = fc.dictionary(
  fc.string().filter((key) => !KNOWN_KEYS.includes(key) && key !== 'length' && key !== '__proto__'),
  fc.jsonValue(),
  { maxKeys: 3 },
);

/** A well-formed log, of the Nexus address four times in five, with hex in random case and extra fields. */
const validLog: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(
      {
        address: fc.oneof({ weight: 4, arbitrary: inAnyCase(NEXUS_ADDRESS) }, { weight: 1, arbitrary: anyCaseHex(20) }),
        topics: fc.array(anyCaseHex(32), { maxLength: 4 }),
        data: anyCaseBytes,
        blockNumber: anyQuantity,
        blockHash: anyCaseHex(32),
        transactionHash: anyCaseHex(32),
        logIndex: anyQuantity,
        removed: fc.boolean(),
      },
      { requiredKeys: [...REQUIRED] },
    ),
    extraFields,
  )
  .map(([log, extra]) => ({ ...log, ...extra }));

/** Marks a field to delete. */
const MISSING = Symbol('missing');

const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(MISSING),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);

/** Not 0x-hex of `bytes` bytes (of whole bytes when undefined). */
const badHex = (bytes?: number): fc.Arbitrary<unknown> => {
  const digits = bytes === undefined ? fc.nat({ max: 40 }).map((n) => 2 * n) : fc.constant(2 * bytes);
  return fc.oneof(
    notAString,
    // A digit short or over: odd-length data, or a value of the wrong size.
    digits.chain((n) => fc.constantFrom(n + 1, Math.max(n - 1, 1))).chain((n) => hexDigits(n).map((d) => `0x${d}`)),
    // Whole bytes, but the wrong number of them.
    bytes === undefined
      ? fc.constant(MISSING)
      : fc
          .nat({ max: 40 })
          .filter((n) => n !== bytes)
          .chain(anyCaseHex),
    // A character that is no hex digit.
    fc
      .tuple(digits.chain(hexDigits), fc.nat(), fc.constantFrom('g', 'G', 'x', 'z', ' ', '-', '.', 'é', '\n'))
      .filter(([d]) => d.length > 0)
      .map(([d, at, c]) => `0x${d.slice(0, at % d.length)}${c}${d.slice((at % d.length) + 1)}`),
    // Hex without 0x, with 0X, with a sign or white space around it.
    digits.chain(hexDigits).chain((d) => fc.constantFrom(d, `0X${d}`, ` 0x${d}`, `0x${d}\n`, `-0x${d}`, `+0x${d}`)),
  );
};

/** Not a quantity: leading zeros, empty, decimal, negative, fractional, unsafe, of another type. */
const badQuantity: fc.Arbitrary<unknown> = fc.oneof(
  fc.maxSafeNat().map((n) => `0x0${n.toString(16)}`),
  fc.constantFrom('0x', '0X1', '0x-1', '1', '26', 'latest', '', '0x1.5', ' 0x1'),
  fc.maxSafeNat().map(String),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
  fc.double({ noInteger: true }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 + 2, 1e21, Number.MAX_VALUE),
  fc.bigInt({ max: -1n }),
  fc.bigInt({ min: MAX_SAFE + 1n, max: 2n ** 256n }),
  fc.bigInt({ min: MAX_SAFE + 1n, max: 2n ** 256n }).map((n) => `0x${n.toString(16)}`),
  fc.constantFrom(null, undefined, MISSING, true, false, {}, [], [1]),
);

/** Not an array of 32-byte hex: another type, or one bad topic among good ones, or a hole. */
const badTopics: fc.Arbitrary<unknown> = fc.oneof(
  fc.oneof(
    notAString.filter((u) => !(Array.isArray(u) && u.length === 0)),
    anyCaseHex(32),
  ),
  fc
    .tuple(fc.array(anyCaseHex(32), { maxLength: 3 }), badHex(32), fc.nat())
    .filter(([, topic]) => topic !== MISSING)
    .map(([topics, topic, at]) => {
      const i = at % (topics.length + 1);
      return [...topics.slice(0, i), topic, ...topics.slice(i)];
    }),
  fc.tuple(fc.array(anyCaseHex(32), { minLength: 1, maxLength: 3 }), fc.nat()).map(([topics, at]) => {
    const holey = new Array<string>(topics.length + 1);
    const hole = at % holey.length;
    topics.forEach((topic, i) => (holey[i < hole ? i : i + 1] = topic));
    return holey;
  }),
);

/** Not a boolean, nor absent. */
const badRemoved: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, 'true', 'false', 0, 1, '', [], {}, 0n),
  fc.string(),
  fc.integer(),
);

const BAD_VALUES: Readonly<Record<Field, fc.Arbitrary<unknown>>> = {
  address: badHex(20),
  topics: badTopics,
  data: badHex(),
  blockNumber: badQuantity,
  blockHash: badHex(32),
  transactionHash: badHex(32),
  logIndex: badQuantity,
  removed: badRemoved,
};

/** `log` with `field` set to `value`, or deleted for MISSING. */
function withField(log: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const rest = Object.fromEntries(Object.entries(log).filter(([key]) => key !== field));
  return value === MISSING ? rest : { ...rest, [field]: value };
}

/** A valid log with exactly one field broken, and that field. */
const brokenLog: fc.Arbitrary<{ log: Record<string, unknown>; field: Field }> = fc
  .tuple(validLog, fc.constantFrom(...FIELDS))
  .chain(([log, field]) => BAD_VALUES[field].map((value) => ({ log: withField(log, field, value), field })));

const ANYTHING: fc.ObjectConstraints = {
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withTypedArray: true,
  withSparseArray: true,
};

/** A valid log with one field replaced by any value at all (which may happen to be valid). */
const logWithAnyField = fc
  .tuple(validLog, fc.constantFrom(...FIELDS), fc.oneof(fc.anything(ANYTHING), fc.constant(MISSING)))
  .map(([log, field, value]) => withField(log, field, value));

/** The fields of a valid log carried by an object that is not a plain one. */
const logOnOtherObject = fc
  .tuple(validLog, fc.constantFrom('array', 'Date', 'Map', 'class instance', 'null prototype'))
  .map(([log, kind]) => {
    class NodeLog {
      toString(): string {
        return 'a log object of some RPC library';
      }
    }
    const carrier = {
      array: () => [],
      Date: () => new Date(0),
      Map: () => new Map(),
      'class instance': () => new NodeLog(),
      'null prototype': () => Object.create(null) as object,
    }[kind]();
    return Object.assign(carrier, log);
  });

/* ---------- specifications ---------- */

describe('the reference model (a check of the generators)', () => {
  it('accepts every generated valid log and rejects every broken one for its broken field alone', () => {
    fc.assert(
      fc.property(validLog, brokenLog, (valid, { log, field }) => {
        expect({ valid: model(valid).ok, broken: model(log) }).toEqual({
          valid: true,
          broken: { ok: false, broken: [field] },
        });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('RpcLog.decode agrees with the reference model of an eth_getLogs log', () => {
  it('accepts every valid log (hex in any case, quantities as hex, numbers or bigints, extra fields), normalising hex to lower case and quantities to numbers', () => {
    fc.assert(
      fc.property(validLog, (log) => {
        expect(decoded(log)).toEqual(expectedOf(model(log)));
      }),
      { numRuns: RUNS },
    );
  });

  it('ignores unknown extra fields: the known fields decode the same with or without them', () => {
    fc.assert(
      fc.property(validLog, extraFields, (log, extra) => {
        expect(decoded({ ...log, ...extra })).toEqual(decoded(log));
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects a log with any one field broken: wrong type, wrong length, odd-length data, non-hex, leading-zero, negative, fractional or unsafe quantity, missing, null', () => {
    fc.assert(
      fc.property(brokenLog, ({ log }) => {
        expect(decoded(log)).toEqual(expectedOf(model(log)));
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees on a valid log with any one field replaced by an arbitrary value', () => {
    fc.assert(
      fc.property(logWithAnyField, (log) => {
        expect(decoded(log)).toEqual(expectedOf(model(log)));
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees on arbitrary JSON values and arbitrary JavaScript values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything(ANYTHING)), (u) => {
        expect(decoded(u)).toEqual(expectedOf(model(u)));
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees on log fields carried by other objects: read on a class instance, a Date, a Map or a null-prototype object; an array is no log', () => {
    fc.assert(
      fc.property(logOnOtherObject, (log) => {
        expect(decoded(log)).toEqual(expectedOf(model(log)));
      }),
      { numRuns: RUNS / 4 },
    );
  });

  it('never modifies the log it decodes (diagnostics show it as the node sent it)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          validLog,
          brokenLog.map(({ log }) => log),
        ),
        (log) => {
          const before = deepCopy(log);
          RpcLog.decode(log);
          expect(log).toStrictEqual(before);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('validateRpcLogs over a random eth_getLogs result', () => {
  const anyEntry = fc.oneof(
    { weight: 6, arbitrary: validLog },
    { weight: 3, arbitrary: brokenLog.map(({ log }) => log) },
    { weight: 1, arbitrary: logWithAnyField },
    { weight: 1, arbitrary: fc.oneof(fc.jsonValue(), fc.anything(ANYTHING)) },
  );

  /** What a reason line is about: the field it names first, else the line itself. */
  const aboutOf = (line: string): string => FIELDS.find((field) => isAbout(line, field)) ?? line;

  /** A report, with its reason reduced to the set of things its lines are about. */
  const summary = (report: NexusDiagnostic) =>
    report.kind === 'invalid-log'
      ? { kind: report.kind, log: report.log, about: [...new Set(report.reason.map(aboutOf))].sort() }
      : report;

  const isPlain = (u: unknown): u is Record<string, unknown> =>
    typeof u === 'object' && u !== null && Object.getPrototypeOf(u) === Object.prototype;

  /**
   * Results whose logs often share fields with the log before them, as a node's do (same
   * block, transaction, topic, Nexus), whether those values are valid, in another case, or
   * broken: validateRpcLogs takes a field equal to the previous valid log's unchecked.
   */
  const resultsWithSharedFields = fc
    .tuple(
      fc.array(anyEntry, { maxLength: 12 }),
      fc.array(fc.subarray(['address', 'blockHash', 'transactionHash', 'topics'] as const), { maxLength: 12 }),
    )
    .map(([entries, shares]) =>
      entries.map((entry, i) => {
        const before = entries[i - 1];
        const shared = shares[i] ?? [];
        if (i === 0 || shared.length === 0 || !isPlain(entry) || !isPlain(before)) return entry;
        const copy: Record<string, unknown> = { ...entry };
        for (const field of shared) if (field in before) copy[field] = before[field];
        return copy;
      }),
    );

  it('reports each invalid log as invalid-log naming its broken fields (or both addresses), drops removed logs silently, and returns the rest in chain order', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(anyEntry, { maxLength: 12 }), resultsWithSharedFields), (result) => {
        const reports: NexusDiagnostic[] = [];
        const logs = validateRpcLogs(result, NEXUS_ADDRESS, (d) => reports.push(d));

        const expectedReports: unknown[] = [];
        const reported: unknown[] = [];
        const kept: KnownFields[] = [];
        for (const raw of result) {
          const verdict = model(raw);
          if (!verdict.ok) {
            reported.push(raw);
            expectedReports.push({
              kind: 'invalid-log',
              log: raw,
              // A log object: its broken fields, each named by one line or more, and no other.
              // Anything else (a primitive, null, an array): some reason.
              about:
                verdict.broken.length > 0
                  ? [...verdict.broken].sort()
                  : expect.arrayContaining([expect.stringMatching(/\S/)]),
            });
          } else if (verdict.log.address !== NEXUS_ADDRESS) {
            reported.push(raw);
            const both = new RegExp(
              `${verdict.log.address}.*${NEXUS_ADDRESS}|${NEXUS_ADDRESS}.*${verdict.log.address}`,
            );
            expectedReports.push({ kind: 'invalid-log', log: raw, about: [expect.stringMatching(both)] });
          } else if (verdict.log.removed !== true) {
            kept.push(normalised(verdict.log));
          }
        }
        // Chain order; logs at the same position keep the order the node gave them in.
        const sorted = kept
          .map((log, i) => ({ log, i }))
          .sort((a, b) => a.log.blockNumber - b.log.blockNumber || a.log.logIndex - b.log.logIndex || a.i - b.i)
          .map(({ log }) => log);

        expect({
          reports: reports.map(summary),
          reportsHoldTheNodesVeryLog: reports.every((report, i) => 'log' in report && report.log === reported[i]),
          logs: logs.map(known),
        }).toEqual({ reports: expectedReports, reportsHoldTheNodesVeryLog: true, logs: sorted });
      }),
      { numRuns: 500 },
    );
  });
});
