import type { NexusEvents } from '../client/createNexusEvents.js';
import type { JetStreamNexusEventsOptions } from './JetStreamNexusEventsOptions.js';
import { createJetStreamNexusEventsWith } from './createJetStreamNexusEvents.js';
import { NODE_TRANSPORTS } from './nodeTransports.js';

/**
 * The six Nexus streams and `diagnostics$` — the same {@link NexusEvents} interface as
 * `createNexusEvents`, the same event classes, options and typed errors — read from the
 * JetStream stream a `relayToJetStream` fills, instead of from the chain. Each stream reads
 * only its own subject (the server filters); `fromBlock` replays the subject from that block
 * and follows live with no gap or repeat; without it, only events published after
 * subscribing. Messages are validated before they become events; a malformed one is
 * reported on `diagnostics$` (`invalid-message`) and skipped. A stream subscribed before
 * the relay created the JetStream stream waits for it (`broker-wait`). Unsubscribing
 * deletes the stream's consumer on the server; the connection closes with the last stream.
 *
 * Throws an `OgpuEventsError` at the call for an invalid option, address or stream option.
 *
 * @example
 * ```ts
 * import { TaskStatus } from 'ogpu-events';
 * import { createJetStreamNexusEvents } from 'ogpu-events/jetstream';
 *
 * const nexus = createJetStreamNexusEvents({ servers: 'nats://reader:secret@127.0.0.1:4222' });
 * nexus.taskStatusChanged$(task, { fromBlock: 0, withRemovals: true }).subscribe((e) =>
 *   console.log(e.removed ? 'retracted' : 'status', e.status, 'at block', e.blockNumber),
 * );
 * ```
 */
export function createJetStreamNexusEvents(options: JetStreamNexusEventsOptions): NexusEvents {
  return createJetStreamNexusEventsWith(options, NODE_TRANSPORTS);
}
