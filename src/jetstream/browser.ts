/**
 * `ogpu-events/jetstream` in browsers (the `browser` export condition): the consumer side
 * only, over NATS WebSocket (`ws://` and `wss://` servers). The relay runs in Node.js.
 *
 * @packageDocumentation
 */

export { createJetStreamNexusEvents } from './createJetStreamNexusEvents.browser.js';
export type { JetStreamNexusEventsOptions } from './JetStreamNexusEventsOptions.js';
export type { RelayProgress } from './RelayProgress.js';
export { type BrokerOptions, DEFAULT_STREAM } from './BrokerOptions.js';
export { REMOVED_HEADER, MSG_ID_HEADER } from './subjects.js';

export { BrokerUnavailableError } from '../errors/BrokerUnavailableError.js';
export { BrokerAuthenticationError } from '../errors/BrokerAuthenticationError.js';
export { BrokerPermissionError } from '../errors/BrokerPermissionError.js';
export { StreamMismatchError } from '../errors/StreamMismatchError.js';
