import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { firstValueFrom, ignoreElements, timeout } from 'rxjs';
import { TaskStatus, TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents, relayToJetStream } from 'ogpu-events/jetstream';
import { eventMessages, readStream } from '../../support/jetStreamMessages';
import { natsRoles } from '../../support/natsRoles';
import { type SuiteRelay, useChainAndNats } from '../../support/chainAndNats';
import { type NatsServer, type NatsUser, describeWithNats, startNatsServer } from '../../support/natsServer';
import { randomAddress } from '../../support/testChain';

const STREAM = 'OGPU_NEXUS';

/**
 * A relay user whose server lets it manage the stream and publish its checkpoint and
 * Registered events, but not TaskStatusChanged: a server configuration that forgot a subject.
 */
function narrowRelayUser(): NatsUser {
  const [relayRole] = natsRoles(STREAM, 31337, { relay: 'narrow-secret', reader: 'unused' });
  if (relayRole === undefined) throw new Error('natsRoles gave no relay role');
  const allow = (relayRole.publish?.allow ?? []).filter((subject) => subject !== 'ogpu.31337.>');
  return {
    ...relayRole,
    user: 'narrow',
    publish: { allow: [...allow, 'ogpu.31337._checkpoint', 'ogpu.31337.Registered.>'] },
  };
}

/** The read-only user of an older configuration: no `STREAM.MSG.GET`, so replays cannot skip ahead. */
function olderReader(): NatsUser {
  const reader = natsRoles(STREAM, 31337, { relay: 'unused', reader: 'older-secret' })[1];
  if (reader === undefined) throw new Error('natsRoles gave no reader role');
  const allow = (reader.publish?.allow ?? []).filter((subject) => !subject.includes('.STREAM.MSG.GET.'));
  return { ...reader, user: 'older', publish: { ...reader.publish, allow } };
}

describeWithNats('JetStream with users: a publishing relay and a read-only consumer', () => {
  const suite = useChainAndNats({
    users: [...natsRoles(STREAM, 31337, { relay: 'relay-secret', reader: 'reader-secret' }), olderReader()],
  });
  let relay: SuiteRelay;
  const withUser = (user: string, password: string): string =>
    suite.nats.url.replace('nats://', `nats://${user}:${password}@`);

  beforeAll(async () => {
    // Pinned start (the fixture's default): with "new blocks only", a relay slow to connect
    // (a loaded machine) began above the first test's transaction and never published it.
    relay = await suite.startRelay({ servers: withUser('relay', 'relay-secret') });
  });

  it('the relay user publishes, and the read-only user consumes (credentials in the URL)', async () => {
    const task = randomAddress();
    const nexus = createJetStreamNexusEvents({ servers: withUser('reader', 'reader-secret') });
    const start = (await suite.chain.head()) + 1;
    const sent = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    const event = await firstValueFrom(nexus.taskStatusChanged$(task, { fromBlock: start }).pipe(timeout(30_000)));
    expect(event).toBeInstanceOf(TaskStatusChangedEvent);
    expect(event.transactionHash).toBe(sent.hash);
    expect(relay.failure()).toBeUndefined();
  });

  it('a read-only user without STREAM.MSG.GET still replays from fromBlock (from the start of the subject)', async () => {
    const task = randomAddress();
    const start = (await suite.chain.head()) + 1;
    await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    const second = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    const nexus = createJetStreamNexusEvents({ servers: withUser('older', 'older-secret') });
    const events = await firstValueFrom(
      nexus.taskStatusChanged$(task, { fromBlock: second.blockNumber }).pipe(timeout(30_000)),
    );
    expect([events.blockNumber, events.status]).toEqual([second.blockNumber, TaskStatus.ATTEMPTED]);
    expect(start).toBeLessThan(second.blockNumber);
  });

  it('the read-only user cannot publish onto an event subject', async () => {
    const task = randomAddress();
    const nc = await connect({ servers: suite.nats.url, user: 'reader', pass: 'reader-secret' });
    try {
      const forged = JSON.stringify({ eventName: 'TaskStatusChanged', task, status: TaskStatus.FINALIZED });
      await expect(
        jetstream(nc).publish(`ogpu.31337.TaskStatusChanged.${task.toLowerCase()}`, forged, { timeout: 2_000 }),
      ).rejects.toThrow(/permission/i);
    } finally {
      await nc.close().catch(() => undefined);
    }
    const stored = eventMessages(await readStream(suite.nats.url, STREAM, { user: 'relay', pass: 'relay-secret' }));
    expect(stored.filter((m) => m.subject.endsWith(task.toLowerCase()))).toEqual([]);
  });

  it('a wrong password fails the stream with BROKER_AUTHENTICATION_FAILED, for a consumer and for a relay', async () => {
    const nexus = createJetStreamNexusEvents({ servers: withUser('reader', 'wrong') });
    await expect(firstValueFrom(nexus.registered$(randomAddress()))).rejects.toMatchObject({
      code: 'BROKER_AUTHENTICATION_FAILED',
      name: 'BrokerAuthenticationError',
    });
    const options = {
      rpcUrl: suite.chain.url,
      address: suite.chain.nexusAddress,
      servers: suite.nats.url,
      user: 'relay',
      pass: 'nope',
    };
    await expect(firstValueFrom(relayToJetStream(options))).rejects.toMatchObject({
      code: 'BROKER_AUTHENTICATION_FAILED',
    });
  });

  it('the read-only user cannot run a relay: BROKER_PERMISSION_DENIED, not a relay that waits forever', async () => {
    const options = {
      rpcUrl: suite.chain.url,
      address: suite.chain.nexusAddress,
      servers: withUser('reader', 'reader-secret'),
      fromBlock: 0,
      pollInterval: 50,
    };
    // It may read the stream (and so resume after the running relay's checkpoint): it fails
    // at its first publish, of an event mined now.
    // The expectation is attached before the event is mined: the relay may fail before `send` returns.
    const failure = expect(
      firstValueFrom(relayToJetStream(options).pipe(ignoreElements(), timeout(30_000))),
    ).rejects.toMatchObject({ code: 'BROKER_PERMISSION_DENIED' });
    await suite.chain.send('emitTaskStatusChanged', randomAddress(), TaskStatus.ATTEMPTED);
    await failure;
  });

  // A server of its own: the stream above already holds the checkpoint of the relay that
  // runs beside these specs, and a second relay on it would resume above the refused event.
  describe('a relay refused one event subject', () => {
    let narrowNats: NatsServer;
    beforeAll(async () => {
      narrowNats = await startNatsServer({ users: [narrowRelayUser()] });
    });
    afterAll(() => narrowNats?.stop());

    it('fails with BROKER_PERMISSION_DENIED naming the stream, instead of retrying forever', async () => {
      const start = (await suite.chain.head()) + 1;
      await suite.chain.send('emitRegistered', randomAddress(), 1n, randomAddress(), 1);
      await suite.chain.send('emitTaskStatusChanged', randomAddress(), TaskStatus.ATTEMPTED);
      const options = {
        rpcUrl: suite.chain.url,
        address: suite.chain.nexusAddress,
        servers: narrowNats.url.replace('nats://', 'nats://narrow:narrow-secret@'),
        fromBlock: start,
        pollInterval: 50,
      };
      // Progress before the refused publish is ignored; the relay must end in an error.
      const failure = await firstValueFrom(relayToJetStream(options).pipe(ignoreElements(), timeout(30_000))).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({ code: 'BROKER_PERMISSION_DENIED', name: 'BrokerPermissionError' });
      expect(String((failure as Error).message)).toContain(STREAM);
      // What it was allowed to publish before the refusal is stored; the refused event is not.
      const stored = eventMessages(await readStream(narrowNats.url, STREAM, { user: 'narrow', pass: 'narrow-secret' }));
      expect(stored.map((m) => m.subject.split('.')[2])).toEqual(['Registered']);
    });
  });
});
