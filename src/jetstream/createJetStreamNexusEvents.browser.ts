import type { NexusEvents } from '../client/createNexusEvents.js';
import type { JetStreamNexusEventsOptions } from './JetStreamNexusEventsOptions.js';
import { BROWSER_TRANSPORTS } from './browserTransports.js';
import { createJetStreamNexusEventsWith } from './createJetStreamNexusEvents.js';

/**
 * In browsers: the six Nexus streams read from a relay's JetStream stream over NATS
 * WebSocket (`ws://` or `wss://` servers; a `nats://` URL fails with
 * `BrokerUnavailableError`). Otherwise as in Node.js: the same {@link NexusEvents}
 * interface as `createNexusEvents`, the same event classes, options and typed errors.
 *
 * @example
 * ```ts
 * import { createJetStreamNexusEvents } from 'ogpu-events/jetstream';
 *
 * const nexus = createJetStreamNexusEvents({ servers: 'wss://reader:public@board.example.org/nats' });
 * nexus.taskPublished$(source, { withRemovals: true }).subscribe(render);
 * ```
 */
export function createJetStreamNexusEvents(options: JetStreamNexusEventsOptions): NexusEvents {
  return createJetStreamNexusEventsWith(options, BROWSER_TRANSPORTS);
}
