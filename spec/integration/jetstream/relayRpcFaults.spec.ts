import { TaskStatus, type NexusDiagnostic } from 'ogpu-events';
import { useChainAndNats } from '../../support/chainAndNats';
import { FAULT_KINDS, FaultyRpcProxy } from '../../support/FaultyRpcProxy';
import { eventMessages, readStream } from '../../support/jetStreamMessages';
import { describeWithNats } from '../../support/natsServer';
import { randomAddress } from '../../support/testChain';

describeWithNats('relayToJetStream through a faulty RPC endpoint', () => {
  const suite = useChainAndNats();

  it('stores every event once, in chain order, through 429s, 5xx, resets, slow answers, range and result caps and a lagging node', async () => {
    const STREAM = 'RPC_FAULTS';
    // A public endpoint at its worst: a third of the calls fail, getLogs is capped at 5 blocks
    // and 250 results (worded as the providers word it, in turn); once live, many getLogs are
    // answered by a node a block behind the head.
    const proxy = await new FaultyRpcProxy(suite.chain.url, {
      rate: 0.3,
      kinds: FAULT_KINDS,
      slowMs: 300,
      seed: 12,
      maxBlockRange: 5,
      maxResults: 250,
    }).start();
    suite.beforeStopping(() => proxy.stop());
    const diagnostics: NexusDiagnostic[] = [];
    const start = (await suite.chain.head()) + 1;

    // History: a lifecycle, then blocks of 200 events (a range of two is above the result cap).
    const [source, provider, task, response] = [randomAddress(), randomAddress(), randomAddress(), randomAddress()];
    await suite.chain.send('register', provider, source, 3);
    await suite.chain.send('publishTask', task, source);
    await suite.chain.send('attempt', task, provider, 10n ** 18n);
    await suite.chain.send('submitResponse', task, response);
    await suite.chain.send('confirmResponse', task, response);
    for (let i = 0; i < 8; i++) await suite.chain.send('emitManyStatuses', randomAddress(), TaskStatus.NEW, 200);
    // The relay starts on that history (a backfill: ranges of several blocks), then follows live.
    const relay = await suite.startRelay({
      rpcUrl: proxy.url,
      stream: STREAM,
      fromBlock: start,
      requestTimeout: 1_000,
      retry: { initialDelay: 10, maxDelay: 100 },
      onDiagnostic: (d) => diagnostics.push(d),
    });
    await relay.reached(await suite.chain.head(), 120_000);
    proxy.configure({ lagging: { rate: 0.4 } });
    for (let i = 0; i < 20; i++) await suite.chain.send('emitTaskStatusChanged', randomAddress(), TaskStatus.ATTEMPTED);
    await relay.reached(await suite.chain.head(), 120_000);

    const logs = await suite.chain.provider.getLogs({
      address: suite.chain.nexusAddress,
      fromBlock: start,
      toBlock: 'latest',
    });
    expect(logs.length).toBeGreaterThan(8 * 200 + 20);
    const stored = eventMessages(await readStream(suite.nats.url, STREAM));
    expect(stored.map((m) => m.id)).toEqual(logs.map((l) => `${l.transactionHash}:${l.index}:${l.blockHash}`));
    expect(relay.failure()).toBeUndefined();

    // The faults were real, and the relay said what it went through.
    const faults = proxy.faults();
    expect(Object.values(faults).reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(10);
    expect(FAULT_KINDS.filter((kind) => faults[kind] > 0).length).toBeGreaterThanOrEqual(7);
    const caps = proxy.capRejections();
    expect(caps.range).toBeGreaterThan(0);
    expect(caps.results).toBeGreaterThan(0);
    expect(proxy.laggingAnswers().total).toBeGreaterThan(0);
    const kinds = new Set(diagnostics.map((d) => d.kind));
    expect(kinds).toContain('rpc-retry');
    expect(kinds).toContain('range-split');
  }, 180_000);
});
