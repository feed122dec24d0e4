import {
  AttemptedEvent,
  Environment,
  type LogPosition,
  type NexusEvent,
  RegisteredEvent,
  ResponseStatus,
  ResponseStatusChangedEvent,
  ResponseSubmittedEvent,
  TaskPublishedEvent,
  TaskStatus,
  TaskStatusChangedEvent,
  enumKey,
  environmentNames,
  hasEnvironment,
} from 'ogpu-events';
import { removalOf } from '../../../src/events/removalOf';

const position: LogPosition = {
  blockNumber: 42,
  blockHash: `0x${'b1'.repeat(32)}`,
  transactionHash: `0x${'c2'.repeat(32)}`,
  logIndex: 3,
};
const A = '0xAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa';
const B = '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB';
const BIG = 2n ** 255n + 7n;

const EVENTS: readonly [string, () => NexusEvent, Record<string, unknown>][] = [
  ['TaskPublished', () => new TaskPublishedEvent({ task: A, source: B, ...position }), { task: A, source: B }],
  [
    'Attempted',
    () => new AttemptedEvent({ task: A, provider: B, suggestedPayment: BIG, ...position }),
    { task: A, provider: B, suggestedPayment: BIG.toString() },
  ],
  [
    'ResponseSubmitted',
    () => new ResponseSubmittedEvent({ response: A, task: B, ...position }),
    { response: A, task: B },
  ],
  [
    'ResponseStatusChanged',
    () => new ResponseStatusChangedEvent({ response: A, status: ResponseStatus.CONFIRMED, ...position }),
    { response: A, status: 1 },
  ],
  [
    'TaskStatusChanged',
    () => new TaskStatusChangedEvent({ task: A, status: TaskStatus.FINALIZED, ...position }),
    { task: A, status: 5 },
  ],
  [
    'Registered',
    () =>
      new RegisteredEvent({
        provider: A,
        registrantId: BIG,
        source: B,
        preferredEnvironment: Environment.CPU | Environment.AMD,
        ...position,
      }),
    { provider: A, registrantId: BIG.toString(), source: B, preferredEnvironment: 5 },
  ],
];

describe.each(EVENTS)('%sEvent', (name, create, jsonFields) => {
  it('carries its eventName and the log position, and is not a removal', () => {
    const event = create();
    expect(event.eventName).toBe(name);
    expect(event).toMatchObject(position);
    expect(event.removed).toBe(false);
  });

  it('has a removal: a frozen copy of the same class with removed: true, in toJSON too', () => {
    const event = create();
    const removal = removalOf(event);
    expect(removal).toBeInstanceOf(event.constructor);
    expect(removal).not.toBe(event);
    expect(removal.removed).toBe(true);
    expect(Object.isFrozen(removal)).toBe(true);
    expect({ ...removal, removed: false }).toEqual({ ...event });
    expect(removal.toJSON()).toEqual({ ...event.toJSON(), removed: true });
    expect(event.removed).toBe(false);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(create())).toBe(true);
  });

  it('throws on assignment in strict mode (this module is strict), and keeps its values', () => {
    const event = create() as unknown as Record<string, unknown>;
    expect(() => {
      event['blockNumber'] = 1;
    }).toThrow(TypeError);
    expect(() => {
      event['eventName'] = 'Other';
    }).toThrow(TypeError);
    expect(() => {
      event['extra'] = true;
    }).toThrow(TypeError);
    expect(event['blockNumber']).toBe(42);
    expect(event['eventName']).toBe(name);
    expect('extra' in event).toBe(false);
  });

  it('toJSON is a plain JSON-safe copy with bigints as decimal strings', () => {
    const event = create();
    const json = event.toJSON();

    expect(json).toEqual({ eventName: name, ...position, removed: false, ...jsonFields });
    expect(Object.values(json).some((value) => typeof value === 'bigint')).toBe(false);
    expect(JSON.parse(JSON.stringify(event))).toEqual(json);
  });
});

describe('enums', () => {
  it('enumKey names a wire value, and is undefined for an unknown one', () => {
    expect(enumKey(TaskStatus, 5)).toBe('FINALIZED');
    expect(enumKey(ResponseStatus, 0)).toBe('SUBMITTED');
    expect(enumKey(TaskStatus, 6)).toBeUndefined();
  });

  it('hasEnvironment tests one flag of a mask', () => {
    const mask = Environment.CPU | Environment.NVIDIA;
    expect(hasEnvironment(mask, Environment.NVIDIA)).toBe(true);
    expect(hasEnvironment(mask, Environment.AMD)).toBe(false);
    expect(hasEnvironment(0, Environment.CPU)).toBe(false);
  });

  it('environmentNames lists the flags of a mask by name, in flag order, and none for 0', () => {
    expect(environmentNames(Environment.AMD | Environment.CPU)).toEqual(['CPU', 'AMD']);
    expect(environmentNames(7)).toEqual(['CPU', 'NVIDIA', 'AMD']);
    expect(environmentNames(0)).toEqual([]);
    expect(environmentNames(8)).toEqual([]); // a bit no environment has
  });

  it('the enum objects are frozen', () => {
    expect(Object.isFrozen(TaskStatus)).toBe(true);
    expect(Object.isFrozen(ResponseStatus)).toBe(true);
    expect(Object.isFrozen(Environment)).toBe(true);
  });
});
