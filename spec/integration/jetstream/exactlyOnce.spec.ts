import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { firstValueFrom, take, toArray } from 'rxjs';
import { createJetStreamNexusEvents } from 'ogpu-events/jetstream';
import { eventMessages, readStream } from '../../support/jetStreamMessages';
import { describeWithNats } from '../../support/natsServer';
import { useChainAndNats } from '../../support/chainAndNats';
import { type RelayProcess, startRelayProcess } from '../../support/relayProcess';
import { randomAddress } from '../../support/testChain';

const STREAM = 'EXACTLY_ONCE';
const BURST = 1_000;
/** The stream's duplicate window: every restart below waits longer than this. */
const DUPLICATE_WINDOW = 500;

describeWithNats('relayToJetStream: exactly once across SIGKILL and restarts', () => {
  const suite = useChainAndNats();
  let watcher: NatsConnection;

  beforeAll(async () => {
    watcher = await connect({ servers: suite.nats.url });
    suite.beforeStopping(() => watcher.close());
  });

  const storedMessages = async (): Promise<number> => {
    try {
      return (await (await jetstreamManager(watcher, { checkAPI: false })).streams.info(STREAM)).state.messages;
    } catch {
      return 0;
    }
  };

  /**
   * SIGKILLs the relay as soon as it has stored a few messages of the burst: the broker hands
   * each message it stores to core subscribers of its subject too, so the kill follows the
   * first of them within a millisecond, not a polling interval. Returns what the stream holds then.
   */
  const killMidBurst = async (relay: RelayProcess, task: string): Promise<number> => {
    const subscription = watcher.subscribe(`ogpu.31337.TaskStatusChanged.${task.toLowerCase()}`);
    let seen = 0;
    for await (const message of subscription) {
      seen += message.data.length > 0 ? 1 : 0;
      if (seen >= 5) break;
    }
    await relay.kill();
    subscription.unsubscribe();
    return storedMessages();
  };

  it('stores every event once and delivers each once, in order, though the relay is killed mid-block twice', async () => {
    const task = randomAddress();
    const source = randomAddress();
    const start = (await suite.chain.head()) + 1;
    const options = {
      rpcUrl: suite.chain.url,
      address: suite.chain.nexusAddress,
      servers: suite.nats.url,
      stream: STREAM,
      fromBlock: start,
      pollInterval: 50,
      maxPending: 16,
      duplicateWindow: DUPLICATE_WINDOW,
    };

    // A block of a thousand events, then lifecycles over many blocks.
    await suite.chain.send('emitManyStatuses', task, 1, BURST);
    for (let i = 0; i < 10; i++) await suite.chain.send('publishTask', randomAddress(), source);

    // 1. Killed before its first checkpoint, in the middle of the burst block.
    const first = startRelayProcess(options);
    const storedAtFirstKill = await killMidBurst(first, task);
    expect(storedAtFirstKill).toBeGreaterThan(0);
    expect(storedAtFirstKill).toBeLessThan(BURST);
    await new Promise((resolve) => setTimeout(resolve, 2 * DUPLICATE_WINDOW));

    // 2. Restarted: catches up, then is killed in the middle of a later burst.
    const second = startRelayProcess(options);
    await second.reached(await suite.chain.head());
    const before = await storedMessages();
    // Watching before the burst is mined: the relay stores it within milliseconds.
    await watcher.flush();
    const killed = killMidBurst(second, task);
    // Sent without parsing the receipt: ethers decoding a thousand logs would hold up this
    // process's event loop (and the kill) for longer than the relay takes to store them.
    await suite.chain.nexus.getFunction('emitManyStatuses')(task, 2, BURST);
    const storedAtSecondKill = await killed;
    expect(storedAtSecondKill - before).toBeLessThan(BURST);

    // 3. Blocks mined while it is down, and a restart after more than the duplicate window.
    await suite.chain.send('emitManyStatuses', task, 5, BURST);
    for (let i = 0; i < 10; i++) await suite.chain.send('emitTaskStatusChanged', task, 3);
    await new Promise((resolve) => setTimeout(resolve, 2 * DUPLICATE_WINDOW));
    const third = startRelayProcess(options);
    try {
      await third.reached(await suite.chain.head());
    } finally {
      await third.kill();
    }

    // The stream holds exactly the chain's logs, each once.
    const logs = await suite.chain.provider.getLogs({
      address: suite.chain.nexusAddress,
      fromBlock: start,
      toBlock: 'latest',
    });
    const onChain = logs.map((log) => `${log.transactionHash}:${log.index}:${log.blockHash}`);
    const stored = eventMessages(await readStream(suite.nats.url, STREAM));
    expect(stored.length).toBe(onChain.length);
    expect(new Set(stored.map((m) => m.id))).toEqual(new Set(onChain));
    expect(onChain.length).toBe(3 * BURST + 10 + 10 + 10);
    // In chain order.
    const positions = stored.map((m) => [m.json['blockNumber'] as number, m.json['logIndex'] as number] as const);
    const sorted = [...positions].sort(([b1, i1], [b2, i2]) => b1 - b2 || i1 - i2);
    expect(positions).toEqual(sorted);

    // A consumer sees each of the task's events once, in order.
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const expected = stored.filter((m) => m.subject.endsWith(task.toLowerCase()));
    const events = await firstValueFrom(
      nexus.taskStatusChanged$(task, { fromBlock: start }).pipe(take(expected.length), toArray()),
    );
    expect(events.map((e) => `${e.transactionHash}:${e.logIndex}:${e.blockHash}`)).toEqual(expected.map((m) => m.id));
  }, 240_000);
});
