import { createNexusEvents, type NexusEvents, TaskStatus, ResponseStatus } from 'ogpu-events';
import { randomAddress, startTestChain, type TestChain } from '../support/testChain';
import { monitorSource } from '../../examples/monitorSource';
import { waitForFirstAttempt } from '../../examples/waitForFirstAttempt';
import { fetchResponseWhenSubmitted } from '../../examples/fetchResponseWhenSubmitted';
import { waitForFinalized } from '../../examples/waitForFinalized';
import { followTaskWithForAwait } from '../../examples/forAwait';
import { liveTaskBoard, renderBoard } from '../../examples/liveTaskBoard';

let chain: TestChain;
let nexus: NexusEvents;
const quiet = (): void => undefined;

beforeAll(async () => {
  chain = await startTestChain();
  nexus = createNexusEvents({ rpcUrl: chain.url, address: chain.nexusAddress, pollInterval: 50 });
});
afterAll(() => chain.stop());

/** Publishes a task and runs its whole lifecycle; returns the block it was published in. */
async function lifecycle(source: string, task: string, provider: string, response: string): Promise<number> {
  const { blockNumber } = await chain.send('publishTask', task, source);
  await chain.send('attempt', task, provider, 123n);
  await chain.send('submitResponse', task, response);
  await chain.send('confirmResponse', task, response);
  return blockNumber;
}

test('monitorSource prints each new task of the source as it is published', async () => {
  const source = randomAddress();
  const seen = monitorSource(nexus, source, { count: 2, log: quiet });
  await new Promise((r) => setTimeout(r, 300));
  const [t1, t2] = [randomAddress(), randomAddress()];
  await chain.send('publishTask', t1, source);
  await chain.send('publishTask', randomAddress(), randomAddress());
  await chain.send('publishTask', t2, source);
  expect((await seen).map((e) => e.task)).toEqual([t1, t2]);
});

test('monitorSource reads history with fromBlock and stops when its signal aborts', async () => {
  const source = randomAddress();
  const fromBlock = (await chain.head()) + 1;
  const t1 = randomAddress();
  await chain.send('publishTask', t1, source);
  const stop = new AbortController();
  const seen = monitorSource(nexus, source, { fromBlock, signal: stop.signal, log: quiet });
  await new Promise((r) => setTimeout(r, 500));
  stop.abort();
  expect((await seen).map((e) => e.task)).toEqual([t1]);
  // already aborted
  expect(await monitorSource(nexus, source, { fromBlock, signal: stop.signal, log: quiet })).toEqual([]);
});

test('waitForFirstAttempt resolves with the first attempt, also one in the past, and rejects on abort', async () => {
  const task = randomAddress();
  const provider = randomAddress();
  const { blockNumber } = await chain.send('publishTask', task, randomAddress());
  await chain.send('attempt', task, provider, 42n);
  await chain.send('attempt', task, randomAddress(), 43n);
  const attempt = await waitForFirstAttempt(nexus, task, { fromBlock: blockNumber });
  expect([attempt.provider, attempt.suggestedPayment]).toEqual([provider, 42n]);
  await expect(waitForFirstAttempt(nexus, randomAddress(), { signal: AbortSignal.timeout(300) })).rejects.toThrow(
    /timeout/i,
  );
});

test('fetchResponseWhenSubmitted finds a past response and its confirmation', async () => {
  const source = randomAddress();
  const [task, response] = [randomAddress(), randomAddress()];
  const fromBlock = await lifecycle(source, task, randomAddress(), response);
  const lines: string[] = [];
  const { submitted, confirmed } = await fetchResponseWhenSubmitted(nexus, task, {
    fromBlock,
    log: (l) => lines.push(l),
  });
  expect(submitted.response).toBe(response);
  expect(confirmed.status).toBe(ResponseStatus.CONFIRMED);
  expect(lines).toHaveLength(3);
});

test('fetchResponseWhenSubmitted follows a response submitted after it started until CONFIRMED', async () => {
  const [task, response] = [randomAddress(), randomAddress()];
  const result = fetchResponseWhenSubmitted(nexus, task, { log: quiet });
  await new Promise((r) => setTimeout(r, 300));
  await lifecycle(randomAddress(), task, randomAddress(), response);
  expect((await result).confirmed.response).toBe(response);
});

test.each([
  ['waitForFinalized', waitForFinalized],
  ['forAwait', followTaskWithForAwait],
] as const)('%s follows a task to FINALIZED, past or live, and rejects on CANCELED', async (_name, follow) => {
  const task = randomAddress();
  const fromBlock = await lifecycle(randomAddress(), task, randomAddress(), randomAddress());
  const history = await follow(nexus, task, { fromBlock, log: quiet });
  expect(history.map((e) => e.status)).toEqual([
    TaskStatus.NEW,
    TaskStatus.ATTEMPTED,
    TaskStatus.RESPONDED,
    TaskStatus.FINALIZED,
  ]);

  const live = randomAddress();
  const pending = follow(nexus, live, { log: quiet });
  await new Promise((r) => setTimeout(r, 300));
  await lifecycle(randomAddress(), live, randomAddress(), randomAddress());
  expect((await pending).at(-1)?.status).toBe(TaskStatus.FINALIZED);

  const canceled = randomAddress();
  const b = (await chain.send('publishTask', canceled, randomAddress())).blockNumber;
  await chain.send('emitTaskStatusChanged', canceled, TaskStatus.CANCELED);
  await expect(follow(nexus, canceled, { fromBlock: b, log: quiet })).rejects.toThrow(/CANCELED/);
  await expect(follow(nexus, randomAddress(), { log: quiet, signal: AbortSignal.timeout(200) })).rejects.toThrow(
    /timeout/i,
  );
});

test('liveTaskBoard builds the board of a source from the combined streams', async () => {
  const source = randomAddress();
  const fromBlock = (await chain.head()) + 1;
  const [p1, p2] = [randomAddress(), randomAddress()];
  await chain.send('register', p1, source, 1);
  await chain.send('register', p2, source, 6);
  const [t1, t2, r1, r2] = [randomAddress(), randomAddress(), randomAddress(), randomAddress()];
  await lifecycle(source, t1, p1, r1);
  const renders: string[] = [];
  const boardP = liveTaskBoard(nexus, source, {
    fromBlock,
    log: (t) => renders.push(t),
    until: (b) =>
      b.tasks.length === 2 &&
      b.tasks.every(
        // Streams deliver independently: a task can show FINALIZED before its response arrives.
        (t) =>
          t.status === TaskStatus.FINALIZED &&
          t.responses.length > 0 &&
          t.responses.every((r) => r.status === ResponseStatus.CONFIRMED),
      ),
  });
  await new Promise((r) => setTimeout(r, 300));
  await lifecycle(source, t2, p2, r2);
  const board = await boardP;
  expect(board.providers.map((p) => [p.provider, p.preferredEnvironment])).toEqual([
    [p1, 1],
    [p2, 6],
  ]);
  expect(
    board.tasks.map((t) => [t.task, t.status, t.attempts.length, t.responses.map((r) => [r.response, r.status])]),
  ).toEqual([
    [t1, TaskStatus.FINALIZED, 1, [[r1, ResponseStatus.CONFIRMED]]],
    [t2, TaskStatus.FINALIZED, 1, [[r2, ResponseStatus.CONFIRMED]]],
  ]);
  expect(renders.length).toBeGreaterThan(1);
  const rendered = renderBoard(board);
  expect(renders.at(-1)).toBe(rendered);
  for (const address of [p1, p2, t1, t2]) expect(rendered).toContain(address);
  expect(rendered).toMatch(/FINALIZED[\s\S]*CONFIRMED/);
});
