import fc from 'fast-check';
import { type EventFragment, getAddress } from 'ethers';
import {
  Environment,
  type LogPosition,
  type NexusEvent,
  type NexusEventName,
  ResponseStatus,
  type RpcLog,
  TaskStatus,
} from 'ogpu-events';
import { decodeNexusLog, isInScope } from '../../../src/streams/decodeNexusLog';
import { DESCRIPTORS_BY_TOPIC, type NexusEventDescriptor } from '../../../src/streams/nexusEventDescriptors';
import { NEXUS_ADDRESS, word } from '../helpers/logs';
import { nexusAbi } from '../helpers/nexusLogs';

/*
 * The hand-written decoder against ethers' generic ABI decoder, the reference.
 *
 * "Exactly as correct as the generic decoder" means:
 * - every payload Solidity can emit for these events decodes to the values ethers parses;
 * - nothing ethers rejects is accepted;
 * - where ours rejects what ethers accepts, it is on purpose, and the test says so
 *   ("stricter than ethers: ..."): ethers ignores extra topics and trailing data, masks
 *   the padding of a uint8 word and does not range-check enums.
 * Put together: ours accepts exactly the logs ethers parses whose data is the canonical
 * encoding of the values ethers returns, with one topic and every enum in range.
 */

const RUNS = 500;

const NAMES: readonly NexusEventName[] = [
  'TaskPublished',
  'Attempted',
  'ResponseSubmitted',
  'ResponseStatusChanged',
  'TaskStatusChanged',
  'Registered',
];

interface EventUnderTest {
  readonly name: NexusEventName;
  readonly fragment: EventFragment;
  readonly descriptor: NexusEventDescriptor<NexusEvent>;
  /** Word index of each parameter, by ABI type. */
  readonly addressWords: readonly number[];
  readonly uint8Words: readonly number[];
}

const EVENTS: readonly EventUnderTest[] = NAMES.map((name) => {
  const fragment = nexusAbi.getEvent(name);
  if (fragment === null) throw new Error(`${name} is not in NexusAbi.json`);
  const descriptor = DESCRIPTORS_BY_TOPIC.get(fragment.topicHash);
  if (descriptor === undefined) throw new Error(`no descriptor for the topic0 of ${name}`);
  const wordsOf = (type: string) => fragment.inputs.flatMap((input, i) => (input.type === type ? [i] : []));
  return { name, fragment, descriptor, addressWords: wordsOf('address'), uint8Words: wordsOf('uint8') };
});
const WITH_UINT8 = EVENTS.filter((event) => event.uint8Words.length > 0);

/** Every environment mask: each subset of the flags OR-ed together. */
const FLAGS = Object.values(Environment);
const ENVIRONMENT_MASKS = Array.from({ length: 1 << FLAGS.length }, (_, subset) =>
  FLAGS.reduce<number>((mask, flag, i) => ((subset >> i) & 1 ? mask | flag : mask), 0),
);

/** The values a uint8 parameter may take: its enum's values, or the environment masks. */
const VALID_UINT8: Readonly<Record<string, readonly number[]>> = {
  'TaskStatusChanged.status': Object.values(TaskStatus),
  'ResponseStatusChanged.status': Object.values(ResponseStatus),
  'Registered.preferredEnvironment': ENVIRONMENT_MASKS,
};

function validUint8(event: EventUnderTest, index: number): readonly number[] {
  const values = VALID_UINT8[`${event.name}.${event.fragment.inputs[index]!.name}`];
  if (values === undefined) throw new Error(`no valid values for ${event.name} parameter ${index}`);
  return values;
}

const BYTE_VALUES = Array.from({ length: 256 }, (_, n) => n);

/** A byte value the parameter may not take, the smallest ones (next to the valid range) as often as all others. */
function invalidUint8(event: EventUnderTest, index: number): fc.Arbitrary<number> {
  const invalid = BYTE_VALUES.filter((n) => !validUint8(event, index).includes(n));
  return fc.oneof(fc.constantFrom(...invalid.slice(0, 3)), fc.constantFrom(...invalid));
}

/* ---------- arbitraries ---------- */

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytesHex = (length: number) => fc.uint8Array({ minLength: length, maxLength: length }).map(hexOf);

/** Any address, EIP-55 checksummed, with the zero address and all-ones among the edge cases. */
const anyAddress = fc
  .oneof(
    { weight: 1, arbitrary: fc.constantFrom('00'.repeat(20), 'ff'.repeat(20), `${'00'.repeat(19)}01`) },
    { weight: 9, arbitrary: bytesHex(20) },
  )
  .map((hex40) => getAddress(`0x${hex40}`));
const anyUint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
const anyHash = bytesHex(32).map((hex) => `0x${hex}`);
const anyPosition: fc.Arbitrary<LogPosition> = fc.record({
  blockNumber: fc.maxSafeNat(),
  blockHash: anyHash,
  transactionHash: anyHash,
  logIndex: fc.nat(),
});

/** Random valid arguments of the event, in ABI order. */
function validArgs(event: EventUnderTest): fc.Arbitrary<unknown[]> {
  return fc.tuple(
    ...event.fragment.inputs.map((input, i): fc.Arbitrary<unknown> => {
      switch (input.type) {
        case 'address':
          return anyAddress;
        case 'uint256':
          return anyUint256;
        case 'uint8':
          return fc.constantFrom(...validUint8(event, i));
        default:
          throw new Error(`unexpected ABI type ${input.type}`);
      }
    }),
  );
}

interface ValidCase {
  readonly event: EventUnderTest;
  readonly args: unknown[];
  readonly log: RpcLog;
}

/** A log ethers encodes from random valid arguments, of one of `events`, at a random position. */
const validCase = (events: readonly EventUnderTest[] = EVENTS): fc.Arbitrary<ValidCase> =>
  fc
    .constantFrom(...events)
    .chain((event) =>
      fc
        .tuple(validArgs(event), anyPosition)
        .map(([args, position]) => ({ event, args, log: encodedLog(event, args, position) })),
    );

/** A 32-byte word of `bytes` bytes of padding, at least one of them non-zero, then `low`. */
const dirtyWord = (paddingBytes: number, low: fc.Arbitrary<string>) =>
  fc
    .tuple(
      fc.uint8Array({ minLength: paddingBytes, maxLength: paddingBytes }),
      fc.nat({ max: paddingBytes - 1 }),
      fc.integer({ min: 1, max: 255 }),
      low,
    )
    .map(([padding, at, nonZero, lowHex]) => {
      const dirty = Uint8Array.from(padding);
      dirty[at] = nonZero;
      return `${hexOf(dirty)}${lowHex}`;
    });

/* ---------- helpers ---------- */

const POSITION = { blockNumber: 7, blockHash: `0x${word(1)}`, transactionHash: `0x${word(2)}`, logIndex: 3 };

function logOf(topics: readonly string[], data: string, position: LogPosition = POSITION): RpcLog {
  return { address: NEXUS_ADDRESS, topics: [...topics], data, ...position };
}

function encodedLog(event: EventUnderTest, args: readonly unknown[], position?: LogPosition): RpcLog {
  const { topics, data } = nexusAbi.encodeEventLog(event.fragment, [...args]);
  return logOf(topics, data, position);
}

type Values = Record<string, unknown>;

/**
 * A parameter value as the library types it: uint8 parameters are enums (numbers); addresses
 * (checksummed by ethers and by `anyAddress`) and uint256 bigints as they are.
 */
const asLibraryValue = (type: string, value: unknown): unknown => (type === 'uint8' ? Number(value as bigint) : value);

/** The arguments as the event should carry them. */
const valuesOfArgs = (event: EventUnderTest, args: readonly unknown[]): Values =>
  Object.fromEntries(event.fragment.inputs.map((input, i) => [input.name, asLibraryValue(input.type, args[i])]));

/** The parameter fields of a decoded event. */
const valuesOfEvent = (event: EventUnderTest, decoded: NexusEvent): Values =>
  Object.fromEntries(
    event.fragment.inputs.map((input) => [input.name, (decoded as unknown as Values)[input.name]] as const),
  );

type EthersOutcome = { readonly ok: true; readonly values: Values } | { readonly ok: false; readonly error: string };

/**
 * ethers' reading of the log: `parseLog`, then every argument read (ethers defers some
 * decoding errors, a dirty address among them, to the first access of the argument).
 */
function ethersParse(log: RpcLog): EthersOutcome {
  try {
    const parsed = nexusAbi.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed === null) return { ok: false, error: 'no event of this topic0' };
    const values = Object.fromEntries(
      parsed.fragment.inputs.map((input, i) => [input.name, asLibraryValue(input.type, parsed.args[i])]),
    );
    return { ok: true, values };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Whether `data` is the very encoding ethers gives to `values`. */
const isCanonical = (event: EventUnderTest, values: Values, data: string): boolean =>
  nexusAbi.encodeEventLog(
    event.fragment,
    event.fragment.inputs.map((input) => values[input.name]),
  ).data === data;

const enumsInRange = (event: EventUnderTest, values: Values): boolean =>
  event.uint8Words.every((i) => validUint8(event, i).includes(values[event.fragment.inputs[i]!.name] as number));

/** `data` with word `index` replaced by the 64 hex digits `hex`. */
const replaceWord = (data: string, index: number, hex: string): string =>
  `${data.slice(0, 2 + 64 * index)}${hex}${data.slice(2 + 64 * (index + 1))}`;

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A reason line about `field`: it starts with the field's name, then mentions each of `mentions`, as words. */
const aboutField = (field: string, ...mentions: string[]): RegExp =>
  new RegExp(`^${escape(field)}\\b${mentions.map((m) => `.*\\b${escape(m)}\\b`).join('')}`);

const positionOf = (p: LogPosition): LogPosition => ({
  blockNumber: p.blockNumber,
  blockHash: p.blockHash,
  transactionHash: p.transactionHash,
  logIndex: p.logIndex,
});

/** What decodeNexusLog makes of a log, as plain data: one value to compare per run. */
type Verdict =
  | {
      readonly ok: true;
      readonly eventName: string;
      readonly values: Values;
      readonly position: LogPosition;
      readonly frozen: boolean;
    }
  | { readonly ok: false; readonly reason: readonly string[] };

/**
 * Our verdict. Reason lines are put in ABI order of the parameter they name, so that a
 * test can expect one line per bad word without fixing the order the decoder reports in.
 */
function ours(event: EventUnderTest, log: RpcLog): Verdict {
  const result = decodeNexusLog(event.descriptor, log);
  if (!result.ok) {
    const rank = (line: string) => {
      const i = event.fragment.inputs.findIndex((input) => aboutField(input.name).test(line));
      return i === -1 ? Infinity : i;
    };
    return { ok: false, reason: [...result.reason].sort((a, b) => rank(a) - rank(b)) };
  }
  return {
    ok: true,
    eventName: result.event.eventName,
    values: valuesOfEvent(event, result.event),
    position: positionOf(result.event),
    frozen: Object.isFrozen(result.event),
  };
}

/** The verdict of a log at `position` that decodes to `values`. */
const decodesTo = (event: EventUnderTest, values: Values, position: LogPosition): Verdict => ({
  ok: true,
  eventName: event.name,
  values,
  position: positionOf(position),
  frozen: true,
});

/** The verdict of a log rejected with exactly these reason lines, in ABI order. */
const rejectedFor = (...reasons: RegExp[]) => ({
  ok: false,
  reason: reasons.map((reason) => expect.stringMatching(reason)),
});

const ETHERS_REJECTS = { ok: false, error: expect.any(String) };

/* ---------- specifications ---------- */

describe('the descriptors against the Nexus ABI', () => {
  it.each(EVENTS.map((event) => [event.name, event] as const))(
    '%s: DESCRIPTORS_BY_TOPIC maps its ABI topic0 to its descriptor, one word per (non-indexed) parameter, scoped by an address parameter',
    (name, event) => {
      const scope = event.fragment.inputs[event.descriptor.scope.word];
      expect({
        name: event.descriptor.name,
        topic0: event.descriptor.topic0,
        words: event.descriptor.words,
        indexed: event.fragment.inputs.filter((input) => input.indexed).length,
        scope: { field: scope?.name, type: scope?.type },
      }).toEqual({
        name,
        topic0: event.fragment.topicHash,
        words: event.fragment.inputs.length,
        indexed: 0,
        scope: { field: event.descriptor.scope.field, type: 'address' },
      });
    },
  );
});

describe('decodeNexusLog is exactly as correct as ethers Interface.parseLog', () => {
  describe('valid payloads', () => {
    it.each(EVENTS.map((event) => [event.name, event] as const))(
      '%s: any valid payload decodes to the values ethers parses (checksummed addresses, bigints, enums as numbers), with the log position, frozen',
      (_name, event) => {
        fc.assert(
          fc.property(validArgs(event), anyPosition, (args, position) => {
            const log = encodedLog(event, args, position);
            const values = valuesOfArgs(event, args);

            expect({ ethers: ethersParse(log), ours: ours(event, log) }).toEqual({
              ethers: { ok: true, values },
              ours: decodesTo(event, values, position),
            });
          }),
          { numRuns: RUNS },
        );
      },
    );
  });

  describe('invalid payloads: never accepts what ethers rejects; stricter where stated', () => {
    it('rejects data cut short by any number of bytes, naming the expected and actual size; ethers rejects it too (out of bounds)', () => {
      fc.assert(
        fc.property(validCase(), fc.nat(), ({ event, log }, n) => {
          const bytes = (log.data.length - 2) / 2;
          const cut = 1 + (n % bytes);
          const truncated = { ...log, data: log.data.slice(0, log.data.length - 2 * cut) };

          expect({ ethers: ethersParse(truncated), ours: ours(event, truncated) }).toEqual({
            ethers: ETHERS_REJECTS,
            ours: rejectedFor(
              aboutField(event.name, `${event.fragment.inputs.length} words`, `got ${bytes - cut} bytes`),
            ),
          });
        }),
        { numRuns: RUNS },
      );
    });

    it('stricter than ethers: rejects any bytes after the last word, which ethers ignores', () => {
      fc.assert(
        fc.property(validCase(), fc.uint8Array({ minLength: 1, maxLength: 100 }), ({ event, args, log }, extra) => {
          const extended = { ...log, data: `${log.data}${hexOf(extra)}` };
          const bytes = (extended.data.length - 2) / 2;

          expect({ ethers: ethersParse(extended), ours: ours(event, extended) }).toEqual({
            ethers: { ok: true, values: valuesOfArgs(event, args) },
            ours: rejectedFor(aboutField(event.name, `${event.fragment.inputs.length} words`, `got ${bytes} bytes`)),
          });
        }),
        { numRuns: RUNS },
      );
    });

    it('stricter than ethers: rejects extra topics, counting them, where ethers ignores topics no parameter is indexed into', () => {
      fc.assert(
        fc.property(validCase(), fc.array(anyHash, { minLength: 1, maxLength: 3 }), ({ event, args, log }, extra) => {
          const withTopics = { ...log, topics: [...log.topics, ...extra] };

          expect({ ethers: ethersParse(withTopics), ours: ours(event, withTopics) }).toEqual({
            ethers: { ok: true, values: valuesOfArgs(event, args) },
            ours: rejectedFor(aboutField(event.name, `${1 + extra.length} topics`)),
          });
        }),
        { numRuns: RUNS },
      );
    });

    it('rejects an address word with non-zero padding, naming the parameter; ethers rejects it too (value exceeds width)', () => {
      fc.assert(
        fc.property(
          validCase().chain((valid) =>
            fc.tuple(fc.constant(valid), fc.constantFrom(...valid.event.addressWords), dirtyWord(12, bytesHex(20))),
          ),
          ([{ event, log }, index, dirty]) => {
            const bad = { ...log, data: replaceWord(log.data, index, dirty) };

            expect({ ethers: ethersParse(bad), ours: ours(event, bad) }).toEqual({
              ethers: ETHERS_REJECTS,
              ours: rejectedFor(aboutField(event.fragment.inputs[index]!.name, 'padding')),
            });
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('stricter than ethers: rejects a uint8 word with non-zero padding, naming the parameter, where ethers masks it to its low byte', () => {
      fc.assert(
        fc.property(
          validCase(WITH_UINT8).chain((valid) =>
            fc.constantFrom(...valid.event.uint8Words).chain((index) => {
              const lowByte = valid.log.data.slice(2 + 64 * index + 62, 2 + 64 * (index + 1));
              return fc.tuple(fc.constant(valid), fc.constant(index), dirtyWord(31, fc.constant(lowByte)));
            }),
          ),
          ([{ event, args, log }, index, dirty]) => {
            const bad = { ...log, data: replaceWord(log.data, index, dirty) };

            expect({ ethers: ethersParse(bad), ours: ours(event, bad) }).toEqual({
              ethers: { ok: true, values: valuesOfArgs(event, args) },
              ours: rejectedFor(aboutField(event.fragment.inputs[index]!.name, 'padding')),
            });
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('stricter than ethers: rejects an enum out of range (TaskStatus > 5, ResponseStatus > 1, Environment bits above AMD), naming the parameter and the value, where ethers returns it as is', () => {
      fc.assert(
        fc.property(
          validCase(WITH_UINT8).chain((valid) =>
            fc
              .constantFrom(...valid.event.uint8Words)
              .chain((index) => fc.tuple(fc.constant(valid), fc.constant(index), invalidUint8(valid.event, index))),
          ),
          ([{ event, args, log }, index, value]) => {
            const bad = { ...log, data: replaceWord(log.data, index, word(value)) };
            const field = event.fragment.inputs[index]!.name;

            expect({ ethers: ethersParse(bad), ours: ours(event, bad) }).toEqual({
              ethers: { ok: true, values: { ...valuesOfArgs(event, args), [field]: value } },
              ours: rejectedFor(aboutField(field, String(value), 'out of range')),
            });
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('names every bad word when several are bad, one reason line each', () => {
      const badWord = (event: EventUnderTest, index: number): fc.Arbitrary<readonly [string, RegExp]> => {
        const field = event.fragment.inputs[index]!.name;
        if (event.addressWords.includes(index)) {
          return dirtyWord(12, bytesHex(20)).map((hex) => [hex, aboutField(field, 'padding')] as const);
        }
        return fc.oneof(
          dirtyWord(31, bytesHex(1)).map((hex) => [hex, aboutField(field, 'padding')] as const),
          invalidUint8(event, index).map((n) => [word(n), aboutField(field, String(n), 'out of range')] as const),
        );
      };
      fc.assert(
        fc.property(
          validCase().chain((valid) =>
            fc
              .subarray([...valid.event.addressWords, ...valid.event.uint8Words].sort(), { minLength: 1 })
              .chain((indexes) =>
                fc.tuple(
                  fc.constant(valid),
                  fc.constant(indexes),
                  fc.tuple(...indexes.map((i) => badWord(valid.event, i))),
                ),
              ),
          ),
          ([{ event, log }, indexes, bad]) => {
            const data = indexes.reduce((d, index, i) => replaceWord(d, index, bad[i]![0]), log.data);
            const corrupted = { ...log, data };

            expect(ours(event, corrupted)).toEqual(rejectedFor(...bad.map(([, reason]) => reason)));
          },
        ),
        { numRuns: RUNS },
      );
    });
  });

  describe('arbitrary data under a valid topic0', () => {
    /** A word of any kind: random, canonical address or uint8, dirty address, zero. */
    const anyWord = fc.oneof(
      bytesHex(32),
      bytesHex(20).map((hex) => `${'0'.repeat(24)}${hex}`),
      fc.integer({ min: 0, max: 255 }).map(word),
      dirtyWord(12, bytesHex(20)),
      fc.constant(word(0)),
    );
    /** A word plausible for the parameter: mostly its canonical encoding (any uint8 value), else any word. */
    const plausibleWord = (type: string): fc.Arbitrary<string> => {
      const canonical =
        type === 'address'
          ? bytesHex(20).map((hex) => `${'0'.repeat(24)}${hex}`)
          : type === 'uint8'
            ? fc.integer({ min: 0, max: 255 }).map(word)
            : bytesHex(32);
      return fc.oneof({ weight: 4, arbitrary: canonical }, { weight: 1, arbitrary: anyWord });
    };
    /** Data of any length, mostly around the event's size: random bytes, plausible words, extended or cut. */
    const anyData = (event: EventUnderTest): fc.Arbitrary<string> => {
      const words = fc.tuple(...event.fragment.inputs.map((input) => plausibleWord(input.type))).map((w) => w.join(''));
      return fc
        .oneof(
          { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map(hexOf) },
          { weight: 5, arbitrary: words },
          {
            weight: 1,
            arbitrary: fc
              .tuple(words, fc.uint8Array({ minLength: 1, maxLength: 40 }))
              .map(([w, extra]) => `${w}${hexOf(extra)}`),
          },
          { weight: 1, arbitrary: fc.tuple(words, fc.nat()).map(([w, n]) => w.slice(0, 2 * (n % (w.length / 2)))) },
        )
        .map((hex) => `0x${hex}`);
    };
    const anyLog = fc.constantFrom(...EVENTS).chain((event) =>
      fc
        .tuple(
          anyData(event),
          fc.oneof(
            { weight: 5, arbitrary: fc.constant([]) },
            { weight: 1, arbitrary: fc.array(anyHash, { minLength: 1, maxLength: 3 }) },
          ),
          anyPosition,
        )
        .map(([data, extraTopics, position]) => ({
          event,
          log: logOf([event.descriptor.topic0, ...extraTopics], data, position),
        })),
    );

    it('never throws, and accepts exactly the logs ethers parses whose data is the canonical encoding of the values, with one topic and every enum in range', () => {
      const seen = { accepted: 0, rejected: 0, rejectedWhereEthersParses: 0 };
      fc.assert(
        fc.property(anyLog, ({ event, log }) => {
          // A throw fails the property: the decoder must answer every log.
          const verdict = ours(event, log);
          const parsed = ethersParse(log);
          const acceptable =
            parsed.ok &&
            log.topics.length === 1 &&
            isCanonical(event, parsed.values, log.data) &&
            enumsInRange(event, parsed.values);

          expect(verdict).toEqual(
            acceptable
              ? decodesTo(event, parsed.values, log)
              : { ok: false, reason: expect.arrayContaining([expect.stringMatching(/\S/)]) },
          );
          if (verdict.ok) seen.accepted++;
          else if (parsed.ok) seen.rejectedWhereEthersParses++;
          else seen.rejected++;
        }),
        { numRuns: 2 * RUNS },
      );
      // Not vacuous: each outcome, the stricter-than-ethers one among them, occurs often.
      expect(seen.accepted).toBeGreaterThan(RUNS / 5);
      expect(seen.rejected).toBeGreaterThan(RUNS / 5);
      expect(seen.rejectedWhereEthersParses).toBeGreaterThan(RUNS / 5);
    });
  });

  describe('scope', () => {
    it('isInScope(log, scope.word, hex40) holds exactly when the scope parameter ethers decodes is that address', () => {
      fc.assert(
        fc.property(
          validCase().chain((valid) => {
            const addresses = valid.event.addressWords.map((i) => valid.args[i] as string);
            return fc.tuple(fc.constant(valid), fc.oneof(fc.constantFrom(...addresses), anyAddress));
          }),
          ([{ event, log }, candidate]) => {
            const hex40 = candidate.slice(2).toLowerCase();
            const parsed = ethersParse(log);
            if (!parsed.ok) throw new Error(`ethers rejects a canonical log: ${parsed.error}`);
            const scopeValue = parsed.values[event.descriptor.scope.field] as string;

            expect(isInScope(log, event.descriptor.scope.word, hex40)).toBe(scopeValue.toLowerCase() === `0x${hex40}`);
          },
        ),
        { numRuns: RUNS },
      );
    });
  });
});
