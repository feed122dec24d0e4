import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { count, firstValueFrom, take, toArray } from 'rxjs';
import { type NatsServer, hasNatsServer, startNatsServer } from '../spec/support/natsServer';
import { createNexusEvents } from '../src/index';
import { createJetStreamNexusEvents, relayToJetStream } from '../src/jetstream/index';
import { eventMessage } from '../src/jetstream/eventMessage';
import { type OutgoingMessage, PublishWindow } from '../src/jetstream/publishWindow';
import type { BenchOptions, BenchSection } from './BenchSection';
import { type BackfillChain, buildBackfillChain } from './support/backfillChain';
import { formatNumber, formatRatio, median } from './support/stats';

const STREAM = 'BENCH_RELAY';
const FLOOR_STREAM = 'BENCH_RELAY_FLOOR';
/** The relay may take at most this many times the library's own backfill of the same range. */
const TARGET_RATIO = 1.5;

/** The library's backfill of the history, through `createNexusEvents` (the reference). */
async function libraryBackfill(chain: BackfillChain): Promise<number> {
  const started = performance.now();
  const nexus = createNexusEvents({ rpcUrl: chain.url, address: chain.nexusAddress });
  const n = await firstValueFrom(
    nexus.taskPublished$(chain.scope, { fromBlock: chain.fromBlock }).pipe(take(chain.events), count()),
  );
  if (n !== chain.events) throw new Error(`the library's backfill read ${n} of ${chain.events} events`);
  return performance.now() - started;
}

/** The relay from an empty stream until every event of the history is stored (acknowledged). */
async function relayBackfill(chain: BackfillChain, nats: NatsServer): Promise<number> {
  const nc = await connect({ servers: nats.url });
  try {
    await (await jetstreamManager(nc)).streams.delete(STREAM).catch(() => false);
  } finally {
    await nc.close();
  }
  const started = performance.now();
  let published = 0;
  await new Promise<void>((resolve, reject) => {
    const subscription = relayToJetStream({
      rpcUrl: chain.url,
      address: chain.nexusAddress,
      servers: nats.url,
      stream: STREAM,
      fromBlock: chain.fromBlock,
    }).subscribe({
      next: (p) => {
        published += p.published;
        if (p.toBlock >= chain.head) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  if (published !== chain.events) throw new Error(`the relay stored ${published} of ${chain.events} events`);
  return performance.now() - started;
}

/** The relay's messages for the history, built once (untimed) from the library's events. */
async function relayMessages(chain: BackfillChain): Promise<readonly OutgoingMessage[]> {
  const nexus = createNexusEvents({ rpcUrl: chain.url, address: chain.nexusAddress });
  const events = await firstValueFrom(
    nexus.taskPublished$(chain.scope, { fromBlock: chain.fromBlock }).pipe(take(chain.events), toArray()),
  );
  return events.map((event) => eventMessage(event, 31337n));
}

/**
 * The broker's floor: the relay's messages, already built, published into an empty stream
 * through the relay's own window (same size, same acknowledgements), without reading or
 * decoding anything.
 */
async function brokerFloor(messages: readonly OutgoingMessage[], nats: NatsServer): Promise<number> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    // The relay's stream holds the same subjects: it is made again by the next pass anyway.
    await jsm.streams.delete(STREAM).catch(() => false);
    await jsm.streams.delete(FLOOR_STREAM).catch(() => false);
    await jsm.streams.add({ name: FLOOR_STREAM, subjects: ['ogpu.31337.>'], duplicate_window: 120_000_000_000 });
    const window = new PublishWindow({
      nc,
      size: 1_024,
      timeoutMs: 5_000,
      fatal: () => undefined,
      retrying: () => undefined,
    });
    const started = performance.now();
    for (const message of messages) {
      const full = window.publish(message);
      if (full !== undefined) await full;
    }
    const tally = await window.acknowledged();
    const elapsed = performance.now() - started;
    window.stop();
    await jsm.streams.delete(FLOOR_STREAM);
    if (tally.published !== messages.length)
      throw new Error(`the floor stored ${tally.published} of ${messages.length}`);
    return elapsed;
  } finally {
    await nc.close();
  }
}

/** A reader's replay of the whole history from the stream. */
async function replay(chain: BackfillChain, nats: NatsServer): Promise<number> {
  const started = performance.now();
  const nexus = createJetStreamNexusEvents({ servers: nats.url, stream: STREAM });
  const n = await firstValueFrom(
    nexus.taskPublished$(chain.scope, { fromBlock: chain.fromBlock }).pipe(take(chain.events), count()),
  );
  if (n !== chain.events) throw new Error(`the replay read ${n} of ${chain.events} events`);
  return performance.now() - started;
}

/**
 * Relay throughput: the same history read by the library's backfill (createNexusEvents with
 * fromBlock), relayed into an empty JetStream stream (every message acknowledged), and
 * replayed from the stream by a reader.
 */
export async function run(options: BenchOptions): Promise<BenchSection> {
  const title = 'Relay throughput (JetStream)';
  if (!hasNatsServer()) {
    return {
      title,
      method: 'Needs nats-server (apt-get install nats-server).',
      headers: ['path', 'events/s'],
      rows: [],
      targets: [],
      notes: ['Skipped: nats-server is not installed.'],
    };
  }
  const size = options.quick ? { events: 5_000, blocks: 200 } : { events: 50_000, blocks: 2_000 };
  // Fresh task addresses, as on the real chain: every event costs the relay a checksum.
  const workload = 'freshTasks' as const;
  const chain = await buildBackfillChain({ workload, ...size });
  const nats = await startNatsServer();
  try {
    const times = { library: [] as number[], relay: [] as number[], replay: [] as number[], floor: [] as number[] };
    const messages = await relayMessages(chain);
    // One untimed warm-up pass (JIT, anvil caches), then the measured ones.
    for (let pass = 0; pass <= options.repeats; pass++) {
      const library = await libraryBackfill(chain);
      const relayed = await relayBackfill(chain, nats);
      const replayed = await replay(chain, nats);
      const floor = await brokerFloor(messages, nats);
      if (pass === 0) continue;
      times.library.push(library);
      times.relay.push(relayed);
      times.replay.push(replayed);
      times.floor.push(floor);
    }
    const rate = (ms: number[]): number => (chain.events / median(ms)) * 1000;
    const ratio = median(times.relay) / median(times.library);
    return {
      title,
      method:
        `${chain.events.toLocaleString('en')} TaskPublished events of one source, each naming a new task, over ${chain.head - chain.fromBlock + 1} blocks on anvil. ` +
        'Library: `createNexusEvents(…).taskPublished$(source, { fromBlock })` until the last event. ' +
        'Relay: `relayToJetStream({ fromBlock })` into an empty stream on a local nats-server until its progress reaches the head ' +
        '(every event published, acknowledged and checkpointed; at most 1,024 unacknowledged). ' +
        'Replay: `createJetStreamNexusEvents(…).taskPublished$(source, { fromBlock })` reading them back. ' +
        `Broker floor: the relay's ${chain.events.toLocaleString('en')} messages built beforehand, published through the relay's own window into an empty stream (no chain, no decoding): what storing them costs the broker and the NATS client alone. ` +
        `Median of ${options.repeats} passes after a warm-up.`,
      headers: ['path', 'median ms', 'events/s', 'vs library'],
      rows: [
        [
          'library backfill (RPC)',
          formatNumber(median(times.library), 0),
          formatNumber(rate(times.library), 0),
          formatRatio(1),
        ],
        [
          'relay into JetStream',
          formatNumber(median(times.relay), 0),
          formatNumber(rate(times.relay), 0),
          formatRatio(ratio),
        ],
        [
          'broker floor: the same messages prebuilt, same window',
          formatNumber(median(times.floor), 0),
          formatNumber(rate(times.floor), 0),
          formatRatio(median(times.floor) / median(times.library)),
        ],
        [
          'replay from JetStream',
          formatNumber(median(times.replay), 0),
          formatNumber(rate(times.replay), 0),
          formatRatio(median(times.replay) / median(times.library)),
        ],
      ],
      targets: [
        {
          target: `relay within ${TARGET_RATIO}x of the library's backfill`,
          measured: formatRatio(ratio),
          met: ratio <= TARGET_RATIO,
        },
      ],
      notes: [...(options.quick ? [`Quick run: ${size.events.toLocaleString('en')} events.`] : [])],
    };
  } finally {
    await nats.stop();
    await chain.stop();
  }
}
