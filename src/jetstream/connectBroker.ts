import {
  AuthorizationError,
  type ConnectionOptions,
  type NatsConnection,
  NoRespondersError,
  PermissionViolationError,
} from '@nats-io/nats-core';
import { BrokerAuthenticationError } from '../errors/BrokerAuthenticationError.js';
import { BrokerPermissionError } from '../errors/BrokerPermissionError.js';
import { BrokerUnavailableError } from '../errors/BrokerUnavailableError.js';
import { OgpuEventsError } from '../errors/OgpuEventsError.js';
import type { BrokerTransports } from './BrokerTransports.js';
import type { ResolvedBroker } from './resolveBrokerOptions.js';

/**
 * Opens a connection that reconnects forever once it is up (a broker restart is waited
 * out, and the client re-sends what it buffered). A first connection that fails, fails
 * with a typed error: refused credentials ({@link BrokerAuthenticationError}) or no
 * server ({@link BrokerUnavailableError}).
 */
export async function connectBroker(
  broker: ResolvedBroker,
  transports: BrokerTransports,
  name: string,
): Promise<NatsConnection> {
  const connect = broker.transport === 'ws' ? transports.ws : transports.tcp;
  if (connect === undefined) {
    throw new BrokerUnavailableError(broker.servers, 'only ws:// and wss:// servers can be reached from a browser');
  }
  const options: ConnectionOptions = {
    servers: [...broker.servers],
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5_000,
    ...(broker.user === undefined ? {} : { user: broker.user }),
    ...(broker.pass === undefined ? {} : { pass: broker.pass }),
    ...(broker.token === undefined ? {} : { token: broker.token }),
  };
  try {
    return await connect(options);
  } catch (error: unknown) {
    throw brokerError(broker.servers, error, `connect to ${broker.servers.join(', ')}`);
  }
}

/** The library's typed error for a failure of the NATS client or server. */
export function brokerError(servers: readonly string[], error: unknown, operation: string): OgpuEventsError {
  if (error instanceof OgpuEventsError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  if (error instanceof AuthorizationError || cause instanceof AuthorizationError || /authoriz/i.test(message)) {
    return new BrokerAuthenticationError(servers, error);
  }
  if (
    error instanceof PermissionViolationError ||
    cause instanceof PermissionViolationError ||
    /permission/i.test(message)
  ) {
    return new BrokerPermissionError(operation, error);
  }
  if (error instanceof NoRespondersError || /no responders|503/i.test(message)) {
    return new BrokerUnavailableError(servers, `${operation}: no JetStream answered (is JetStream enabled?)`, error);
  }
  return new BrokerUnavailableError(servers, `${operation}: ${message}`, error);
}
