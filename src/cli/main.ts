/// <reference types="node" />
// The `ogpu-events` command. Node-only: kept out of the library's entry point (src/index.ts).
import { type Observable, Subject, Subscription, from, ignoreElements, merge, switchMap, tap } from 'rxjs';
import { RpcBlockHeader } from '../codecs/RpcBlockHeader.js';
import { createNexusEvents } from '../index.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import { OgpuEventsError } from '../errors/OgpuEventsError.js';
import { NETWORKS } from '../nexus/networks.js';
import type { NexusRpc } from '../rpc/NexusRpc.js';
import { httpRpc } from '../rpc/httpRpc.js';
import type { NexusDiagnostic } from '../source/NexusDiagnostic.js';
import { describeDiagnostic } from '../source/describeDiagnostic.js';
import { formatEvent } from './formatEvent.js';
import { normalizeAddress } from '../internal/address.js';
import type { RelayProgress } from '../jetstream/RelayProgress.js';
import { resolveBrokerOptions } from '../jetstream/resolveBrokerOptions.js';
import { validateStreamOptions } from '../streams/StreamOptions.js';
import { HELP, type RelayCommand, USAGE_HINT, UsageError, type WatchCommand, parseArgs } from './parseArgs.js';
import { reachesUntilStatus } from './untilStatus.js';

/** Where the command writes, and how it learns of Ctrl-C (replaceable in tests). */
export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Calls `handler` on SIGINT; returns a function that removes it. */
  readonly onInterrupt: (handler: () => void) => () => void;
  /** Calls `handler` on SIGTERM (the relay stops on it); returns a function that removes it. */
  readonly onTerminate?: (handler: () => void) => () => void;
}

const processIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  onInterrupt: (handler) => {
    process.once('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
  onTerminate: (handler) => {
    process.once('SIGTERM', handler);
    return () => process.off('SIGTERM', handler);
  },
};

/** ogpu-events/jetstream, loaded only by the commands that use NATS (its packages are optional). */
type JetStreamModule = typeof import('../jetstream/index.js');
const NATS_PACKAGES = '@nats-io/transport-node @nats-io/jetstream @nats-io/nats-core';
function loadJetStream(): Promise<JetStreamModule> {
  return import('../jetstream/index.js').catch((error: unknown) => {
    throw new UsageError(
      `--nats needs the optional packages ${NATS_PACKAGES} (npm install ${NATS_PACKAGES}): ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  });
}

const REQUEST_TIMEOUT_MS = 10_000;

/** The block number of a head the poller would accept (the same codec), or undefined. */
const blockNumberOf = (block: unknown): number | undefined => {
  const header = RpcBlockHeader.decode(block);
  return header._tag === 'Right' ? header.right.number : undefined;
};

/**
 * Wraps the HTTP transport to report backfill progress truthfully: the first `latest`
 * block fixes the target (head - confirmations), and each successful `eth_getLogs` that
 * continues the contiguous range read from `fromBlock` moves the backfill cursor.
 */
function progressRpc(inner: NexusRpc, fromBlock: number, confirmations: number, say: (line: string) => void): NexusRpc {
  let target: number | undefined;
  let cursor = fromBlock - 1;
  let live = false;
  let lastReport = Date.now();
  const checkLive = (): void => {
    if (live || target === undefined || cursor < target) return;
    live = true;
    say(`live from block ${cursor + 1}`);
  };
  return {
    getBlock: (block) =>
      from(inner.getBlock(block)).pipe(
        tap((result) => {
          if (block !== 'latest' || target !== undefined) return;
          const head = blockNumberOf(result);
          if (head === undefined) return;
          target = Math.max(head - confirmations, fromBlock - 1);
          // --from-block above the head: nothing to backfill, only the live line follows.
          if (target >= fromBlock) say(`backfilling blocks ${fromBlock}..${target} (head ${head})`);
          checkLive();
        }),
      ),
    getLogs: (filter) =>
      from(inner.getLogs(filter)).pipe(
        tap(() => {
          if (live || filter.fromBlock !== cursor + 1) return;
          cursor = filter.toBlock;
          if (target !== undefined && cursor < target && Date.now() - lastReport >= 1_000) {
            lastReport = Date.now();
            say(`backfilled to block ${cursor} of ${target}`);
          }
          checkLive();
        }),
      ),
    getCode: (address) => inner.getCode(address),
  };
}

function openStream(
  command: WatchCommand,
  say: (line: string) => void,
): {
  events$: Observable<NexusEvent>;
  diagnostics$: Observable<NexusDiagnostic>;
} {
  if (command.nats !== undefined) return openJetStreamStream(command, command.nats);
  const preset = command.network === undefined ? undefined : NETWORKS[command.network];
  const rpcUrl = command.rpcUrl ?? preset?.rpcUrl;
  const address = command.nexus ?? preset?.nexusAddress;
  if (rpcUrl === undefined) throw new UsageError('missing --rpc URL (or --network)');
  if (address === undefined) throw new UsageError('missing --nexus ADDRESS (or --network)');
  // Let the library validate the URL, the Nexus address and the confirmations first.
  createNexusEvents({ rpcUrl, address, confirmations: command.confirmations, pollInterval: command.pollInterval });
  const http = httpRpc(rpcUrl, REQUEST_TIMEOUT_MS);
  const rpc =
    command.fromBlock === undefined ? http : progressRpc(http, command.fromBlock, command.confirmations ?? 0, say);
  const nexus = createNexusEvents({
    rpc,
    address,
    confirmations: command.confirmations,
    pollInterval: command.pollInterval,
  });
  const options = { fromBlock: command.fromBlock, withRemovals: command.withRemovals };
  const method = `${command.stream}$` as const;
  const events$: Observable<NexusEvent> = nexus[method](command.address, options);
  return { events$, diagnostics$: nexus.diagnostics$ };
}

/** `watch … --nats URL`: the same stream, read through a relay's JetStream stream. */
function openJetStreamStream(
  command: WatchCommand,
  nats: NonNullable<WatchCommand['nats']>,
): { events$: Observable<NexusEvent>; diagnostics$: Observable<NexusDiagnostic> } {
  // Validated here, before anything of NATS is loaded: bad arguments exit 2.
  const broker = { servers: nats.url, ...(nats.stream === undefined ? {} : { stream: nats.stream }) };
  resolveBrokerOptions(broker);
  normalizeAddress(command.address, `${command.stream}$ address`);
  const options = { fromBlock: command.fromBlock, withRemovals: command.withRemovals };
  validateStreamOptions(options, `${command.stream}$`);
  const diagnostics = new Subject<NexusDiagnostic>();
  const events$ = from(loadJetStream()).pipe(
    switchMap((jetstream) => {
      const nexus = jetstream.createJetStreamNexusEvents(broker);
      const method = `${command.stream}$` as const;
      return merge(
        nexus.diagnostics$.pipe(
          tap((d) => diagnostics.next(d)),
          ignoreElements(),
        ),
        nexus[method](command.address, options) as Observable<NexusEvent>,
      );
    }),
  );
  return { events$, diagnostics$: diagnostics };
}

/** `relay`: runs until SIGINT or SIGTERM (exit 0), a failure (exit 1) or bad arguments (exit 2). */
async function runRelay(command: RelayCommand, io: CliIo): Promise<number> {
  let jetstream: JetStreamModule;
  try {
    resolveBrokerOptions({ servers: command.nats });
    jetstream = await loadJetStream();
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error.message);
    if (error instanceof OgpuEventsError) return usageError(io, error.shortMessage);
    throw error;
  }
  const preset = command.network === undefined ? undefined : NETWORKS[command.network];
  const address = command.nexus ?? preset?.nexusAddress;
  if (address === undefined) return usageError(io, 'missing --nexus ADDRESS (or --network)');
  let relay$: Observable<RelayProgress>;
  try {
    relay$ = jetstream.relayToJetStream({
      ...(command.rpcUrl === undefined ? { network: command.network } : { rpcUrl: command.rpcUrl }),
      address,
      servers: command.nats,
      stream: command.stream,
      fromBlock: command.fromBlock,
      confirmations: command.confirmations,
      pollInterval: command.pollInterval,
      onDiagnostic: (d) => io.stderr(`notice: ${describeDiagnostic(d)}`),
    });
  } catch (error) {
    if (error instanceof OgpuEventsError) return usageError(io, error.shortMessage);
    throw error;
  }
  return new Promise<number>((resolve) => {
    let lastLine = 0;
    let first = true;
    const removers: (() => void)[] = [];
    const finish = (code: number): void => {
      for (const remove of removers) remove();
      subscription.unsubscribe();
      resolve(code);
    };
    const subscription = relay$.subscribe({
      next: (p) => {
        const quiet = p.published === 0 && p.duplicates === 0;
        if (quiet && !first && Date.now() - lastLine < 60_000) return;
        first = false;
        lastLine = Date.now();
        io.stderr(
          `relayed blocks ${p.fromBlock}..${p.toBlock}: ${p.published} stored (${p.removals} removals), ` +
            `${p.duplicates} duplicates dropped; head ${p.head}, ${p.lag} behind`,
        );
      },
      error: (error: unknown) => {
        io.stderr(`error: ${error instanceof OgpuEventsError ? error.shortMessage : String(error)}`);
        finish(1);
      },
    });
    const stop = (signal: string) => (): void => {
      io.stderr(`${signal}: stopping`);
      finish(0);
    };
    removers.push(io.onInterrupt(stop('SIGINT')));
    if (io.onTerminate !== undefined) removers.push(io.onTerminate(stop('SIGTERM')));
  });
}

function usageError(io: CliIo, message: string): number {
  io.stderr(`error: ${message}`);
  io.stderr(USAGE_HINT);
  return 2;
}

/**
 * Runs `ogpu-events` with `argv` (the arguments after the command name) and resolves to
 * its exit code: 0 when `--until-status` was reached or for `--help`, 1 when the stream
 * failed, 2 for bad arguments, 130 on SIGINT.
 */
export function main(argv: readonly string[] = process.argv.slice(2), io: CliIo = processIo): Promise<number> {
  let command: WatchCommand;
  let events$: Observable<NexusEvent>;
  let diagnostics$: Observable<NexusDiagnostic>;
  try {
    const parsed = parseArgs(argv);
    if (parsed.kind === 'help') {
      io.stdout(HELP.trimEnd());
      return Promise.resolve(0);
    }
    if (parsed.kind === 'relay') return runRelay(parsed, io);
    command = parsed;
    ({ events$, diagnostics$ } = openStream(parsed, io.stderr));
  } catch (error) {
    if (error instanceof UsageError) return Promise.resolve(usageError(io, error.message));
    if (error instanceof OgpuEventsError) return Promise.resolve(usageError(io, error.shortMessage));
    throw error;
  }

  return new Promise<number>((resolve) => {
    // Closed by finish(); adding to a closed Subscription unsubscribes at once.
    const subscription = new Subscription();
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      removeInterruptHandler();
      subscription.unsubscribe();
      resolve(code);
    };
    const removeInterruptHandler = io.onInterrupt(() => {
      io.stderr('interrupted');
      finish(130);
    });
    subscription.add(diagnostics$.subscribe((d) => io.stderr(`notice: ${describeDiagnostic(d)}`)));
    subscription.add(
      events$.subscribe({
        next: (event) => {
          if (done) return;
          io.stdout(formatEvent(event, command.json));
          if (reachesUntilStatus(event, command.untilStatus)) finish(0);
        },
        error: (error: unknown) => {
          io.stderr(`error: ${error instanceof OgpuEventsError ? error.shortMessage : String(error)}`);
          finish(1);
        },
        complete: () => finish(0),
      }),
    );
  });
}
