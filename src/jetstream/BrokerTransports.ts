import type { ConnectionOptions, NatsConnection } from '@nats-io/nats-core';

/**
 * How to open a connection for each kind of URL. The Node.js entry knows both; the
 * browser entry only WebSocket, so that a browser bundle never reaches Node's `net`.
 */
export interface BrokerTransports {
  readonly tcp: ((options: ConnectionOptions) => Promise<NatsConnection>) | undefined;
  readonly ws: (options: ConnectionOptions) => Promise<NatsConnection>;
}
