import type { NexusEventsOptions } from '../client/NexusEventsOptions.js';
import { type ResolvedOptions, resolveOptions, validateBlockNumber } from '../client/resolveOptions.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import type { NexusDiagnostic } from '../source/NexusDiagnostic.js';
import type { RelayOptions } from './RelayOptions.js';
import { BROKER_OPTION_KEYS, type ResolvedBroker, resolveBrokerOptions } from './resolveBrokerOptions.js';

const RELAY_OPTION_KEYS = [
  ...BROKER_OPTION_KEYS,
  'fromBlock',
  'chainId',
  'duplicateWindow',
  'maxPending',
  'onDiagnostic',
];
const DEFAULT_DUPLICATE_WINDOW = 120_000;
const DEFAULT_MAX_PENDING = 1_024;

/** {@link RelayOptions} after validation, defaults applied. */
export interface ResolvedRelayOptions {
  /** The chain side: the options of `createNexusEvents`. */
  readonly chain: ResolvedOptions;
  readonly broker: ResolvedBroker;
  /** Where to start without a checkpoint; `undefined`: new blocks only. */
  readonly fromBlock: number | undefined;
  /** The chain id given; `undefined`: asked of the node. */
  readonly chainId: bigint | undefined;
  /** Milliseconds. */
  readonly duplicateWindow: number;
  readonly maxPending: number;
  /** Tells `onDiagnostic`, when given. */
  readonly report: (diagnostic: NexusDiagnostic) => void;
}

/**
 * Validates the options of `relayToJetStream` (the chain side's as `createNexusEvents`
 * does, the broker side's with `resolveBrokerOptions`) and applies the defaults. A bad
 * option throws an {@link InvalidOptionError} naming it and its value.
 */
export function resolveRelayOptions(options: RelayOptions): ResolvedRelayOptions {
  const chain = resolveOptions(options, RELAY_OPTION_KEYS);
  const broker = resolveBrokerOptions(options);
  const fromBlock = validateBlockNumber('fromBlock', options.fromBlock);
  const chainId = validateChainId(options.chainId, options);
  const duplicateWindow = wholeNumber('duplicateWindow', options.duplicateWindow, DEFAULT_DUPLICATE_WINDOW, 100);
  const maxPending = wholeNumber('maxPending', options.maxPending, DEFAULT_MAX_PENDING, 1);
  const onDiagnostic: unknown = options.onDiagnostic;
  if (onDiagnostic !== undefined && typeof onDiagnostic !== 'function') {
    throw new InvalidOptionError('onDiagnostic', onDiagnostic, 'a function');
  }
  const report = (diagnostic: NexusDiagnostic): void => options.onDiagnostic?.(diagnostic);
  return { chain, broker, fromBlock, chainId, duplicateWindow, maxPending, report };
}

function validateChainId(value: unknown, options: NexusEventsOptions): bigint | undefined {
  if (value === undefined) {
    if (options.rpc !== undefined && typeof options.rpc.getChainId !== 'function') {
      throw new InvalidOptionError('chainId', value, 'the chain id (the rpc given has no getChainId())');
    }
    return undefined;
  }
  if (
    (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ||
    (typeof value === 'bigint' && value > 0n)
  ) {
    return BigInt(value);
  }
  throw new InvalidOptionError('chainId', value, 'a chain id: a whole number > 0');
}

function wholeNumber(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(name, value, `a whole number ≥ ${min}`);
  }
  return value;
}
