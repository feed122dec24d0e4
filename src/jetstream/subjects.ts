import type { NexusEventName } from '../nexus/nexusEventTopics.js';

/**
 * The subject layout of a relay's JetStream stream, for consumers in any language:
 * - `ogpu.<chainId>.<EventName>.<scope>`: one event (or removal) per message, `scope` being
 *   the address the event's stream is scoped by, lower case;
 * - `ogpu.<chainId>._checkpoint`: the relay's own cursor (three tokens, so that the
 *   four-token filter `ogpu.<chainId>.*.*` leaves it out).
 */
export const SUBJECT_ROOT = 'ogpu';

/** The subjects of a relay's stream for chain `chainId`: `ogpu.<chainId>.>`. */
export const streamSubjectsOf = (chainId: bigint): string => `${SUBJECT_ROOT}.${chainId}.>`;

/** The subject of an event: `ogpu.<chainId>.<EventName>.<scope, lower case>`. */
export const eventSubjectOf = (chainId: bigint, event: NexusEventName, scope: string): string =>
  `${SUBJECT_ROOT}.${chainId}.${event}.${scope.toLowerCase()}`;

/** The subject of the relay's checkpoint: `ogpu.<chainId>._checkpoint`. */
export const checkpointSubjectOf = (chainId: bigint): string => `${SUBJECT_ROOT}.${chainId}._checkpoint`;

/** The chain id a stream's subjects (`["ogpu.<chainId>.>"]`) name, or `undefined`. */
export function chainIdOfSubjects(subjects: readonly string[] | undefined): bigint | undefined {
  if (subjects?.length !== 1) return undefined;
  const match = /^ogpu\.(\d{1,30})\.>$/.exec(subjects[0] ?? '');
  return match?.[1] === undefined ? undefined : BigInt(match[1]);
}

/**
 * Header that marks a removal (a retraction of an event a reorg took back): value `true`.
 * For consumers reading the stream with a NATS client of their own.
 *
 * @example
 * ```ts
 * import { REMOVED_HEADER } from 'ogpu-events/jetstream';
 *
 * const removed = message.headers?.get(REMOVED_HEADER) === 'true';
 * ```
 */
export const REMOVED_HEADER = 'Ogpu-Removed';

/**
 * JetStream's de-duplication header: the relay sets it to
 * `<transactionHash>:<logIndex>:<blockHash>` (and `…:removed` on a removal).
 *
 * @example
 * ```ts
 * import { MSG_ID_HEADER } from 'ogpu-events/jetstream';
 *
 * const [transactionHash, logIndex] = (message.headers?.get(MSG_ID_HEADER) ?? '').split(':');
 * ```
 */
export const MSG_ID_HEADER = 'Nats-Msg-Id';

/**
 * The message id of an event: `<transactionHash>:<logIndex>:<blockHash>`, and
 * `…:removed` for its removal. The block hash is part of it so that an event mined again
 * in another block after a reorg (same transaction and, possibly, log index) is a new
 * message, not a duplicate the broker drops.
 */
export function messageIdOf(event: {
  readonly transactionHash: string;
  readonly logIndex: number;
  readonly blockHash: string;
  readonly removed: boolean;
}): string {
  const id = `${event.transactionHash}:${event.logIndex}:${event.blockHash}`;
  return event.removed ? `${id}:removed` : id;
}
