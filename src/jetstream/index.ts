/**
 * `ogpu-events/jetstream`: one relay per chain publishes the Nexus events into NATS
 * JetStream; any number of services and browsers read the same typed streams from it.
 * Needs the optional peer dependencies `@nats-io/nats-core`, `@nats-io/jetstream` and (in
 * Node.js) `@nats-io/transport-node`; the main entry `ogpu-events` loads none of them.
 *
 * @packageDocumentation
 */

export { createJetStreamNexusEvents } from './createJetStreamNexusEvents.node.js';
export type { JetStreamNexusEventsOptions } from './JetStreamNexusEventsOptions.js';
export { relayToJetStream } from './relayToJetStream.js';
export type { RelayOptions } from './RelayOptions.js';
export type { RelayProgress } from './RelayProgress.js';
export { type BrokerOptions, DEFAULT_STREAM } from './BrokerOptions.js';
export { REMOVED_HEADER, MSG_ID_HEADER } from './subjects.js';

export { BrokerUnavailableError } from '../errors/BrokerUnavailableError.js';
export { BrokerAuthenticationError } from '../errors/BrokerAuthenticationError.js';
export { BrokerPermissionError } from '../errors/BrokerPermissionError.js';
export { StreamMismatchError } from '../errors/StreamMismatchError.js';
