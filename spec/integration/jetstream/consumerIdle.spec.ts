/**
 * Readers that go a long time without a message: the server must not delete their
 * consumers (a consumer is deleted after `inactive_threshold` without a pull), and the
 * first event after the silence arrives at once.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type NexusDiagnostic, TaskStatus, type TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents } from 'ogpu-events/jetstream';
import { describeWithNats } from '../../support/natsServer';
import { waitFor } from '../../support/streams';
import { useChainAndNats } from '../../support/chainAndNats';
import { randomAddress } from '../../support/testChain';

const STREAM = 'IDLE_READERS';
const READERS = 200;
/** Longer than the client's default pull expiry and the old inactive threshold (30 s both). */
const SILENCE_MS = 40_000;

describeWithNats('JetStream readers through a long silence', () => {
  const suite = useChainAndNats();
  beforeAll(async () => {
    await suite.startRelay({ stream: STREAM, pollInterval: 100 });
  });

  const consumerCount = async (): Promise<number> => {
    const nc = await connect({ servers: suite.nats.url });
    try {
      return (await (await jetstreamManager(nc)).streams.info(STREAM)).state.consumer_count;
    } finally {
      await nc.close();
    }
  };

  /** The distinct `inactive_threshold`s (ns) of the stream's consumers. */
  const inactiveThresholds = async (): Promise<number[]> => {
    const nc = await connect({ servers: suite.nats.url });
    try {
      const thresholds = new Set<number>();
      for await (const info of (await jetstreamManager(nc)).consumers.list(STREAM)) {
        thresholds.add(info.config.inactive_threshold ?? 0);
      }
      return [...thresholds];
    } finally {
      await nc.close();
    }
  };

  it(`keeps ${READERS} idle readers' consumers through ${SILENCE_MS / 1000} s without messages, and delivers at once after`, async () => {
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const diagnostics: NexusDiagnostic[] = [];
    const watching = nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
    const tasks = Array.from({ length: READERS }, () => randomAddress());
    const received = new Map<string, TaskStatusChangedEvent>();
    const readers = tasks.map((task) => nexus.taskStatusChanged$(task).subscribe((e) => received.set(task, e)));
    try {
      // The stream exists once the relay made it; every reader then has its consumer.
      await waitFor(async () => (await consumerCount().catch(() => 0)) === READERS, 30_000);

      // The server deletes a consumer whose last pull is older than its inactive threshold:
      // the threshold must stay far above the pull expiry (10 s), or an idle reader loses
      // its consumer in the instant between two pulls (seen with the client's default 30 s
      // for both: a race, so the silence below does not reproduce it every time).
      expect(await inactiveThresholds()).toEqual([120_000_000_000]);
      await new Promise((resolve) => setTimeout(resolve, SILENCE_MS));
      expect(await consumerCount()).toBe(READERS);

      // One event for a sample of the readers: each arrives within seconds, not after the
      // 30-45 s a reader whose consumer was deleted takes to notice and make a new one.
      const sample = [0, 49, 99, 149, 199].map((i) => tasks[i] as string);
      for (const task of sample) await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
      await waitFor(() => sample.every((task) => received.has(task)), 10_000);
      expect(sample.map((task) => received.get(task)?.task.toLowerCase())).toEqual(sample.map((t) => t.toLowerCase()));
      expect(received.size).toBe(sample.length);
      expect(diagnostics.filter((d) => d.kind === 'broker-wait' && d.waitingFor === 'consumer')).toEqual([]);
    } finally {
      for (const reader of readers) reader.unsubscribe();
      watching.unsubscribe();
    }
  }, 120_000);
});
