import { getAddress } from 'ethers';
import { type Observable } from 'rxjs';
import {
  AttemptedEvent,
  createNexusEvents,
  type NexusEvent,
  type NexusEvents,
  RegisteredEvent,
  ResponseStatus,
  ResponseStatusChangedEvent,
  ResponseSubmittedEvent,
  TaskPublishedEvent,
  TaskStatus,
  TaskStatusChangedEvent,
} from 'ogpu-events';
import { collect } from '../support/streams';
import { randomAddress, startTestChain, type TestChain } from '../support/testChain';

let chain: TestChain;
let nexus: NexusEvents;

beforeAll(async () => {
  chain = await startTestChain();
  nexus = createNexusEvents({ rpcUrl: chain.url, address: chain.nexusAddress, pollInterval: 50 });
});
afterAll(() => chain.stop());

interface StreamCase {
  readonly stream: string;
  readonly eventClass: abstract new (...args: never[]) => NexusEvent;
  /** Emits one event whose scope is `scope`; returns the fields the event must carry. */
  readonly emit: (scope: string) => Promise<Record<string, unknown>>;
  readonly watch: (scope: string, fromBlock: number) => Observable<NexusEvent>;
}

const cases: StreamCase[] = [
  {
    stream: 'taskPublished$ (scoped by source)',
    eventClass: TaskPublishedEvent,
    emit: async (source) => {
      const task = randomAddress();
      await chain.send('emitTaskPublished', task, source);
      return { eventName: 'TaskPublished', task, source };
    },
    watch: (source, fromBlock) => nexus.taskPublished$(source, { fromBlock }),
  },
  {
    stream: 'attempted$ (scoped by task)',
    eventClass: AttemptedEvent,
    emit: async (task) => {
      const provider = randomAddress();
      const suggestedPayment = 2n ** 200n + 12345n;
      await chain.send('emitAttempted', task, provider, suggestedPayment);
      return { eventName: 'Attempted', task, provider, suggestedPayment };
    },
    watch: (task, fromBlock) => nexus.attempted$(task, { fromBlock }),
  },
  {
    stream: 'responseSubmitted$ (scoped by task, the second word)',
    eventClass: ResponseSubmittedEvent,
    emit: async (task) => {
      const response = randomAddress();
      await chain.send('emitResponseSubmitted', response, task);
      return { eventName: 'ResponseSubmitted', response, task };
    },
    watch: (task, fromBlock) => nexus.responseSubmitted$(task, { fromBlock }),
  },
  {
    stream: 'responseStatusChanged$ (scoped by response)',
    eventClass: ResponseStatusChangedEvent,
    emit: async (response) => {
      await chain.send('emitResponseStatusChanged', response, ResponseStatus.CONFIRMED);
      return { eventName: 'ResponseStatusChanged', response, status: ResponseStatus.CONFIRMED };
    },
    watch: (response, fromBlock) => nexus.responseStatusChanged$(response, { fromBlock }),
  },
  {
    stream: 'taskStatusChanged$ (scoped by task)',
    eventClass: TaskStatusChangedEvent,
    emit: async (task) => {
      await chain.send('emitTaskStatusChanged', task, TaskStatus.EXPIRED);
      return { eventName: 'TaskStatusChanged', task, status: TaskStatus.EXPIRED };
    },
    watch: (task, fromBlock) => nexus.taskStatusChanged$(task, { fromBlock }),
  },
  {
    stream: 'registered$ (scoped by source, the third word)',
    eventClass: RegisteredEvent,
    emit: async (source) => {
      const provider = randomAddress();
      await chain.send('emitRegistered', provider, 77n, source, 6);
      return { eventName: 'Registered', provider, registrantId: 77n, source, preferredEnvironment: 6 };
    },
    watch: (source, fromBlock) => nexus.registered$(source, { fromBlock }),
  },
];

describe.each(cases)('$stream', ({ eventClass, emit, watch }) => {
  it('delivers exactly the events of its scope, with every field decoded and typed, as frozen instances', async () => {
    const scope = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    const first = await emit(scope);
    await emit(randomAddress()); // another scope: must not appear
    await chain.send('emitNoise', scope); // other Nexus events: must not appear
    const second = await emit(scope);
    const receipt = await chain.send('emitTaskPublished', randomAddress(), randomAddress());

    const events = await collect(watch(scope, fromBlock), 2);

    expect(events.map((e) => pick(e, Object.keys(first)))).toEqual([first, second]);
    for (const event of events) {
      expect(event).toBeInstanceOf(eventClass);
      expect(Object.isFrozen(event)).toBe(true);
      expect(() => {
        (event as unknown as { blockNumber: number }).blockNumber = 0;
      }).toThrow(TypeError);
      expect(typeof event.blockNumber).toBe('number');
      expect(typeof event.logIndex).toBe('number');
      expect(event.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(event.blockHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(event.blockNumber).toBeGreaterThanOrEqual(fromBlock);
      expect(event.blockNumber).toBeLessThan(receipt.blockNumber);
      for (const value of Object.values(event)) {
        if (typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)) expect(value).toBe(getAddress(value));
      }
    }
  });

  it('accepts its scope address in lower case and in checksummed form alike', async () => {
    const scope = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    const expected = await emit(scope);

    const [lower] = await collect(watch(scope.toLowerCase(), fromBlock), 1);
    const [checksummed] = await collect(watch(scope, fromBlock), 1);

    expect(lower).toEqual(checksummed);
    expect(pick(lower!, Object.keys(expected))).toEqual(expected);
  });
});

function pick(event: NexusEvent, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, (event as unknown as Record<string, unknown>)[key]]));
}
