import { firstValueFrom } from 'rxjs';
import { type NexusEvent, TaskStatus, TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents } from 'ogpu-events/jetstream';
import { eventMessages, readStream } from '../../support/jetStreamMessages';
import { describeWithNats } from '../../support/natsServer';
import { waitFor } from '../../support/streams';
import { type SuiteRelay, useChainAndNats } from '../../support/chainAndNats';
import { revert, snapshot } from '../../support/reorgs';
import { randomAddress } from '../../support/testChain';

describeWithNats('relayToJetStream: reorg removals on the wire', () => {
  const suite = useChainAndNats();
  const STREAM = 'REMOVALS';
  let relay: SuiteRelay;

  beforeAll(async () => {
    relay = await suite.startRelay({ stream: STREAM });
  });

  it('retracts, through the relay, an event a reorg took back, before the new chain’s events', async () => {
    const task = randomAddress();
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const withRemovals: NexusEvent[] = [];
    const without: NexusEvent[] = [];
    const start = (await suite.chain.head()) + 1;
    const subscriptions = [
      nexus.taskStatusChanged$(task, { fromBlock: start, withRemovals: true }).subscribe((e) => withRemovals.push(e)),
      nexus.taskStatusChanged$(task, { fromBlock: start }).subscribe((e) => without.push(e)),
    ];
    try {
      const id = await snapshot(suite.chain);
      const orphaned = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
      await waitFor(() => withRemovals.length === 1 && without.length === 1);
      await revert(suite.chain, id);
      // The replacing chain is longer, and holds another event of the task.
      await suite.chain.mine(2);
      const replacement = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
      await waitFor(() => withRemovals.length === 3);
      await relay.reached(replacement.blockNumber);

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

      const stored = eventMessages(await readStream(suite.nats.url, STREAM)).filter((m) =>
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
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const id = await snapshot(suite.chain);
    const orphaned = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    await relay.reached(orphaned.blockNumber);
    // Subscribed after the event, without history: the removal is not for it.
    const first = firstValueFrom(nexus.taskStatusChanged$(task, { withRemovals: true }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await revert(suite.chain, id);
    await suite.chain.mine(2);
    const replacement = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.EXPIRED);
    expect(await first).toMatchObject({ removed: false, transactionHash: replacement.hash });
  });
});
