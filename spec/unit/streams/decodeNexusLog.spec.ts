import fc from 'fast-check';
import { type EventFragment, Interface, getAddress } from 'ethers';
import {
  AttemptedEvent,
  type NexusEvent,
  type NexusEventName,
  RegisteredEvent,
  ResponseStatus,
  ResponseStatusChangedEvent,
  ResponseSubmittedEvent,
  TaskPublishedEvent,
  TaskStatus,
  TaskStatusChangedEvent,
  type RpcLog,
} from 'ogpu-events';
import { decodeNexusLog, isInScope, shapeProblem } from '../../../src/streams/decodeNexusLog';
import * as descriptors from '../../../src/streams/nexusEventDescriptors';
import type { NexusEventDescriptor } from '../../../src/streams/nexusEventDescriptors';
import abi from '../../fixtures/NexusAbi.json';
import { NEXUS_ADDRESS, addressWord, word } from '../helpers/logs';

const nexusAbi = new Interface(abi);

const SIX: readonly [NexusEventName, NexusEventDescriptor<NexusEvent>, new (...args: never[]) => NexusEvent][] = [
  ['TaskPublished', descriptors.taskPublished, TaskPublishedEvent],
  ['Attempted', descriptors.attempted, AttemptedEvent],
  ['ResponseSubmitted', descriptors.responseSubmitted, ResponseSubmittedEvent],
  ['ResponseStatusChanged', descriptors.responseStatusChanged, ResponseStatusChangedEvent],
  ['TaskStatusChanged', descriptors.taskStatusChanged, TaskStatusChangedEvent],
  ['Registered', descriptors.registered, RegisteredEvent],
];

const fragment = (name: string): EventFragment => {
  const event = nexusAbi.getEvent(name);
  if (event === null) throw new Error(`${name} is not in NexusAbi.json`);
  return event;
};

/** The valid values of each uint8 parameter: the enum's values, or every environment mask. */
const UINT8_VALUES: Readonly<Record<string, readonly number[]>> = {
  'TaskStatusChanged.status': Object.values(TaskStatus),
  'ResponseStatusChanged.status': Object.values(ResponseStatus),
  'Registered.preferredEnvironment': [0, 1, 2, 3, 4, 5, 6, 7],
};

const anyAddress = fc
  .uint8Array({ minLength: 20, maxLength: 20 })
  .map((bytes) => getAddress(`0x${Buffer.from(bytes).toString('hex')}`));

/** Random valid arguments of a Nexus event, from its ABI. */
function validArgs(name: string): fc.Arbitrary<unknown[]> {
  return fc.tuple(
    ...fragment(name).inputs.map((input): fc.Arbitrary<unknown> => {
      switch (input.type) {
        case 'address':
          return anyAddress;
        case 'uint256':
          return fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
        case 'uint8': {
          const values = UINT8_VALUES[`${name}.${input.name}`];
          if (values === undefined) throw new Error(`no valid values for ${name}.${input.name}`);
          return fc.constantFrom(...values);
        }
        default:
          throw new Error(`unexpected ABI type ${input.type}`);
      }
    }),
  );
}

const anyHash = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map((n) => `0x${word(n)}`);
const anyPosition = fc.record({
  blockNumber: fc.nat({ max: 2 ** 40 }),
  blockHash: anyHash,
  transactionHash: anyHash,
  logIndex: fc.nat({ max: 10_000 }),
});

/** A log of the Nexus as the poller hands it on: validated, lower case. */
function logOf(
  topics: readonly string[],
  data: string,
  position = { blockNumber: 7, blockHash: `0x${word(1)}`, transactionHash: `0x${word(2)}`, logIndex: 3 },
): RpcLog {
  return { address: NEXUS_ADDRESS, topics: [...topics], data: data.toLowerCase(), ...position };
}

/** The log ethers' encoder produces for `args`. */
function encodedLog(name: string, args: readonly unknown[]): RpcLog {
  const { topics, data } = nexusAbi.encodeEventLog(fragment(name), [...args]);
  return logOf(topics, data);
}

/** ethers' view of a value: bigints for every uint, numbers only where ours uses enums. */
const comparable = (type: string, value: unknown): unknown => (type === 'uint8' ? Number(value as bigint) : value);

describe('decodeNexusLog', () => {
  describe.each(SIX)('%s', (name, descriptor, EventClass) => {
    it('decodes random valid payloads exactly as ethers Interface.parseLog does', () => {
      fc.assert(
        fc.property(validArgs(name), anyPosition, (args, position) => {
          const { topics, data } = nexusAbi.encodeEventLog(fragment(name), args);
          const decoded = decodeNexusLog(descriptor, logOf(topics, data, position));
          const parsed = nexusAbi.parseLog({ topics, data });

          expect(parsed?.name).toBe(name);
          expect(decoded.ok).toBe(true);
          if (!decoded.ok) return;
          const event = decoded.event as unknown as Record<string, unknown>;
          expect(decoded.event).toBeInstanceOf(EventClass);
          expect(decoded.event.eventName).toBe(name);
          for (const [i, input] of fragment(name).inputs.entries()) {
            expect(event[input.name]).toEqual(comparable(input.type, parsed!.args[i]));
          }
          expect(decoded.event).toMatchObject(position);
        }),
      );
    });

    it('rejects a log with an extra topic, counting its topics', () => {
      fc.assert(
        fc.property(validArgs(name), anyHash, (args, extra) => {
          const log = encodedLog(name, args);
          const withExtra = { ...log, topics: [...log.topics, extra] };
          expect(decodeNexusLog(descriptor, withExtra)).toEqual({
            ok: false,
            reason: [`${name} has no indexed parameter, but the log has 2 topics`],
          });
        }),
        { numRuns: 10 },
      );
    });

    it.each([
      ['an extra word', (data: string) => `${data}${word(0)}`],
      ['a missing word', (data: string) => data.slice(0, -64)],
      ['a missing byte', (data: string) => data.slice(0, -2)],
      ['no data', () => '0x'],
    ])('rejects data with %s, saying how many bytes it must have', (_what, corrupt) => {
      const words = fragment(name).inputs.length;
      const args = fc.sample(validArgs(name), { numRuns: 1, seed: 1 })[0]!;
      const log = encodedLog(name, args);
      const data = corrupt(log.data);
      const result = decodeNexusLog(descriptor, { ...log, data });
      expect(result).toEqual({
        ok: false,
        reason: [`${name} data must be ${words} words (${32 * words} bytes), got ${(data.length - 2) / 2} bytes`],
      });
    });

    it('rejects an address parameter whose padding is not zero', () => {
      const addressWords = fragment(name)
        .inputs.map((input, i) => ({ input, i }))
        .filter(({ input }) => input.type === 'address');
      fc.assert(
        fc.property(
          validArgs(name),
          fc.constantFrom(...addressWords),
          fc.integer({ min: 0, max: 11 }),
          fc.integer({ min: 1, max: 255 }),
          (args, { input, i }, byte, value) => {
            const log = encodedLog(name, args);
            const at = 2 + 64 * i + 2 * byte;
            const data = `${log.data.slice(0, at)}${value.toString(16).padStart(2, '0')}${log.data.slice(at + 2)}`;
            const result = decodeNexusLog(descriptor, { ...log, data });
            expect(result).toEqual({
              ok: false,
              reason: [`${input.name}: address word must have 12 zero bytes of padding`],
            });
          },
        ),
        { numRuns: 30 },
      );
    });
  });

  describe('enum parameters out of range are rejected with a message naming the value', () => {
    it.each([
      ['TaskStatusChanged', descriptors.taskStatusChanged, 'status', 'TaskStatus', 6],
      ['ResponseStatusChanged', descriptors.responseStatusChanged, 'status', 'ResponseStatus', 2],
      ['Registered', descriptors.registered, 'preferredEnvironment', 'Environment', 8],
    ] as const)('%s.%s', (name, descriptor, field, enumName, firstInvalid) => {
      const inputs = fragment(name).inputs;
      const index = inputs.findIndex((input) => input.name === field);
      fc.assert(
        fc.property(validArgs(name), fc.integer({ min: firstInvalid, max: 255 }), (args, value) => {
          const log = encodedLog(name, args);
          const at = 2 + 64 * index;
          const data = `${log.data.slice(0, at)}${word(value)}${log.data.slice(at + 64)}`;
          const result = decodeNexusLog(descriptor as NexusEventDescriptor<NexusEvent>, { ...log, data });
          expect(result.ok).toBe(false);
          expect(!result.ok && result.reason).toEqual([
            expect.stringMatching(new RegExp(`^${field}: ${enumName} ${value} is out of range`)),
          ]);
        }),
        { numRuns: 30 },
      );
    });

    it('rejects a uint8 enum word with dirty padding even when its low byte is valid', () => {
      const log = encodedLog('TaskStatusChanged', [getAddress(`0x${'12'.repeat(20)}`), TaskStatus.NEW]);
      const data = `0x${log.data.slice(2, 66)}01${'0'.repeat(60)}00`;
      expect(decodeNexusLog(descriptors.taskStatusChanged, { ...log, data })).toEqual({
        ok: false,
        reason: ['status: TaskStatus word must be a uint8 with 31 zero bytes of padding'],
      });
    });
  });

  it('fills the event position from the log', () => {
    const task = getAddress(`0x${'3c'.repeat(20)}`);
    const position = { blockNumber: 1234, blockHash: `0x${word(55)}`, transactionHash: `0x${word(66)}`, logIndex: 9 };
    const { topics, data } = nexusAbi.encodeEventLog(fragment('TaskStatusChanged'), [task, TaskStatus.FINALIZED]);
    const result = decodeNexusLog(descriptors.taskStatusChanged, logOf(topics, data, position));

    expect(result.ok && result.event).toEqual(
      new TaskStatusChangedEvent({ task, status: TaskStatus.FINALIZED, ...position }),
    );
  });
});

describe('shapeProblem', () => {
  it('accepts exactly one topic and one word per parameter', () => {
    const log = encodedLog('Attempted', [getAddress(`0x${'01'.repeat(20)}`), getAddress(`0x${'02'.repeat(20)}`), 5n]);
    expect(shapeProblem(descriptors.attempted, log)).toBeUndefined();
  });

  it('reports a log without topics', () => {
    const log = encodedLog('Attempted', [getAddress(`0x${'01'.repeat(20)}`), getAddress(`0x${'02'.repeat(20)}`), 5n]);
    expect(shapeProblem(descriptors.attempted, { ...log, topics: [] })).toBe(
      'Attempted has no indexed parameter, but the log has 0 topics',
    );
  });
});

describe('isInScope', () => {
  const a = `0x${'a1'.repeat(20)}`;
  const b = `0x${'b2'.repeat(20)}`;
  const log = logOf([descriptors.responseSubmitted.topic0], `0x${addressWord(a)}${addressWord(b)}`);

  it('is true when the given data word holds the address', () => {
    expect(isInScope(log, 0, a.slice(2))).toBe(true);
    expect(isInScope(log, 1, b.slice(2))).toBe(true);
  });

  it('is false when another word holds it, or for another address', () => {
    expect(isInScope(log, 1, a.slice(2))).toBe(false);
    expect(isInScope(log, 0, b.slice(2))).toBe(false);
  });

  it('is false when the data ends before the word', () => {
    expect(isInScope({ ...log, data: `0x${addressWord(a)}` }, 1, a.slice(2))).toBe(false);
  });
});
