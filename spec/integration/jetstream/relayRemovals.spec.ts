import { type Subscription, firstValueFrom } from 'rxjs';
import { type NexusEvent, TaskStatus, TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents, relayToJetStream } from 'ogpu-events/jetstream';
import { eventMessages, readStream } from '../../support/jetStreamMessages';
import { type NatsServer, describeWithNats, startNatsServer } from '../../support/natsServer';
import { revert, snapshot } from '../../support/reorgs';
import { type TestChain, randomAddress, startTestChain } from '../../support/testChain';

describeWithNats('relayToJetStream: reorg removals on the wire', () => {
  let chain: TestChain;
  let nats: NatsServer;
  let relay: Subscription;
  let relayed = -1;
  const STREAM = 'REMOVALS';

  beforeAll(async () => {
    [chain, nats] = await Promise.all([startTestChain(), startNatsServer()]);
    relay = relayToJetStream({
      rpcUrl: chain.url,
      address: chain.nexusAddress,
      servers: nats.url,
      stream: STREAM,
      // From the next block: a relay still connecting when the first event is mined must not skip it.
      fromBlock: (await chain.head()) + 1,
      pollInterval: 50,
    }).subscribe((p) => {
      relayed = Math.max(relayed, p.toBlock);
    });
  });
  afterAll(async () => {
    relay?.unsubscribe();
    await Promise.all([chain?.stop(), nats?.stop()]);
  });

  it('retracts, through the relay, an event a reorg took back, before the new chain’s events', async () => {
    const task = randomAddress();
    const nexus = createJetStreamNexusEvents({ servers: nats.url, stream: STREAM });
    const withRemovals: NexusEvent[] = [];
    const without: NexusEvent[] = [];
    const start = (await chain.head()) + 1;
    const subscriptions = [
      nexus.taskStatusChanged$(task, { fromBlock: start, withRemovals: true }).subscribe((e) => withRemovals.push(e)),
      nexus.taskStatusChanged$(task, { fromBlock: start }).subscribe((e) => without.push(e)),
    ];
    try {
      const id = await snapshot(chain);
      const orphaned = await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
      await waitUntil(() => withRemovals.length === 1 && without.length === 1);
      await revert(chain, id);
      // The replacing chain is longer, and holds another event of the task.
      await chain.mine(2);
      const replacement = await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
      await waitUntil(() => withRemovals.length === 3);
      await waitUntil(() => relayed >= replacement.blockNumber);

      const [event, removal, next] = withRemovals as [NexusEvent, NexusEvent, NexusEvent];
      expect(event).toBeInstanceOf(TaskStatusChangedEvent);
      expect(event).toMatchObject({
        removed: false,
        transactionHash: orphaned.hash,
        blockNumber: orphaned.blockNumber,
      });
      expect(removal).toBeInstanceOf(TaskStatusChangedEvent);
      expect({ ...removal }).toEqual({ ...event, removed: true });
      expect(next).toMatchObject({ removed: false, transactionHash: replacement.hash, status: TaskStatus.CANCELED });
      // Without withRemovals: never a removal, the new chain's event still comes.
      expect(without.map((e) => [e.removed, e.transactionHash])).toEqual([
        [false, orphaned.hash],
        [false, replacement.hash],
      ]);

      const stored = eventMessages(await readStream(nats.url, STREAM)).filter((m) =>
        m.subject.endsWith(task.toLowerCase()),
      );
      expect(stored.map((m) => [m.removed, m.json['removed'], m.json['transactionHash']])).toEqual([
        [false, false, orphaned.hash],
        [true, true, orphaned.hash],
        [false, false, replacement.hash],
      ]);
      expect(stored[1]?.id).toBe(`${stored[0]?.id}:removed`);
    } finally {
      for (const s of subscriptions) s.unsubscribe();
    }
  });

  it('does not hand a removal to a stream that never delivered the event', async () => {
    const task = randomAddress();
    const nexus = createJetStreamNexusEvents({ servers: nats.url, stream: STREAM });
    const id = await snapshot(chain);
    const orphaned = await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    await waitUntil(() => relayed >= orphaned.blockNumber);
    // Subscribed after the event, without history: the removal is not for it.
    const first = firstValueFrom(nexus.taskStatusChanged$(task, { withRemovals: true }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await revert(chain, id);
    await chain.mine(2);
    const replacement = await chain.send('emitTaskStatusChanged', task, TaskStatus.EXPIRED);
    expect(await first).toMatchObject({ removed: false, transactionHash: replacement.hash });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
