import type { BrokerOptions } from './BrokerOptions.js';

/**
 * Options of `createJetStreamNexusEvents`: where the relay's stream is (see
 * {@link BrokerOptions}). The chain and the Nexus are the relay's: they are in the stream.
 *
 * @example
 * ```ts
 * import type { JetStreamNexusEventsOptions } from 'ogpu-events/jetstream';
 *
 * const options: JetStreamNexusEventsOptions = { servers: 'nats://reader:secret@127.0.0.1:4222' };
 * ```
 */
export type JetStreamNexusEventsOptions = BrokerOptions;
