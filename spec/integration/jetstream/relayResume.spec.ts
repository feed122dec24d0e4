import { firstValueFrom, take, toArray } from 'rxjs';
import { TaskStatus, type TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents } from 'ogpu-events/jetstream';
import { eventMessages, readStream } from '../../support/jetStreamMessages';
import { type NatsServer, describeWithNats, startNatsServer } from '../../support/natsServer';
import { startRelayProcess } from '../../support/relayProcess';
import { revert, snapshot } from '../../support/reorgs';
import { type TestChain, randomAddress, startTestChain } from '../../support/testChain';

describeWithNats('relayToJetStream: a reorg below the checkpoint while the relay is down', () => {
  let chain: TestChain;
  let nats: NatsServer;

  beforeAll(async () => {
    [chain, nats] = await Promise.all([startTestChain(), startNatsServer()]);
  });
  afterAll(async () => {
    await Promise.all([chain?.stop(), nats?.stop()]);
  });

  it('walks back to the newest event still on the chain, retracts what the reorg took, and relays the new chain', async () => {
    const task = randomAddress();
    const STREAM = 'RESUME';
    const options = {
      rpcUrl: chain.url,
      address: chain.nexusAddress,
      servers: nats.url,
      stream: STREAM,
      fromBlock: (await chain.head()) + 1,
      pollInterval: 50,
    };
    const kept = await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    const id = await snapshot(chain);
    const orphaned = await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    const first = startRelayProcess(options);
    await first.reached(orphaned.blockNumber);
    await first.kill();

    // While it is down, the block it checkpointed is replaced by a longer chain.
    await revert(chain, id);
    await chain.mine(2);
    const replacement = await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
    const second = startRelayProcess(options);
    try {
      await second.reached(replacement.blockNumber);
    } finally {
      await second.kill();
    }

    const stored = eventMessages(await readStream(nats.url, STREAM));
    expect(stored.map((m) => [m.removed, m.json['transactionHash'], m.json['blockNumber']])).toEqual([
      [false, kept.hash, kept.blockNumber],
      [false, orphaned.hash, orphaned.blockNumber],
      [true, orphaned.hash, orphaned.blockNumber],
      [false, replacement.hash, replacement.blockNumber],
    ]);

    // A reader that folds the subject ends with the new chain's events.
    const nexus = createJetStreamNexusEvents({ servers: nats.url, stream: STREAM });
    const events = await firstValueFrom(
      nexus.taskStatusChanged$(task, { fromBlock: 0, withRemovals: true }).pipe(take(4), toArray()),
    );
    const fold = new Map<string, TaskStatusChangedEvent>();
    for (const e of events) {
      const key = `${e.transactionHash}:${e.logIndex}`;
      if (e.removed) fold.delete(key);
      else fold.set(key, e);
    }
    expect([...fold.values()].map((e) => e.status)).toEqual([TaskStatus.NEW, TaskStatus.CANCELED]);
  }, 180_000);
});
