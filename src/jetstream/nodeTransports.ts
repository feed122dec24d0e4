import { wsconnect } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { BrokerTransports } from './BrokerTransports.js';

/** Node.js: TCP (and TLS) through `@nats-io/transport-node`, WebSocket through the platform's `WebSocket` (Node.js ≥ 22). */
export const NODE_TRANSPORTS: BrokerTransports = { tcp: connect, ws: wsconnect };
