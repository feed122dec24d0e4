import { wsconnect } from '@nats-io/nats-core';
import type { BrokerTransports } from './BrokerTransports.js';

/** Browsers: NATS over WebSocket only. */
export const BROWSER_TRANSPORTS: BrokerTransports = { tcp: undefined, ws: wsconnect };
