import type { Subscription } from 'rxjs';
import { TaskStatus, type TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents, relayToJetStream } from 'ogpu-events/jetstream';
import { FaultyRpcProxy } from '../../support/FaultyRpcProxy';
import { type NatsServer, describeWithNats, startNatsServer } from '../../support/natsServer';
import { isHeadRequest } from '../../support/reorgs';
import { type TestChain, randomAddress, startTestChain } from '../../support/testChain';

const CLIENTS = 3;
const PER_CLIENT = 100;
const WITH_EVENTS = 30;

describeWithNats('fan-out: hundreds of subscriptions on one relay', () => {
  let chain: TestChain;
  let nats: NatsServer;
  let proxy: FaultyRpcProxy;
  let relay: Subscription;

  beforeAll(async () => {
    [chain, nats] = await Promise.all([startTestChain(), startNatsServer()]);
    proxy = await new FaultyRpcProxy(chain.url).start();
    relay = relayToJetStream({
      rpcUrl: proxy.url,
      address: chain.nexusAddress,
      servers: nats.url,
      fromBlock: (await chain.head()) + 1,
      pollInterval: 200,
    }).subscribe();
  });
  afterAll(async () => {
    relay?.unsubscribe();
    await proxy?.stop();
    await Promise.all([chain?.stop(), nats?.stop()]);
  });

  it('delivers each task its own events once, while the chain sees only the relay: at most 2 requests a tick', async () => {
    const tasks = Array.from({ length: CLIENTS * PER_CLIENT }, () => randomAddress());
    const received = new Map<string, TaskStatusChangedEvent[]>(tasks.map((t) => [t, []]));
    const subscriptions: Subscription[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const nexus = createJetStreamNexusEvents({ servers: nats.url });
      for (const task of tasks.slice(c * PER_CLIENT, (c + 1) * PER_CLIENT)) {
        subscriptions.push(
          nexus.taskStatusChanged$(task, { fromBlock: 0 }).subscribe((e) => received.get(task)!.push(e)),
        );
      }
    }
    try {
      const busy = tasks.filter((_, i) => i % (tasks.length / WITH_EVENTS) === 0);
      for (const task of busy) await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
      await waitUntil(() => busy.every((t) => received.get(t)!.length === 1), 30_000);

      // Idle ticks with every subscription live: count what reaches the chain.
      const from = proxy.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const calls = proxy.calls.slice(from);
      const ticks = calls.filter(isHeadRequest).length;
      expect(ticks).toBeGreaterThanOrEqual(5);
      expect(calls.length).toBeLessThanOrEqual(2 * ticks);

      for (const [task, events] of received) {
        const expected = busy.includes(task) ? 1 : 0;
        expect([task, events.length]).toEqual([task, expected]);
        for (const event of events) expect(event.task).toBe(task);
      }
    } finally {
      for (const s of subscriptions) s.unsubscribe();
    }
  }, 180_000);
});

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
