import { ResponseStatus } from '../enums/ResponseStatus.js';
import { TaskStatus } from '../enums/TaskStatus.js';
import type { NetworkName } from '../nexus/networks.js';

/** The six stream names the CLI accepts (with or without the trailing `$`). */
export const STREAM_NAMES = [
  'taskPublished',
  'attempted',
  'responseSubmitted',
  'responseStatusChanged',
  'taskStatusChanged',
  'registered',
] as const;

/** One of {@link STREAM_NAMES}. */
export type StreamName = (typeof STREAM_NAMES)[number];

/** A parsed `watch` command. */
export interface WatchCommand {
  readonly kind: 'watch';
  readonly stream: StreamName;
  /** The stream's scope address, as given (the library validates it). */
  readonly address: string;
  readonly rpcUrl: string | undefined;
  readonly network: NetworkName | undefined;
  readonly nexus: string | undefined;
  readonly fromBlock: number | undefined;
  readonly confirmations: number | undefined;
  readonly pollInterval: number | undefined;
  readonly json: boolean;
  /** Subscribe with `withRemovals: true`: print retractions of events a reorg took back. */
  readonly withRemovals: boolean;
  /** The status value to stop at, with its name. */
  readonly untilStatus: { readonly name: string; readonly value: number } | undefined;
  /** `--nats`: read through a relay's JetStream stream instead of the chain. */
  readonly nats?: { readonly url: string; readonly stream: string | undefined };
}

/** A parsed `relay` command: the chain into a JetStream stream, until SIGINT or SIGTERM. */
export interface RelayCommand {
  readonly kind: 'relay';
  readonly rpcUrl: string | undefined;
  readonly network: NetworkName | undefined;
  readonly nexus: string | undefined;
  /** The NATS server URL (credentials may be in it). */
  readonly nats: string;
  readonly stream: string | undefined;
  /** Where to start when the stream holds no checkpoint. */
  readonly fromBlock: number | undefined;
  readonly confirmations: number | undefined;
  readonly pollInterval: number | undefined;
}

/** `--help` was asked for. */
export interface HelpCommand {
  readonly kind: 'help';
}

/** A command line that cannot be run; `message` is one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE_HINT =
  "usage: ogpu-events watch <stream> <address> [options] | ogpu-events relay --nats URL [options]; see 'ogpu-events --help'";

export const HELP = `ogpu-events: print the OpenGPU Nexus contract's events as they happen.

usage:
  ogpu-events watch <stream> <address> [options]
  ogpu-events relay (--rpc URL --nexus ADDRESS | --network NAME) --nats URL [--stream NAME]
                    [--from-block N] [--confirmations N] [--poll-interval MS]
  ogpu-events --help

<stream> (the trailing $ is optional):
  taskPublished          tasks published to the source <address>
  attempted              attempts on the task <address>
  responseSubmitted      responses submitted for the task <address>
  responseStatusChanged  status changes of the response <address>
  taskStatusChanged      status changes of the task <address>
  registered             providers registered to the source <address>

options:
  --rpc URL              HTTP(S) JSON-RPC URL of the node
  --network NAME         mainnet or testnet: supplies the RPC URL and the Nexus address
                         (--rpc and --nexus override them)
  --nexus ADDRESS        the Nexus contract address (required with --rpc and no --network)
  --from-block N         first block to read: prints past events from N, then live ones
                         (default: only events mined from now on)
  --confirmations N      only read blocks at least N blocks below the head (default 0)
  --poll-interval MS     milliseconds between polls of the node (default 2000)
  --json                 one JSON object per line (bigints as decimal strings)
  --with-removals        after a reorg, print again each printed event it took back, marked
                         REMOVED (--json: "removed": true), before the new chain's events;
                         a removal never ends --until-status
  --until-status STATUS  exit after printing the first event with this status: a task status
                         (${Object.keys(TaskStatus).join(', ')}) for taskStatusChanged,
                         a response status (${Object.keys(ResponseStatus).join(', ')}) for responseStatusChanged
  --nats URL             watch: read through a relay's NATS JetStream stream instead of the
                         chain (no --rpc, --network, --nexus, --confirmations, --poll-interval);
                         relay: the NATS server to publish to. Credentials may be in the URL:
                         nats://user:password@host:4222 or nats://token@host:4222
  --stream NAME          the JetStream stream (default OGPU_NEXUS)
  -h, --help             show this help

relay publishes every Nexus event of the chain into the JetStream stream (created if missing),
exactly once across restarts, until SIGINT or SIGTERM (exit 0). --from-block only applies to
a stream without a checkpoint (default: new blocks only). Progress and notices go to stderr.

Events go to stdout, one line each; progress and notices (retries, range splits, reorgs)
go to stderr.

exit codes:
  0    --until-status reached (or --help)
  1    the stream failed (e.g. no contract at the Nexus address); prints "error: <message>"
  2    bad arguments; prints "error: <message>" and a usage hint
  130  interrupted (Ctrl-C / SIGINT): unsubscribed and stopped
`;

const VALUE_OPTIONS = [
  '--rpc',
  '--network',
  '--nexus',
  '--from-block',
  '--confirmations',
  '--poll-interval',
  '--until-status',
  '--nats',
  '--stream',
] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

function parseWholeNumber(option: string, text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${option} must be a whole number ≥ 0, got '${text}'`);
  }
  return Number(text);
}

function parseStream(text: string): StreamName {
  const name = text.endsWith('$') ? text.slice(0, -1) : text;
  const stream = STREAM_NAMES.find((s) => s === name);
  if (stream === undefined) {
    throw new UsageError(`unknown stream '${text}': expected one of ${STREAM_NAMES.join(', ')}`);
  }
  return stream;
}

function parseUntilStatus(stream: StreamName, text: string): { name: string; value: number } {
  const statuses: Readonly<Record<string, number>> | undefined =
    stream === 'taskStatusChanged' ? TaskStatus : stream === 'responseStatusChanged' ? ResponseStatus : undefined;
  if (statuses === undefined) {
    throw new UsageError('--until-status only applies to taskStatusChanged and responseStatusChanged');
  }
  const name = text.toUpperCase();
  const value = Object.prototype.hasOwnProperty.call(statuses, name) ? statuses[name] : undefined;
  if (value === undefined) {
    throw new UsageError(`unknown status '${text}' for ${stream}: expected one of ${Object.keys(statuses).join(', ')}`);
  }
  return { name, value };
}

/** Parses the arguments after `ogpu-events`; throws a {@link UsageError} for a bad command line. */
export function parseArgs(argv: readonly string[]): WatchCommand | RelayCommand | HelpCommand {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  const positional: string[] = [];
  const values = new Map<ValueOption, string>();
  let json = false;
  let withRemovals = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--json') {
      json = true;
      continue;
    }
    if (arg === '--with-removals') {
      withRemovals = true;
      continue;
    }
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('-') && arg !== '-') {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      const option = VALUE_OPTIONS.find((o) => o === name);
      if (option === undefined) throw new UsageError(`unknown option '${name}'`);
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        i += 1;
      }
      if (value === undefined || value === '') throw new UsageError(`${option} needs a value`);
      if (values.has(option)) throw new UsageError(`${option} given twice`);
      values.set(option, value);
      continue;
    }
    positional.push(arg);
  }

  const [command, streamText, address, ...extra] = positional;
  if (command === undefined) throw new UsageError('missing command (watch or relay)');
  if (command === 'relay') return parseRelay(positional.slice(1), values, { json, withRemovals });
  if (command !== 'watch') throw new UsageError(`unknown command '${command}' (expected watch or relay)`);
  if (streamText === undefined) throw new UsageError('missing <stream>');
  const stream = parseStream(streamText);
  if (address === undefined) throw new UsageError('missing <address>');
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0] as string}'`);

  const nats = values.get('--nats');
  if (nats !== undefined) {
    const chainOnly = (['--rpc', '--network', '--nexus', '--confirmations', '--poll-interval'] as const).find((o) =>
      values.has(o),
    );
    if (chainOnly !== undefined)
      throw new UsageError(`${chainOnly} does not apply with --nats: the relay reads the chain`);
  } else if (values.has('--stream')) {
    throw new UsageError('--stream only applies with --nats');
  }
  const network = parseNetwork(values.get('--network'));
  const rpcUrl = values.get('--rpc');
  if (nats === undefined && rpcUrl === undefined && network === undefined) {
    throw new UsageError('missing --rpc URL (or --network, or --nats URL)');
  }
  const fromBlock = values.get('--from-block');
  const confirmations = values.get('--confirmations');
  const pollInterval = values.get('--poll-interval');
  const untilStatus = values.get('--until-status');
  return {
    kind: 'watch',
    stream,
    address,
    rpcUrl,
    network,
    nexus: values.get('--nexus'),
    fromBlock: fromBlock === undefined ? undefined : parseWholeNumber('--from-block', fromBlock),
    confirmations: confirmations === undefined ? undefined : parseWholeNumber('--confirmations', confirmations),
    pollInterval: pollInterval === undefined ? undefined : parseWholeNumber('--poll-interval', pollInterval),
    json,
    withRemovals,
    untilStatus: untilStatus === undefined ? undefined : parseUntilStatus(stream, untilStatus),
    ...(nats === undefined ? {} : { nats: { url: nats, stream: values.get('--stream') } }),
  };
}

function parseNetwork(network: string | undefined): NetworkName | undefined {
  if (network !== undefined && network !== 'mainnet' && network !== 'testnet') {
    throw new UsageError(`--network must be mainnet or testnet, got '${network}'`);
  }
  return network;
}

function parseRelay(
  extra: readonly string[],
  values: ReadonlyMap<ValueOption, string>,
  flags: { readonly json: boolean; readonly withRemovals: boolean },
): RelayCommand {
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0] as string}'`);
  for (const [given, name] of [
    [flags.json, '--json'],
    [flags.withRemovals, '--with-removals'],
    [values.has('--until-status'), '--until-status'],
  ] as const) {
    if (given) throw new UsageError(`${name} does not apply to relay`);
  }
  const nats = values.get('--nats');
  if (nats === undefined) throw new UsageError('missing --nats URL');
  const network = parseNetwork(values.get('--network'));
  const rpcUrl = values.get('--rpc');
  if (rpcUrl === undefined && network === undefined) throw new UsageError('missing --rpc URL (or --network)');
  const number = (option: ValueOption): number | undefined => {
    const text = values.get(option);
    return text === undefined ? undefined : parseWholeNumber(option, text);
  };
  return {
    kind: 'relay',
    rpcUrl,
    network,
    nexus: values.get('--nexus'),
    nats,
    stream: values.get('--stream'),
    fromBlock: number('--from-block'),
    confirmations: number('--confirmations'),
    pollInterval: number('--poll-interval'),
  };
}
