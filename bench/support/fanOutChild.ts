/**
 * Child process of bench/fanOut.ts, run as `node --import tsx bench/support/fanOutChild.ts
 * '<config JSON>'` ({@link FanOutChildConfig}), in one of two roles:
 *
 * - `relay`: `relayToJetStream(options)`, as a relay service runs.
 * - `consumer`: one client — `createJetStreamNexusEvents({ servers, stream })` reading the
 *   relay's stream, or `createNexusEvents({ rpcUrl, address, pollInterval })` polling the
 *   chain — and one `taskStatusChanged$(task, { fromBlock })` per task of its share.
 *
 * It prints JSON lines on stdout ({@link FanOutChildMessage}): `subscribed` once it has
 * subscribed (the relay, or every stream), then (consumers) `deliveries` in batches, each delivery timestamped when the stream
 * delivered it (`performance.timeOrigin + performance.now()`: comparable across processes
 * of one machine) and written after the batch, so that writing does not delay the next
 * timestamp. When its stdin ends (the parent closes it, or dies) it unsubscribes, prints a
 * `stopped` line with what it counted, and exits 0; a stream or relay error is printed as an
 * `error` line, and it exits 1.
 */
import type { Subscription } from 'rxjs';
import { type NexusDiagnostic, type NexusEvents, createNexusEvents } from '../../src/index';
import { type RelayOptions, createJetStreamNexusEvents, relayToJetStream } from '../../src/jetstream/index';

/** What the parent asks for. */
export type FanOutChildConfig =
  | { readonly role: 'relay'; readonly relay: RelayOptions }
  | {
      readonly role: 'consumer';
      /** `relay`: read the relay's stream; `direct`: poll the chain. */
      readonly mode: 'relay' | 'direct';
      readonly servers: string;
      readonly stream: string;
      readonly rpcUrl: string;
      readonly address: string;
      readonly pollInterval: number;
      readonly tasks: readonly string[];
      readonly fromBlock: number;
    };

/** One delivery: index of the task in the child's share, block number, time received (ms since the epoch). */
export type FanOutDelivery = readonly [task: number, block: number, receivedAt: number];

/** What the child prints, one JSON object a line. */
export type FanOutChildMessage =
  | { readonly kind: 'subscribed' }
  | { readonly kind: 'deliveries'; readonly d: readonly FanOutDelivery[] }
  | { readonly kind: 'error'; readonly message: string }
  | {
      readonly kind: 'stopped';
      /** Diagnostics seen, by kind (`broker-wait` with what it waited for). */
      readonly diagnostics: Readonly<Record<string, number>>;
      /** Events delivered to a stream of another task (must be 0). */
      readonly foreign: number;
    };

const now = (): number => performance.timeOrigin + performance.now();
const print = (message: FanOutChildMessage, done?: () => void): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`, done);
};
const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
const fail = (error: unknown): void => print({ kind: 'error', message: describe(error) }, () => process.exit(1));

const config = JSON.parse(process.argv[2] ?? '{}') as FanOutChildConfig;
const subscriptions: Subscription[] = [];
const diagnostics: Record<string, number> = {};
let foreign = 0;
const count = (d: NexusDiagnostic): void => {
  const key = d.kind === 'broker-wait' ? `${d.kind} (${d.waitingFor})` : d.kind;
  diagnostics[key] = (diagnostics[key] ?? 0) + 1;
};

if (config.role === 'relay') {
  subscriptions.push(
    relayToJetStream({
      ...config.relay,
      onDiagnostic: count,
    }).subscribe({ error: fail }),
  );
  print({ kind: 'subscribed' });
} else {
  const nexus: NexusEvents =
    config.mode === 'relay'
      ? createJetStreamNexusEvents({ servers: config.servers, stream: config.stream })
      : createNexusEvents({ rpcUrl: config.rpcUrl, address: config.address, pollInterval: config.pollInterval });
  subscriptions.push(nexus.diagnostics$.subscribe(count));
  let pending: FanOutDelivery[] = [];
  const flush = (): void => {
    const d = pending;
    pending = [];
    print({ kind: 'deliveries', d });
  };
  config.tasks.forEach((task, index) => {
    const lower = task.toLowerCase();
    subscriptions.push(
      nexus.taskStatusChanged$(task, { fromBlock: config.fromBlock }).subscribe({
        next: (event) => {
          const receivedAt = now();
          if (event.task.toLowerCase() !== lower) {
            foreign++;
            return;
          }
          if (pending.length === 0) setTimeout(flush, 0);
          pending.push([index, event.blockNumber, receivedAt]);
        },
        error: fail,
      }),
    );
  });
  print({ kind: 'subscribed' });
}

process.stdin.resume();
process.stdin.on('end', () => {
  for (const subscription of subscriptions) subscription.unsubscribe();
  // Let the unsubscriptions reach the server (consumers deleted, connection closed), then go.
  setTimeout(() => print({ kind: 'stopped', diagnostics, foreign }, () => process.exit(0)), 300);
});
