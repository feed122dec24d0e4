import type { JsMsg } from '@nats-io/jetstream';
import { type NexusEvent, TaskStatus, TaskStatusChangedEvent } from 'ogpu-events';
import { removalOf } from '../../../src/events/removalOf';
import { checksumHex40 } from '../../../src/internal/address';
import { eventMessage } from '../../../src/jetstream/eventMessage';
import { type InvalidMessage, SubjectEvents } from '../../../src/jetstream/SubjectEvents';
import { DEDUPE_WINDOW_BLOCKS } from '../../../src/streams/nexusEventStream';
import type { ValidStreamOptions } from '../../../src/streams/StreamOptions';

// What one JetStream reader makes of the messages of its subject, message by message (the
// server side, consumers and their re-creation, is specified in spec/integration/jetstream).

const TASK = checksumHex40('11'.repeat(20));
const hash = (n: number, tag: string): string => `0x${tag}${n.toString(16).padStart(64 - tag.length, '0')}`;

function statusEvent(blockNumber: number, logIndex: number, options: { block?: string; status?: TaskStatus } = {}) {
  return new TaskStatusChangedEvent({
    blockNumber,
    blockHash: hash(blockNumber, options.block ?? 'b'),
    transactionHash: hash(blockNumber * 100 + logIndex, 'f'),
    logIndex,
    task: TASK,
    status: options.status ?? TaskStatus.ATTEMPTED,
  });
}

/** The message the relay publishes for `event` (a removal carries the header), at stream sequence `seq`. */
function messageOf(event: NexusEvent, seq: number, data?: string): JsMsg {
  const outgoing = eventMessage(event, 31337n);
  const payload = data ?? outgoing.data;
  return {
    seq,
    subject: outgoing.subject,
    headers: event.removed ? { get: (key: string) => (key === 'Ogpu-Removed' ? 'true' : '') } : undefined,
    string: () => payload,
  } as unknown as JsMsg;
}

function reader(options: Partial<ValidStreamOptions> = {}) {
  const invalid: InvalidMessage[] = [];
  const events = new SubjectEvents<TaskStatusChangedEvent>(
    { eventName: 'TaskStatusChanged', scopeField: 'task', scope: TASK.toLowerCase() },
    { fromBlock: undefined, withRemovals: false, ...options },
    (message) => invalid.push(message),
  );
  return { events, invalid };
}

const json = (events: readonly NexusEvent[]) => events.map((e) => e.toJSON());

describe('SubjectEvents: the events a reader makes of its subject’s messages', () => {
  it('turns each message into an equal, frozen event of the core class, and tracks the last sequence', () => {
    const { events } = reader();
    const sent = statusEvent(10, 0);
    const [received, ...rest] = events.take(messageOf(sent, 4));
    expect(rest).toEqual([]);
    expect(received).toBeInstanceOf(TaskStatusChangedEvent);
    expect(Object.isFrozen(received)).toBe(true);
    expect(received?.toJSON()).toEqual(sent.toJSON());
    expect(events.lastSequence).toBe(4);
  });

  it('drops a message at or below the last sequence handled (a consumer made again replays from there)', () => {
    const { events } = reader();
    events.skipTo(9);
    expect(events.take(messageOf(statusEvent(10, 0), 9))).toEqual([]);
    expect(json(events.take(messageOf(statusEvent(10, 1), 10)))).toEqual(json([statusEvent(10, 1)]));
    expect(events.take(messageOf(statusEvent(10, 1), 10))).toEqual([]);
    expect(events.lastSequence).toBe(10);
  });

  it('drops an event republished under a new sequence (the relay after a crash), by transaction and log index', () => {
    const { events } = reader();
    expect(events.take(messageOf(statusEvent(10, 0), 1))).toHaveLength(1);
    expect(events.take(messageOf(statusEvent(10, 0), 2))).toEqual([]);
  });

  it('reports an invalid message with its sequence and reason, and delivers the next one', () => {
    const { events, invalid } = reader();
    expect(events.take(messageOf(statusEvent(10, 0), 5, '{"eventName":"TaskStatusChanged","status":"x"}'))).toEqual([]);
    expect(events.take(messageOf(statusEvent(11, 0), 6, 'not json'))).toEqual([]);
    expect(invalid.map((m) => [m.sequence, m.subject])).toEqual([
      [5, `ogpu.31337.TaskStatusChanged.${TASK.toLowerCase()}`],
      [6, `ogpu.31337.TaskStatusChanged.${TASK.toLowerCase()}`],
    ]);
    expect(invalid[1]?.reason).toEqual(['the payload is not JSON']);
    expect(invalid[0]?.reason.length).toBeGreaterThan(0);
    expect(json(events.take(messageOf(statusEvent(12, 0), 7)))).toEqual(json([statusEvent(12, 0)]));
  });

  it('skips events below fromBlock', () => {
    const { events } = reader({ fromBlock: 11 });
    expect(events.take(messageOf(statusEvent(10, 0), 1))).toEqual([]);
    expect(events.take(messageOf(statusEvent(11, 0), 2))).toHaveLength(1);
  });

  it('without withRemovals: drops removals, and keeps the first copy of an event republished in another block', () => {
    const { events } = reader();
    const original = statusEvent(10, 0);
    events.take(messageOf(original, 1));
    expect(events.take(messageOf(removalOf(original), 2))).toEqual([]);
    expect(events.take(messageOf(statusEvent(10, 0, { block: 'c' }), 3))).toEqual([]);
  });

  it('with withRemovals: passes a removal only for an event it delivered, from the same block', () => {
    const { events } = reader({ withRemovals: true });
    const original = statusEvent(10, 0);
    events.take(messageOf(original, 1));
    // A removal of an event never delivered, or of the same event in another block: nothing to retract.
    expect(events.take(messageOf(removalOf(statusEvent(10, 1)), 2))).toEqual([]);
    expect(events.take(messageOf(removalOf(statusEvent(10, 0, { block: 'c' })), 3))).toEqual([]);
    const [removal, ...rest] = events.take(messageOf(removalOf(original), 4));
    expect(rest).toEqual([]);
    expect(removal?.removed).toBe(true);
    expect(removal?.toJSON()).toEqual({ ...original.toJSON(), removed: true });
    // Retracted once: the same removal again is dropped, and the event may come back.
    expect(events.take(messageOf(removalOf(original), 5))).toEqual([]);
    expect(events.take(messageOf(original, 6))).toHaveLength(1);
  });

  it('with withRemovals: an event republished in another block without its removal retracts the first copy itself', () => {
    const { events } = reader({ withRemovals: true });
    const original = statusEvent(10, 0);
    const moved = statusEvent(10, 0, { block: 'c', status: TaskStatus.RESPONDED });
    events.take(messageOf(original, 1));
    const out = events.take(messageOf(moved, 2));
    expect(out.map((e) => [e.removed, e.blockHash])).toEqual([
      [true, original.blockHash],
      [false, moved.blockHash],
    ]);
  });

  it('forgets events more than the dedupe window below the newest, and takes older ones as seen', () => {
    const { events } = reader();
    events.take(messageOf(statusEvent(10, 0), 1));
    const far = 10 + DEDUPE_WINDOW_BLOCKS + 5;
    expect(events.take(messageOf(statusEvent(far, 0), 2))).toHaveLength(1);
    // Block 10 is now below the window: a copy of its event is not delivered again, nor a new one there.
    expect(events.take(messageOf(statusEvent(10, 0), 3))).toEqual([]);
    expect(events.take(messageOf(statusEvent(10, 7), 4))).toEqual([]);
  });
});
