import type { Subscription } from 'rxjs';
import { TaskStatus } from 'ogpu-events';
import { type RelayProgress, relayToJetStream } from 'ogpu-events/jetstream';
import { type StoredMessage, eventMessages, readStream } from '../../support/jetStreamMessages';
import { describeWithNats } from '../../support/natsServer';
import { waitFor } from '../../support/streams';
import { useChainAndNats } from '../../support/chainAndNats';
import { randomAddress } from '../../support/testChain';

describeWithNats('relayToJetStream', () => {
  const suite = useChainAndNats();

  it('publishes each event of a lifecycle once, on its subject, with toJSON() as payload and a message id', async () => {
    const source = randomAddress();
    const provider = randomAddress();
    const task = randomAddress();
    const response = randomAddress();
    const start = await suite.chain.head();
    const progress: RelayProgress[] = [];
    const relay$ = relayToJetStream({
      rpcUrl: suite.chain.url,
      address: suite.chain.nexusAddress,
      servers: suite.nats.url,
      stream: 'LIFECYCLE',
      fromBlock: start + 1,
      pollInterval: 50,
    });
    const subscription: Subscription = relay$.subscribe((p) => progress.push(p));
    try {
      await suite.chain.send('register', provider, source, 3);
      await suite.chain.send('publishTask', task, source);
      await suite.chain.send('attempt', task, provider, 10n ** 18n);
      await suite.chain.send('submitResponse', task, response);
      const last = await suite.chain.send('confirmResponse', task, response);
      await waitFor(() => progress.some((p) => p.toBlock >= last.blockNumber));
    } finally {
      subscription.unsubscribe();
    }
    const events = eventMessages(await readStream(suite.nats.url, 'LIFECYCLE'));
    const lower = (a: string): string => a.toLowerCase();
    expect(events.map((m) => m.subject)).toEqual([
      `ogpu.31337.Registered.${lower(source)}`,
      `ogpu.31337.TaskPublished.${lower(source)}`,
      `ogpu.31337.TaskStatusChanged.${lower(task)}`,
      `ogpu.31337.Attempted.${lower(task)}`,
      `ogpu.31337.TaskStatusChanged.${lower(task)}`,
      `ogpu.31337.ResponseSubmitted.${lower(task)}`,
      `ogpu.31337.ResponseStatusChanged.${lower(response)}`,
      `ogpu.31337.TaskStatusChanged.${lower(task)}`,
      `ogpu.31337.ResponseStatusChanged.${lower(response)}`,
      `ogpu.31337.TaskStatusChanged.${lower(task)}`,
    ]);
    const attempted = events[3] as StoredMessage;
    expect(attempted.json).toEqual({
      eventName: 'Attempted',
      blockNumber: expect.any(Number),
      blockHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      transactionHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      logIndex: 0,
      removed: false,
      task,
      provider,
      suggestedPayment: '1000000000000000000',
    });
    expect(attempted.id).toBe(`${attempted.json['transactionHash']}:0:${attempted.json['blockHash']}`);
    expect(events.at(-1)?.json['status']).toBe(TaskStatus.FINALIZED);
    expect(new Set(events.map((m) => m.id)).size).toBe(events.length);
    expect(events.every((m) => !m.removed)).toBe(true);
    expect(progress.reduce((n, p) => n + p.published, 0)).toBe(10);
  });
});
