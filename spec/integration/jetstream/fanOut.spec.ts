import type { Subscription } from 'rxjs';
import { TaskStatus, type TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents } from 'ogpu-events/jetstream';
import { FaultyRpcProxy } from '../../support/FaultyRpcProxy';
import { describeWithNats } from '../../support/natsServer';
import { waitFor } from '../../support/streams';
import { useChainAndNats } from '../../support/chainAndNats';
import { isHeadRequest } from '../../support/reorgs';
import { randomAddress } from '../../support/testChain';

const CLIENTS = 3;
const PER_CLIENT = 100;
const WITH_EVENTS = 30;

describeWithNats('fan-out: hundreds of subscriptions on one relay', () => {
  const suite = useChainAndNats();
  let proxy: FaultyRpcProxy;

  beforeAll(async () => {
    proxy = await new FaultyRpcProxy(suite.chain.url).start();
    suite.beforeStopping(() => proxy.stop());
    await suite.startRelay({ rpcUrl: proxy.url, pollInterval: 200 });
  });

  it('delivers each task its own events once, while the chain sees only the relay: at most 2 requests a tick', async () => {
    const tasks = Array.from({ length: CLIENTS * PER_CLIENT }, () => randomAddress());
    const received = new Map<string, TaskStatusChangedEvent[]>(tasks.map((t) => [t, []]));
    const subscriptions: Subscription[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const nexus = createJetStreamNexusEvents({ servers: suite.nats.url });
      for (const task of tasks.slice(c * PER_CLIENT, (c + 1) * PER_CLIENT)) {
        subscriptions.push(
          nexus.taskStatusChanged$(task, { fromBlock: 0 }).subscribe((e) => received.get(task)!.push(e)),
        );
      }
    }
    try {
      const busy = tasks.filter((_, i) => i % (tasks.length / WITH_EVENTS) === 0);
      for (const task of busy) await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
      await waitFor(() => busy.every((t) => received.get(t)!.length === 1), 30_000);

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
