import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { type BrokerOptions, DEFAULT_STREAM } from './BrokerOptions.js';

/** Broker options after validation: URLs without credentials, credentials apart. */
export interface ResolvedBroker {
  /** The server URLs without credentials (also what errors and logs show). */
  readonly servers: readonly string[];
  /** `ws` when the URLs are `ws://` or `wss://`. */
  readonly transport: 'tcp' | 'ws';
  readonly stream: string;
  readonly user: string | undefined;
  readonly pass: string | undefined;
  readonly token: string | undefined;
}

export const BROKER_OPTION_KEYS: readonly string[] = ['servers', 'stream', 'user', 'pass', 'token'];

const SCHEMES: Readonly<Record<string, 'tcp' | 'ws'>> = { 'nats:': 'tcp', 'tls:': 'tcp', 'ws:': 'ws', 'wss:': 'ws' };
// JetStream stream names: no whitespace, '.', '*', '>', path separators.
const STREAM_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Validates the broker options and takes credentials out of the URLs (the `@nats-io`
 * clients ignore credentials written in a URL). Throws {@link InvalidOptionError}.
 */
export function resolveBrokerOptions(options: BrokerOptions): ResolvedBroker {
  const given: unknown = options.servers;
  const list: unknown[] = typeof given === 'string' ? [given] : Array.isArray(given) ? given : [];
  if (list.length === 0 || !list.every((s): s is string => typeof s === 'string')) {
    throw new InvalidOptionError('servers', given, 'a NATS server URL (nats://host:4222) or a non-empty array of them');
  }
  let user: string | undefined;
  let pass: string | undefined;
  let token: string | undefined;
  const transports = new Set<'tcp' | 'ws'>();
  const servers = list.map((server) => {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new InvalidOptionError('servers', server, 'a URL like nats://host:4222 (or tls://, ws://, wss://)');
    }
    const transport = SCHEMES[url.protocol];
    if (transport === undefined || url.hostname === '') {
      throw new InvalidOptionError('servers', server, 'a URL like nats://host:4222 (or tls://, ws://, wss://)');
    }
    transports.add(transport);
    if (url.username !== '' && url.password !== '') {
      user ??= decodeURIComponent(url.username);
      pass ??= decodeURIComponent(url.password);
    } else if (url.username !== '') {
      token ??= decodeURIComponent(url.username);
    }
    url.username = '';
    url.password = '';
    // URL keeps a trailing slash on ws URLs only; the host and port are what matter.
    return transport === 'ws' ? url.toString().replace(/\/$/, '') : `${url.protocol}//${url.host}`;
  });
  if (transports.size > 1) {
    throw new InvalidOptionError('servers', given, 'URLs of one kind: all nats:// and tls://, or all ws:// and wss://');
  }
  const stream: unknown = options.stream ?? DEFAULT_STREAM;
  if (typeof stream !== 'string' || !STREAM_NAME.test(stream)) {
    throw new InvalidOptionError('stream', stream, 'a JetStream stream name (letters, digits, _ and -)');
  }
  for (const key of ['user', 'pass', 'token'] as const) {
    const value: unknown = options[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new InvalidOptionError(key, key === 'user' ? value : '<hidden>', 'a non-empty string');
    }
  }
  return {
    servers,
    transport: transports.has('ws') ? 'ws' : 'tcp',
    stream,
    user: options.user ?? user,
    pass: options.pass ?? pass,
    token: options.token ?? token,
  };
}
