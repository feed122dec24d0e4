import {
  AttemptedEvent,
  type NexusEvent,
  RegisteredEvent,
  ResponseStatusChangedEvent,
  ResponseSubmittedEvent,
  TaskPublishedEvent,
  TaskStatusChangedEvent,
} from 'ogpu-events';
import { removalOf } from '../../../src/events/removalOf';
import { decodeEventMessage } from '../../../src/jetstream/eventMessageCodec';
import { SCOPE_FIELDS, eventMessage, parseEventSubject } from '../../../src/jetstream/eventMessage';
import { checksumHex40 } from '../../../src/internal/address';

const address = (byte: string): string => checksumHex40(byte.repeat(20));
const position = {
  blockNumber: 7,
  blockHash: `0x${'ab'.repeat(32)}`,
  transactionHash: `0x${'cd'.repeat(32)}`,
  logIndex: 3,
};
const EVENTS: readonly NexusEvent[] = [
  new TaskPublishedEvent({ ...position, task: address('11'), source: address('22') }),
  new AttemptedEvent({ ...position, task: address('11'), provider: address('33'), suggestedPayment: 2n ** 255n }),
  new ResponseSubmittedEvent({ ...position, response: address('44'), task: address('11') }),
  new ResponseStatusChangedEvent({ ...position, response: address('44'), status: 1 }),
  new TaskStatusChangedEvent({ ...position, task: address('11'), status: 5 }),
  new RegisteredEvent({
    ...position,
    provider: address('33'),
    registrantId: 12n,
    source: address('22'),
    preferredEnvironment: 6,
  }),
];

/** What a consumer of the message's subject expects. */
function expectationOf(subject: string, removedHeader: boolean) {
  const parsed = parseEventSubject(subject)!;
  return {
    eventName: parsed.eventName,
    scopeField: SCOPE_FIELDS.get(parsed.eventName)!,
    scope: parsed.scope,
    removedHeader,
  };
}

describe('the wire format of relayed events', () => {
  it.each(EVENTS.map((e) => [e.eventName, e] as const))(
    '%s: subject by its scope field, toJSON() payload, and back to an equal frozen event of the same class',
    (_name, event) => {
      const message = eventMessage(event, 31337n);
      const scope = (event as unknown as Record<string, string>)[SCOPE_FIELDS.get(event.eventName)!]!;
      expect(message.subject).toBe(`ogpu.31337.${event.eventName}.${scope.toLowerCase()}`);
      expect(JSON.parse(message.data)).toEqual(event.toJSON());
      expect(message.id).toBe(`${position.transactionHash}:3:${position.blockHash}`);
      expect(message.headers).toBeUndefined();
      const decoded = decodeEventMessage(expectationOf(message.subject, false), message.data);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(decoded.event).toBeInstanceOf(event.constructor);
      expect(decoded.event).toEqual(event);
      expect(Object.isFrozen(decoded.event)).toBe(true);
    },
  );

  it('marks a removal with the header, an id of its own, and removed: true in the payload', () => {
    const removal = removalOf(EVENTS[4]!);
    const message = eventMessage(removal, 31337n);
    expect(message.headers?.get('Ogpu-Removed')).toBe('true');
    expect(message.id).toBe(`${position.transactionHash}:3:${position.blockHash}:removed`);
    const decoded = decodeEventMessage(expectationOf(message.subject, true), message.data);
    expect(decoded.ok && decoded.event.removed).toBe(true);
    // A payload saying removed without the header (or the reverse) is not taken.
    expect(decodeEventMessage(expectationOf(message.subject, false), message.data).ok).toBe(false);
  });

  it('rejects, with reporter lines, payloads that are not the event of their subject', () => {
    const event = EVENTS[4]!;
    const { subject, data } = eventMessage(event, 31337n);
    const expected = expectationOf(subject, false);
    const json = event.toJSON();
    const reject = (payload: unknown): readonly string[] => {
      const decoded = decodeEventMessage(expected, typeof payload === 'string' ? payload : JSON.stringify(payload));
      if (decoded.ok) throw new Error(`accepted ${JSON.stringify(payload)}`);
      return decoded.reason;
    };
    expect(reject('{')).toEqual(['the payload is not JSON']);
    expect(reject({ ...json, status: 6 }).join()).toMatch(/TaskStatus must be 0 to 5/);
    expect(reject({ ...json, blockNumber: -1 }).join()).toMatch(/blockNumber/);
    expect(reject({ ...json, blockHash: '0x12' }).join()).toMatch(/blockHash/);
    expect(reject({ ...json, eventName: 'Attempted' }).join()).toMatch(/eventName/);
    expect(reject({ ...json, task: address('99') }).join()).toMatch(/but the subject is for/);
    const withoutStatus: Record<string, unknown> = { ...json };
    delete withoutStatus['status'];
    expect(reject(withoutStatus).join()).toMatch(/status/);
    expect(decodeEventMessage(expected, data).ok).toBe(true);
  });

  it('rejects a uint256 that is not a decimal string or does not fit', () => {
    const event = EVENTS[1]!;
    const { subject } = eventMessage(event, 1n);
    const json = event.toJSON();
    for (const suggestedPayment of [12, '0x10', '-1', (2n ** 256n).toString(), '01']) {
      expect(decodeEventMessage(expectationOf(subject, false), JSON.stringify({ ...json, suggestedPayment })).ok).toBe(
        false,
      );
    }
  });

  it('parses event subjects and nothing else', () => {
    expect(parseEventSubject('ogpu.1071.TaskPublished.0xab')).toEqual({
      chainId: 1071n,
      eventName: 'TaskPublished',
      scope: '0xab',
    });
    expect(parseEventSubject('ogpu.1071._checkpoint')).toBeUndefined();
    expect(parseEventSubject('ogpu.1071.SourcePublished.0xab')).toBeUndefined();
    expect(parseEventSubject('ogpu.x.TaskPublished.0xab')).toBeUndefined();
    expect(parseEventSubject('ogpu.1.TaskPublished.0xab.more')).toBeUndefined();
  });
});
