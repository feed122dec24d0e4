import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { TaskStatus, type TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents, relayToJetStream } from 'ogpu-events/jetstream';
import { eventMessages, readStream } from '../../support/jetStreamMessages';
import { closedLoopbackUrl } from '../../support/loopback';
import { describeWithNats } from '../../support/natsServer';
import { waitFor } from '../../support/streams';
import { useChainAndNats } from '../../support/chainAndNats';
import { randomAddress } from '../../support/testChain';

describeWithNats('JetStream relay and consumers: broker faults and bad input', () => {
  const suite = useChainAndNats();

  it('loses and doubles nothing when the broker restarts under a running relay and consumer', async () => {
    const STREAM = 'RESTART';
    const task = randomAddress();
    const start = (await suite.chain.head()) + 1;
    const relay = await suite.startRelay({ stream: STREAM, fromBlock: start });
    const nexus = createJetStreamNexusEvents({ servers: suite.nats.url, stream: STREAM });
    const seen: TaskStatusChangedEvent[] = [];
    let failure: unknown;
    const consumer = nexus
      .taskStatusChanged$(task, { fromBlock: start })
      .subscribe({ next: (e) => seen.push(e), error: (e: unknown) => (failure = e) });
    try {
      for (let i = 0; i < 5; i++) await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
      await waitFor(() => seen.length === 5);
      // Down for a while, with blocks mined meanwhile; then up again on the same port and store.
      const restarted = suite.nats.restart({ downMs: 1_000 });
      for (let i = 0; i < 5; i++) await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
      await restarted;
      for (let i = 0; i < 5; i++) await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.FINALIZED);
      const head = await suite.chain.head();
      await relay.reached(head, 30_000);
      await waitFor(() => seen.length >= 15, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      consumer.unsubscribe();
      relay.subscription.unsubscribe();
    }
    expect(failure).toBeUndefined();
    const logs = await suite.chain.provider.getLogs({
      address: suite.chain.nexusAddress,
      fromBlock: start,
      toBlock: 'latest',
    });
    const stored = eventMessages(await readStream(suite.nats.url, STREAM));
    expect(stored.map((m) => m.id)).toEqual(logs.map((l) => `${l.transactionHash}:${l.index}:${l.blockHash}`));
    expect(seen.map((e) => e.status)).toEqual([...Array(5).fill(1), ...Array(5).fill(2), ...Array(5).fill(5)]);
    expect(new Set(seen.map((e) => e.transactionHash)).size).toBe(15);
  }, 180_000);

  it('fails with BROKER_UNAVAILABLE when no server listens at the URL, for the relay and for a consumer', async () => {
    const url = (await closedLoopbackUrl()).replace('http:', 'nats:');
    const relay$ = relayToJetStream({ rpcUrl: suite.chain.url, address: suite.chain.nexusAddress, servers: url });
    await expect(firstValueFrom(relay$)).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    const nexus = createJetStreamNexusEvents({ servers: url });
    await expect(firstValueFrom(nexus.registered$(randomAddress()))).rejects.toMatchObject({
      code: 'BROKER_UNAVAILABLE',
    });
  });

  it('refuses, with STREAM_MISMATCH, a stream set up for another chain or another Nexus', async () => {
    const nc = await connect({ servers: suite.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      // Streams' subjects may not overlap: the earlier spec's stream holds ogpu.31337.>.
      await jsm.streams.delete('RESTART');
      await jsm.streams.add({ name: 'OTHER_CHAIN', subjects: ['ogpu.1071.>'] });
      await jsm.streams.add({
        name: 'OTHER_NEXUS',
        subjects: ['ogpu.31337.>'],
        description: `ogpu-events relay: chain 31337, Nexus 0x${'12'.repeat(20)}`,
      });
    } finally {
      await nc.close();
    }
    for (const stream of ['OTHER_CHAIN', 'OTHER_NEXUS']) {
      const relay$ = relayToJetStream({
        rpcUrl: suite.chain.url,
        address: suite.chain.nexusAddress,
        servers: suite.nats.url,
        stream,
      });
      await expect(firstValueFrom(relay$)).rejects.toMatchObject({ code: 'STREAM_MISMATCH', stream });
    }
  });

  it('validates the broker options at the call', () => {
    const chainSide = { rpcUrl: suite.chain.url, address: suite.chain.nexusAddress };
    expect(() => relayToJetStream({ ...chainSide, servers: 'http://127.0.0.1:4222' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option: 'servers' }),
    );
    expect(() => relayToJetStream({ ...chainSide, servers: suite.nats.url, stream: 'a.b' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option: 'stream' }),
    );
    expect(() => relayToJetStream({ ...chainSide, servers: [suite.nats.url, 'ws://127.0.0.1:1'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option: 'servers' }),
    );
    expect(() => relayToJetStream({ ...chainSide, servers: suite.nats.url, maxPending: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option: 'maxPending' }),
    );
  });
});
