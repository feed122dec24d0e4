import { firstValueFrom, take, toArray } from 'rxjs';
import { TaskStatus, type TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents } from 'ogpu-events/jetstream';
import { eventMessages, readStream } from '../../support/jetStreamMessages';
import { describeWithNats } from '../../support/natsServer';
import { useChainAndNats } from '../../support/chainAndNats';
import { startRelayProcess } from '../../support/relayProcess';
import { revert, snapshot } from '../../support/reorgs';
import { randomAddress } from '../../support/testChain';

describeWithNats('relayToJetStream: a reorg below the checkpoint while the relay is down', () => {
  const suite = useChainAndNats();

  it('walks back to the newest event still on the chain, retracts what the reorg took, and relays the new chain', async () => {
    const task = randomAddress();
    const STREAM = 'RESUME';
    const options = {
      rpcUrl: suite.chain.url,
      address: suite.chain.nexusAddress,
      servers: suite.nats.url,
      stream: STREAM,
      fromBlock: (await suite.chain.head()) + 1,
      pollInterval: 50,
    };
    const kept = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    const id = await snapshot(suite.chain);
    const orphaned = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    const first = startRelayProcess(options);
    await first.reached(orphaned.blockNumber);
    await first.kill();

    // While it is down, the block it checkpointed is replaced by a longer suite.chain.
    await revert(suite.chain, id);
    await suite.chain.mine(2);
    const replacement = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
    const second = startRelayProcess(options);
    try {
      await second.reached(replacement.blockNumber);
    } finally {
      await second.kill();
    }

    const stored = eventMessages(await readStream(suite.nats.url, STREAM));
    expect(stored.map((m) => [m.removed, m.json['transactionHash'], m.json['blockNumber']])).toEqual([
      [false, kept.hash, kept.blockNumber],
      [false, orphaned.hash, orphaned.blockNumber],
      [true, orphaned.hash, orphaned.blockNumber],
      [false, replacement.hash, replacement.blockNumber],
    ]);

    // A reader that folds the subject ends with the new chain's events.
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
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
