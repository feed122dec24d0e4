import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type Subscription, firstValueFrom } from 'rxjs';
import { TaskStatus, TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents, relayToJetStream } from 'ogpu-events/jetstream';
import { eventMessages, readStream } from '../../support/jetStreamMessages';
import { natsRoles } from '../../support/natsRoles';
import { type NatsServer, describeWithNats, startNatsServer } from '../../support/natsServer';
import { type TestChain, randomAddress, startTestChain } from '../../support/testChain';

const STREAM = 'OGPU_NEXUS';

describeWithNats('JetStream with users: a publishing relay and a read-only consumer', () => {
  let chain: TestChain;
  let nats: NatsServer;
  let relay: Subscription;
  let relayed = -1;
  let relayFailure: unknown;
  const withUser = (user: string, password: string): string =>
    nats.url.replace('nats://', `nats://${user}:${password}@`);

  beforeAll(async () => {
    [chain, nats] = await Promise.all([
      startTestChain(),
      startNatsServer({ users: natsRoles(STREAM, 31337, { relay: 'relay-secret', reader: 'reader-secret' }) }),
    ]);
    relay = relayToJetStream({
      rpcUrl: chain.url,
      address: chain.nexusAddress,
      servers: withUser('relay', 'relay-secret'),
      pollInterval: 50,
    }).subscribe({
      next: (p) => {
        relayed = Math.max(relayed, p.toBlock);
      },
      error: (error: unknown) => (relayFailure = error),
    });
  });
  afterAll(async () => {
    relay?.unsubscribe();
    await Promise.all([chain?.stop(), nats?.stop()]);
  });

  it('the relay user publishes, and the read-only user consumes (credentials in the URL)', async () => {
    const task = randomAddress();
    const nexus = createJetStreamNexusEvents({ servers: withUser('reader', 'reader-secret') });
    const start = (await chain.head()) + 1;
    const sent = await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    const event = await firstValueFrom(nexus.taskStatusChanged$(task, { fromBlock: start }));
    expect(event).toBeInstanceOf(TaskStatusChangedEvent);
    expect(event.transactionHash).toBe(sent.hash);
    expect(relayFailure).toBeUndefined();
  });

  it('the read-only user cannot publish onto an event subject', async () => {
    const task = randomAddress();
    const nc = await connect({ servers: nats.url, user: 'reader', pass: 'reader-secret' });
    try {
      const forged = JSON.stringify({ eventName: 'TaskStatusChanged', task, status: TaskStatus.FINALIZED });
      await expect(
        jetstream(nc).publish(`ogpu.31337.TaskStatusChanged.${task.toLowerCase()}`, forged, { timeout: 2_000 }),
      ).rejects.toThrow(/permission/i);
    } finally {
      await nc.close().catch(() => undefined);
    }
    const stored = eventMessages(await readStream(nats.url, STREAM, { user: 'relay', pass: 'relay-secret' }));
    expect(stored.filter((m) => m.subject.endsWith(task.toLowerCase()))).toEqual([]);
  });

  it('a wrong password fails the stream with BROKER_AUTHENTICATION_FAILED, for a consumer and for a relay', async () => {
    const nexus = createJetStreamNexusEvents({ servers: withUser('reader', 'wrong') });
    await expect(firstValueFrom(nexus.registered$(randomAddress()))).rejects.toMatchObject({
      code: 'BROKER_AUTHENTICATION_FAILED',
      name: 'BrokerAuthenticationError',
    });
    const options = { rpcUrl: chain.url, address: chain.nexusAddress, servers: nats.url, user: 'relay', pass: 'nope' };
    await expect(firstValueFrom(relayToJetStream(options))).rejects.toMatchObject({
      code: 'BROKER_AUTHENTICATION_FAILED',
    });
  });

  it('the read-only user cannot run a relay: BROKER_PERMISSION_DENIED, not a relay that waits forever', async () => {
    const options = {
      rpcUrl: chain.url,
      address: chain.nexusAddress,
      servers: withUser('reader', 'reader-secret'),
      fromBlock: 0,
    };
    await expect(firstValueFrom(relayToJetStream(options))).rejects.toMatchObject({
      code: 'BROKER_PERMISSION_DENIED',
    });
  });
});
