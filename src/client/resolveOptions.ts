import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { type NormalizedAddress, normalizeAddress } from '../internal/address.js';
import { hasMethods } from '../internal/hasMethods.js';
import { NETWORKS, type NetworkPreset } from '../nexus/networks.js';
import type { NexusRpc } from '../rpc/NexusRpc.js';
import type { RequestPolicy } from '../source/RequestPolicy.js';
import { httpRpc } from '../rpc/httpRpc.js';
import { rpcFromProvider } from '../rpc/rpcFromProvider.js';
import type { NexusEventsOptions } from './NexusEventsOptions.js';

/** Options after validation and defaults. */
export interface ResolvedOptions {
  readonly rpc: NexusRpc;
  readonly address: NormalizedAddress;
  readonly pollInterval: number;
  readonly confirmations: number;
  readonly maxBlockRange: number;
  readonly policy: RequestPolicy;
}

export const DEFAULT_POLL_INTERVAL = 2_000;
export const DEFAULT_CONFIRMATIONS = 0;
export const DEFAULT_MAX_BLOCK_RANGE = 2_000;
export const DEFAULT_REQUEST_TIMEOUT = 10_000;
export const DEFAULT_RETRY_INITIAL_DELAY = 250;
export const DEFAULT_RETRY_MAX_DELAY = 30_000;
/** The longest delay a JavaScript timer holds: 2^31 - 1 ms. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

const CLIENT_OPTION_KEYS: readonly string[] = [
  'network',
  'rpcUrl',
  'provider',
  'rpc',
  'address',
  'pollInterval',
  'confirmations',
  'maxBlockRange',
  'requestTimeout',
  'retry',
];

const RETRY_OPTION_KEYS: readonly string[] = ['maxRetries', 'initialDelay', 'maxDelay'];

/**
 * Validates options and fills in defaults. Throws a typed error naming the first bad
 * option; unknown keys are rejected too, so that a typo never silently falls back to a
 * default.
 */
export function resolveOptions(options: unknown, extraKeys: readonly string[] = []): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', options, 'an options object');
  }
  const allowed = [...CLIENT_OPTION_KEYS, ...extraKeys];
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key))
      throw new InvalidOptionError(
        key,
        (options as Record<string, unknown>)[key],
        `one of the options ${allowed.join(', ')}`,
      );
  }
  const o = options as NexusEventsOptions;
  const preset = resolveNetwork(o.network);
  const address = o.address ?? preset?.nexusAddress;
  if (address === undefined) {
    throw new InvalidOptionError(
      'address',
      address,
      "the Nexus contract address (or a network: 'mainnet' | 'testnet')",
    );
  }
  const requestTimeout = numberOption('requestTimeout', o.requestTimeout, {
    fallback: DEFAULT_REQUEST_TIMEOUT,
    min: 1,
    max: MAX_TIMER_DELAY,
    integer: false,
    expected: `a number of milliseconds from 1 to ${MAX_TIMER_DELAY}`,
  });
  return {
    rpc: resolveRpc(o, preset, requestTimeout),
    policy: resolveRetry(o.retry, requestTimeout),
    address: normalizeAddress(address, 'address'),
    pollInterval: numberOption('pollInterval', o.pollInterval, {
      fallback: DEFAULT_POLL_INTERVAL,
      min: 1,
      // Timers clamp longer delays to 1 ms: such a value would poll every millisecond.
      max: MAX_TIMER_DELAY,
      integer: false,
      expected: `a number of milliseconds from 1 to ${MAX_TIMER_DELAY}`,
    }),
    confirmations: numberOption('confirmations', o.confirmations, {
      fallback: DEFAULT_CONFIRMATIONS,
      min: 0,
      integer: true,
      expected: 'a whole number ≥ 0',
    }),
    maxBlockRange: numberOption('maxBlockRange', o.maxBlockRange, {
      fallback: DEFAULT_MAX_BLOCK_RANGE,
      min: 1,
      integer: true,
      expected: 'a whole number ≥ 1',
    }),
  };
}

function resolveNetwork(network: unknown): NetworkPreset | undefined {
  if (network === undefined) return undefined;
  if (network === 'mainnet' || network === 'testnet') return NETWORKS[network];
  throw new InvalidOptionError('network', network, "'mainnet' or 'testnet'");
}

function resolveRpc(o: NexusEventsOptions, preset: NetworkPreset | undefined, timeout: number): NexusRpc {
  const given = (['rpcUrl', 'provider', 'rpc'] as const).filter((key) => o[key] !== undefined);
  if (given.length > 1) {
    throw new InvalidOptionError(
      given.join(' and '),
      given.map((key) => o[key]),
      'only one of rpcUrl, provider and rpc',
    );
  }
  if (o.rpc !== undefined) {
    const rpc: unknown = o.rpc;
    if (!hasMethods(rpc, ['getBlock', 'getLogs', 'getCode'])) {
      throw new InvalidOptionError('rpc', rpc, 'an object with getBlock(block), getLogs(filter) and getCode(address)');
    }
    return o.rpc;
  }
  // rpcFromProvider validates the provider itself.
  if (o.provider !== undefined) return rpcFromProvider(o.provider);
  const url = o.rpcUrl ?? preset?.rpcUrl;
  if (url === undefined) {
    throw new InvalidOptionError(
      'rpcUrl',
      url,
      "a JSON-RPC URL, a provider, an rpc, or a network: 'mainnet' | 'testnet'",
    );
  }
  if (!isHttpUrl(url)) throw new InvalidOptionError('rpcUrl', url, 'an http:// or https:// URL');
  return httpRpc(url, timeout);
}

function resolveRetry(retry: unknown, timeout: number): RequestPolicy {
  if (retry !== undefined && (typeof retry !== 'object' || retry === null || Array.isArray(retry))) {
    throw new InvalidOptionError('retry', retry, 'an object like { maxRetries?, initialDelay?, maxDelay? }');
  }
  const r = (retry ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!RETRY_OPTION_KEYS.includes(key)) {
      throw new InvalidOptionError(`retry.${key}`, r[key], `one of retry.${RETRY_OPTION_KEYS.join(', retry.')}`);
    }
  }
  const maxRetries = r['maxRetries'];
  if (
    maxRetries !== undefined &&
    maxRetries !== Number.POSITIVE_INFINITY &&
    !(typeof maxRetries === 'number' && Number.isSafeInteger(maxRetries) && maxRetries >= 0)
  ) {
    throw new InvalidOptionError('retry.maxRetries', maxRetries, 'a whole number ≥ 0, or Infinity');
  }
  // A lone maxDelay below the default initialDelay lowers it, as a lone initialDelay above
  // the default maxDelay raises that: only two explicit values can contradict each other.
  const givenMaxDelay = r['maxDelay'];
  const initialDelay = numberOption('retry.initialDelay', r['initialDelay'], {
    fallback:
      typeof givenMaxDelay === 'number' && givenMaxDelay >= 0
        ? Math.min(DEFAULT_RETRY_INITIAL_DELAY, givenMaxDelay)
        : DEFAULT_RETRY_INITIAL_DELAY,
    min: 0,
    max: MAX_TIMER_DELAY,
    integer: false,
    expected: `a number of milliseconds from 0 to ${MAX_TIMER_DELAY}`,
  });
  const maxDelay = numberOption('retry.maxDelay', r['maxDelay'], {
    fallback: Math.max(DEFAULT_RETRY_MAX_DELAY, initialDelay),
    min: 0,
    max: MAX_TIMER_DELAY,
    integer: false,
    expected: `a number of milliseconds from 0 to ${MAX_TIMER_DELAY}`,
  });
  if (maxDelay < initialDelay) {
    throw new InvalidOptionError('retry.maxDelay', maxDelay, `a number ≥ retry.initialDelay (${initialDelay})`);
  }
  return {
    timeout,
    maxRetries: (maxRetries as number | undefined) ?? Number.POSITIVE_INFINITY,
    initialDelay,
    maxDelay,
    random: Math.random,
  };
}

interface NumberRule {
  readonly fallback: number;
  readonly min: number;
  readonly max?: number;
  readonly integer: boolean;
  readonly expected: string;
}

function numberOption(name: string, value: unknown, rule: NumberRule): number {
  if (value === undefined) return rule.fallback;
  const valid =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= rule.min &&
    value <= (rule.max ?? Number.MAX_SAFE_INTEGER) &&
    (!rule.integer || Number.isSafeInteger(value));
  if (!valid) throw new InvalidOptionError(name, value, rule.expected);
  return value;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Validates a block number argument (`fromBlock`): a safe integer ≥ 0.
 */
export function validateBlockNumber(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidOptionError(name, value, 'a block number: a whole number ≥ 0');
  }
  return value;
}
