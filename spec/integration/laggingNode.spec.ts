import { type NexusDiagnostic, type TaskPublishedEvent, createNexusEvents } from 'ogpu-events';
import { FaultyRpcProxy, type LaggingOptions } from '../support/FaultyRpcProxy';
import { sleep, waitFor } from '../support/streams';
import { type TestChain, randomAddress, startTestChain } from '../support/testChain';

/*
 * Public endpoints balance requests over nodes not in step: the head may come from one node
 * and the logs from another that has not seen the newest block yet. The stream must still
 * deliver every event once, in order, whichever node answers.
 */

let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(() => chain.stop());

const proxies: FaultyRpcProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

const EVENTS = 30;

const backends: [string, LaggingOptions][] = [
  ['half the eth_getLogs are answered by a node one block behind, silently', { rate: 0.5, blocks: 1 }],
  [
    'half the eth_getLogs and half the eth_getBlockByNumber are answered by a node one block behind',
    { rate: 0.5, blocks: 1, methods: ['eth_getLogs', 'eth_getBlockByNumber'] },
  ],
  [
    'half the eth_getLogs are answered by a node one block behind that refuses a range past its head',
    { rate: 0.5, blocks: 1, style: 'error' },
  ],
];

describe.each(backends)('behind a load balancer where %s', (_, lagging) => {
  it.each([0, 2])(
    `with confirmations %i, taskPublished$ delivers each of ${EVENTS} events published one per block exactly once, in chain order`,
    async (confirmations) => {
      const proxy = await new FaultyRpcProxy(chain.url, { lagging }).start();
      proxies.push(proxy);
      const nexus = createNexusEvents({
        rpcUrl: proxy.url,
        address: chain.nexusAddress,
        pollInterval: 50,
        confirmations,
      });
      const source = randomAddress();
      const received: TaskPublishedEvent[] = [];
      const diagnostics: NexusDiagnostic[] = [];
      nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
      let failure: unknown;
      const subscription = nexus.taskPublished$(source).subscribe({
        next: (event) => received.push(event),
        error: (error: unknown) => (failure = error),
      });

      const sent: string[] = [];
      try {
        // The stream starts above the first head it reads: let it read one before publishing.
        await waitFor(() => proxy.count('eth_getBlockByNumber') >= 3, 10_000, 'the first polls');
        for (let i = 0; i < EVENTS; i++)
          sent.push((await chain.send('emitTaskPublished', randomAddress(), source)).hash);
        // The chain goes on, enough for the last event to be confirmed even by a node behind.
        for (let i = 0; i < confirmations + 3; i++) {
          await chain.mine(1);
          await sleep(100);
        }
        await waitFor(() => received.length >= EVENTS || failure !== undefined, 20_000, 'the events').catch(
          () => undefined, // the assertions below tell what is missing
        );
        await sleep(500); // room for a duplicate to show up, if there were one
      } finally {
        subscription.unsubscribe();
      }

      expect(proxy.laggingAnswers().total).toBeGreaterThan(0);
      // Without confirmations the newest block is where a node behind gives itself away, and it is said.
      if (confirmations === 0) expect(diagnostics.filter((d) => d.kind === 'lagging-node').length).toBeGreaterThan(0);
      expect({ error: failure, transactionHashes: received.map((event) => event.transactionHash) }).toEqual({
        error: undefined,
        transactionHashes: sent,
      });
    },
  );
});
