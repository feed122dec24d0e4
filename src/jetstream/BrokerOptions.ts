/**
 * Where the NATS server is and who we are to it: the broker side of the options of
 * `relayToJetStream` and `createJetStreamNexusEvents`.
 *
 * Credentials go in the URL (`nats://user:password@host:4222`, `nats://token@host:4222`)
 * or in `user`/`pass`/`token`; explicit options win over the URL. `tls://` and `wss://`
 * URLs pass through to the client (TLS). `ws://` and `wss://` use NATS over WebSocket: in
 * browsers and on Node.js 22 or later (Node.js 20 has no global `WebSocket`).
 *
 * @example
 * ```ts
 * import type { BrokerOptions } from 'ogpu-events/jetstream';
 *
 * const broker: BrokerOptions = { servers: 'nats://reader:secret@127.0.0.1:4222', stream: 'OGPU_NEXUS' };
 * ```
 */
export interface BrokerOptions {
  /** One server URL or several (of one cluster): `nats://`, `tls://`, `ws://` or `wss://`. */
  readonly servers: string | readonly string[];
  /**
   * The JetStream stream's name.
   * @default 'OGPU_NEXUS'
   */
  readonly stream?: string | undefined;
  /** User name, for servers with user/password authorization. */
  readonly user?: string | undefined;
  /** Password of `user`. */
  readonly pass?: string | undefined;
  /** Token, for servers with token authorization. */
  readonly token?: string | undefined;
}

/**
 * The default JetStream stream name: `OGPU_NEXUS`.
 *
 * @example
 * ```ts
 * import { DEFAULT_STREAM } from 'ogpu-events/jetstream';
 *
 * console.log(`reading ${DEFAULT_STREAM}`);
 * ```
 */
export const DEFAULT_STREAM = 'OGPU_NEXUS';
