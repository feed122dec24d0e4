import { headers as natsHeaders } from '@nats-io/nats-core';
import type { NexusEvent } from '../events/NexusEvent.js';
import type { NexusEventName } from '../nexus/nexusEventTopics.js';
import { DESCRIPTORS_BY_TOPIC } from '../streams/nexusEventDescriptors.js';
import type { OutgoingMessage } from './publishWindow.js';
import { REMOVED_HEADER, SUBJECT_ROOT, eventSubjectOf, messageIdOf } from './subjects.js';

/** The field each event's stream is scoped by: the last token of its subject. */
export const SCOPE_FIELDS: ReadonlyMap<NexusEventName, string> = new Map(
  [...DESCRIPTORS_BY_TOPIC.values()].map((d): [NexusEventName, string] => [d.name, d.scope.field]),
);

/** The message for `event` (or its removal): subject, `toJSON()` payload, message id, removal header. */
export function eventMessage(event: NexusEvent, chainId: bigint): OutgoingMessage {
  const scope = (event as unknown as Record<string, unknown>)[SCOPE_FIELDS.get(event.eventName) ?? ''];
  if (typeof scope !== 'string') throw new Error(`${event.eventName} has no scope field`);
  let headers;
  if (event.removed) {
    headers = natsHeaders();
    headers.set(REMOVED_HEADER, 'true');
  }
  return {
    subject: eventSubjectOf(chainId, event.eventName, scope),
    data: JSON.stringify(event.toJSON()),
    id: messageIdOf(event),
    headers,
  };
}

/** The parts of an event subject, or `undefined` for any other subject. */
export function parseEventSubject(
  subject: string,
): { readonly chainId: bigint; readonly eventName: NexusEventName; readonly scope: string } | undefined {
  const [root, chain, name, scope, ...rest] = subject.split('.');
  if (root !== SUBJECT_ROOT || chain === undefined || !/^\d+$/.test(chain) || scope === undefined || rest.length > 0) {
    return undefined;
  }
  if (!SCOPE_FIELDS.has(name as NexusEventName)) return undefined;
  return { chainId: BigInt(chain), eventName: name as NexusEventName, scope };
}
