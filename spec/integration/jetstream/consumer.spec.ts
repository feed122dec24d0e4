import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { firstValueFrom, take, toArray } from 'rxjs';
import { type NexusDiagnostic, TaskStatus, TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents } from 'ogpu-events/jetstream';
import { describeWithNats } from '../../support/natsServer';
import { waitFor } from '../../support/streams';
import { type SuiteRelay, useChainAndNats } from '../../support/chainAndNats';
import { randomAddress } from '../../support/testChain';
import { STREAM_BLOCK_DIP } from '../../../src/jetstream/startSequence';

describeWithNats('createJetStreamNexusEvents', () => {
  const suite = useChainAndNats();
  const STREAM = 'CONSUMERS';
  let relay: SuiteRelay | undefined;

  const startRelay = async (): Promise<void> => {
    relay = await suite.startRelay({ stream: STREAM, fromBlock: 0 });
  };
  const relayedUpTo = (block: number): Promise<void> => relay!.reached(block);
  const consumers = async (): Promise<number> => {
    const nc = await connect({ servers: suite.nats.url });
    try {
      return (await (await jetstreamManager(nc)).streams.info(STREAM)).state.consumer_count;
    } finally {
      await nc.close();
    }
  };

  it('waits, saying so, for a stream no relay has created yet, then delivers from it', async () => {
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const diagnostics: NexusDiagnostic[] = [];
    nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
    const task = randomAddress();
    const first = firstValueFrom(nexus.taskStatusChanged$(task, { fromBlock: 0 }));
    await waitFor(() => diagnostics.some((d) => d.kind === 'broker-wait' && d.waitingFor === 'stream'));
    await startRelay();
    await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    const event = await first;
    expect(event).toBeInstanceOf(TaskStatusChangedEvent);
    expect(Object.isFrozen(event)).toBe(true);
    expect(event.status).toBe(TaskStatus.ATTEMPTED);
    expect(event.removed).toBe(false);
  });

  it('replays a subject from fromBlock, then follows live, with no gap and no repeat', async () => {
    const task = randomAddress();
    const other = randomAddress();
    const early = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await suite.chain.send('emitTaskStatusChanged', other, TaskStatus.NEW);
    const second = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    await relayedUpTo(second.blockNumber);
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const all = firstValueFrom(
      nexus.taskStatusChanged$(task, { fromBlock: early.blockNumber }).pipe(take(4), toArray()),
    );
    await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
    await suite.chain.send('emitTaskStatusChanged', other, TaskStatus.RESPONDED);
    await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.FINALIZED);
    await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
    const events = await all;
    expect(events.map((e) => e.status)).toEqual([
      TaskStatus.NEW,
      TaskStatus.ATTEMPTED,
      TaskStatus.RESPONDED,
      TaskStatus.FINALIZED,
    ]);
    expect(events.every((e) => e.task === task)).toBe(true);
  });

  it('starts a replay on the server near fromBlock: the stream below it is not sent to the reader', async () => {
    const task = randomAddress();
    const early = await suite.chain.send('emitManyStatuses', task, TaskStatus.NEW, 40);
    await suite.chain.mine(STREAM_BLOCK_DIP + 100);
    const late = await suite.chain.send('emitManyStatuses', task, TaskStatus.ATTEMPTED, 3);
    await relayedUpTo(late.blockNumber);
    const nc = await connect({ servers: suite.nats.url });
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const events: TaskStatusChangedEvent[] = [];
    const reader = nexus.taskStatusChanged$(task, { fromBlock: late.blockNumber }).subscribe((e) => events.push(e));
    try {
      const jsm = await jetstreamManager(nc);
      await waitFor(() => events.length === 3);
      expect(events.map((e) => [e.blockNumber, e.status])).toEqual(
        Array.from({ length: 3 }, () => [late.blockNumber, TaskStatus.ATTEMPTED]),
      );
      // The reader's consumer starts above every message of the early block.
      const starts: number[] = [];
      for await (const consumer of jsm.consumers.list(STREAM)) {
        if (consumer.config.filter_subject?.endsWith(task.toLowerCase()))
          starts.push(consumer.config.opt_start_seq ?? 0);
      }
      const earlySequences: number[] = [];
      const info = await jsm.streams.info(STREAM);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const stored = await jsm.streams.getMessage(STREAM, { seq }).catch(() => null);
        if (stored === null || !stored.subject.endsWith(task.toLowerCase())) continue;
        if ((stored.json() as { blockNumber: number }).blockNumber === early.blockNumber) earlySequences.push(seq);
      }
      expect(earlySequences).toHaveLength(40);
      expect(starts).toHaveLength(1);
      expect(starts[0]).toBeGreaterThan(Math.max(...earlySequences));
    } finally {
      reader.unsubscribe();
      await nc.close();
    }
  });

  it('without fromBlock, delivers only events published after subscribing', async () => {
    const task = randomAddress();
    const before = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await relayedUpTo(before.blockNumber);
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const next = firstValueFrom(nexus.taskStatusChanged$(task));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    expect((await next).status).toBe(TaskStatus.ATTEMPTED);
  });

  it('filters on the server: the consumer it creates has the subject of its task, and is deleted on unsubscribe', async () => {
    const task = randomAddress();
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const before = await consumers();
    const subscription = nexus.attempted$(task).subscribe();
    const nc = await connect({ servers: suite.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      await waitFor(async () => (await jsm.streams.info(STREAM)).state.consumer_count === before + 1);
      const filters: string[] = [];
      for await (const info of jsm.consumers.list(STREAM)) filters.push(info.config.filter_subject ?? '');
      expect(filters).toContain(`ogpu.31337.Attempted.${task.toLowerCase()}`);
      subscription.unsubscribe();
      await waitFor(async () => (await jsm.streams.info(STREAM)).state.consumer_count === before);
    } finally {
      await nc.close();
    }
  });

  it('reports a malformed message on diagnostics$, skips it, and goes on', async () => {
    const task = randomAddress();
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const diagnostics: NexusDiagnostic[] = [];
    nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
    const next = firstValueFrom(nexus.taskStatusChanged$(task));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const nc = await connect({ servers: suite.nats.url });
    try {
      const js = jetstream(nc);
      const subject = `ogpu.31337.TaskStatusChanged.${task.toLowerCase()}`;
      await js.publish(subject, 'not json');
      await js.publish(subject, JSON.stringify({ eventName: 'TaskStatusChanged', task, status: 9 }));
      // A valid-looking event of another task, forged onto this task's subject.
      await js.publish(
        subject,
        JSON.stringify({
          eventName: 'TaskStatusChanged',
          blockNumber: 1,
          blockHash: `0x${'11'.repeat(32)}`,
          transactionHash: `0x${'22'.repeat(32)}`,
          logIndex: 0,
          removed: false,
          task: randomAddress(),
          status: 1,
        }),
      );
    } finally {
      await nc.close();
    }
    await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
    expect((await next).status).toBe(TaskStatus.RESPONDED);
    const invalid = diagnostics.filter((d) => d.kind === 'invalid-message');
    expect(invalid).toHaveLength(3);
    expect(invalid.map((d) => (d.kind === 'invalid-message' ? d.reason.join('; ') : ''))).toEqual([
      'the payload is not JSON',
      expect.stringMatching(/status/),
      expect.stringMatching(/but the subject is for/),
    ]);
  });

  it('validates at the call, as createNexusEvents does', () => {
    expect(() => createJetStreamNexusEvents({ servers: 'http://127.0.0.1:4222' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url });
    expect(() => nexus.taskPublished$('0x1234')).toThrow(expect.objectContaining({ code: 'INVALID_ADDRESS' }));
    expect(() => nexus.taskPublished$(randomAddress(), { fromBlock: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
