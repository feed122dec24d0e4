import { JsonRpcProvider, Network, concat as concatBytes, zeroPadValue } from 'ethers';
import { type Observable, firstValueFrom, timeout } from 'rxjs';
import {
  createNexusEvents,
  type NexusDiagnostic,
  type NexusEvent,
  NEXUS_EVENT_TOPICS,
  NexusNotFoundError,
  OgpuEventsError,
  RpcRequestError,
  type RpcRetryDiagnostic,
  RpcUnavailableError,
  TaskStatus,
  type TaskStatusChangedEvent,
} from 'ogpu-events';
import { freePort } from '../support/anvil';
import { FaultyRpcProxy } from '../support/FaultyRpcProxy';
import { collect, sleep, waitFor } from '../support/streams';
import { randomAddress, startTestChain, type TestChain } from '../support/testChain';

let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(() => chain.stop());

const word = (value: string | number): string =>
  zeroPadValue(typeof value === 'number' ? `0x${value.toString(16).padStart(2, '0')}` : value, 32);

describe('bad data from the chain', () => {
  it('skips logs that do not decode, reports each with its reason, and still delivers the events after them', async () => {
    const nexus = createNexusEvents({ rpcUrl: chain.url, address: chain.nexusAddress, pollInterval: 50 });
    const diagnostics: NexusDiagnostic[] = [];
    const subscription = nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
    const task = randomAddress();
    const topic = NEXUS_EVENT_TOPICS.TaskStatusChanged;
    const fromBlock = (await chain.head()) + 1;

    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await chain.send('emitTaskStatusChanged', task, 9); // enum out of range
    await chain.send('emitRaw', topic, word(task)); // truncated: one word of two
    await chain.send('emitRaw', topic, '0x1234'); // truncated below the scope word
    await chain.send('emitRaw', topic, concatBytes([word(task), word(1), word(0)])); // a word too many
    await chain.send('emitRaw', topic, concatBytes([`0xff${word(task).slice(4)}`, word(1)])); // dirty address padding
    await chain.send('emitRaw', topic, concatBytes([word(task), `0x01${word(2).slice(4)}`])); // dirty uint8 padding
    await chain.send('emitTaskStatusChanged', task, TaskStatus.FINALIZED);

    const live = collect(nexus.taskStatusChanged$(task), 1);
    const history = await collect(nexus.taskStatusChanged$(task, { fromBlock }), 2);
    await sleep(200);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
    const [afterwards] = await live;
    subscription.unsubscribe();

    expect(history.map((e: TaskStatusChangedEvent) => e.status)).toEqual([TaskStatus.NEW, TaskStatus.FINALIZED]);
    expect(afterwards!.status).toBe(TaskStatus.CANCELED);
    const reasons = diagnostics.map((d) => (d.kind === 'undecodable-log' ? d.reason.join(' ') : d.kind));
    // Shape problems are caught per batch before decoding, so reports are not in chain order.
    expect(reasons).toHaveLength(6);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/status.*9 is out of range/),
        expect.stringMatching(/2 words \(64 bytes\), got 32 bytes/),
        expect.stringMatching(/got 2 bytes/),
        expect.stringMatching(/got 96 bytes/),
        expect.stringMatching(/task.*padding/),
        expect.stringMatching(/status.*padding/),
      ]),
    );
    for (const d of diagnostics) {
      expect(d).toMatchObject({ kind: 'undecodable-log', event: 'TaskStatusChanged' });
      if (d.kind !== 'undecodable-log') continue;
      // A log of the wrong shape is dropped by the client (once, for every stream) before it
      // reaches a stream; a log that fails to decode is reported by the stream that decoded it.
      const shape = /got \d+ bytes$|has \d+ topics$/.test(d.reason.join(' '));
      if (shape) expect(d.stream).toBeUndefined();
      else expect(d.stream).toMatch(/^taskStatusChanged\$\(0x[0-9a-fA-F]{40}\)$/);
    }
  });

  it('reports a misshapen live log once for the client, whatever the number of streams', async () => {
    const nexus = createNexusEvents({ rpcUrl: chain.url, address: chain.nexusAddress, pollInterval: 50 });
    const diagnostics: NexusDiagnostic[] = [];
    const watching = nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
    const task = randomAddress();
    const streams: Observable<NexusEvent>[] = [
      nexus.taskStatusChanged$(task),
      nexus.taskStatusChanged$(randomAddress()),
      nexus.attempted$(task),
    ];
    const done = Promise.all(streams.slice(0, 1).map((s) => collect(s, 1)));
    const others = streams.slice(1).map((s) => s.subscribe());
    await sleep(300);
    await chain.send('emitRaw', NEXUS_EVENT_TOPICS.TaskStatusChanged, '0x1234');
    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await done;
    others.forEach((s) => s.unsubscribe());
    watching.unsubscribe();

    expect(diagnostics).toEqual([
      expect.objectContaining({ kind: 'undecodable-log', reason: [expect.stringMatching(/got 2 bytes/)] }),
    ]);
    expect(diagnostics[0]).not.toHaveProperty('stream');
  });
});

describe('connections', () => {
  it('works with an ethers provider given as `provider`', async () => {
    const network = Network.from(31337);
    const provider = new JsonRpcProvider(chain.url, network, { staticNetwork: network });
    const nexus = createNexusEvents({ provider, address: chain.nexusAddress, pollInterval: 50 });
    const task = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);

    const [event] = await collect(nexus.taskStatusChanged$(task, { fromBlock }), 1);

    expect(event!.status).toBe(TaskStatus.ATTEMPTED);
    provider.destroy();
  });

  it('by default keeps waiting for a node that cannot be reached: the stream neither fails nor emits, and each retry is reported as rpc-retry with a growing delay', async () => {
    const port = await freePort();
    const nexus = createNexusEvents({
      rpcUrl: `http://127.0.0.1:${port}`,
      address: chain.nexusAddress,
      pollInterval: 50,
    });
    const diagnostics: NexusDiagnostic[] = [];
    const watching = nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
    const outcome: unknown[] = [];
    const subscription = nexus.registered$(randomAddress()).subscribe({
      next: (event) => outcome.push(event),
      error: (error: unknown) => outcome.push(error),
    });
    const retries = (): RpcRetryDiagnostic[] =>
      diagnostics.filter((d): d is RpcRetryDiagnostic => d.kind === 'rpc-retry');
    const ofGetCode = (): RpcRetryDiagnostic[] => retries().filter((d) => d.method === 'eth_getCode');
    await waitFor(() => ofGetCode().length >= 3, 10_000, 'three retries of eth_getCode');
    subscription.unsubscribe();
    const reported = retries().length;
    await sleep(1_200);
    watching.unsubscribe();

    expect(outcome).toEqual([]);
    // the default backoff: 250 ms doubling, each delay between half and all of its step
    expect(ofGetCode().map((d) => d.retry)).toEqual([1, 2, 3]);
    ofGetCode().forEach((d, i) => {
      expect(d.delayMs).toBeGreaterThanOrEqual(125 * 2 ** i);
      expect(d.delayMs).toBeLessThanOrEqual(250 * 2 ** i);
    });
    for (const d of retries()) {
      // the code check and the head requests (the poller's, the stream's) go out together
      expect(['eth_getCode', 'eth_getBlockByNumber']).toContain(d.method);
      expect(d.error).toBeInstanceOf(RpcRequestError);
      expect(d.error).toMatchObject({ code: 'RPC_REQUEST_FAILED', method: d.method });
      expect(d.reason).toMatch(/ECONNREFUSED/);
    }
    // unsubscribing stopped the retries
    expect(retries()).toHaveLength(reported);
  });

  it('with retry.maxRetries, fails the stream with RpcUnavailableError once the retries of a request are spent', async () => {
    const port = await freePort();
    const nexus = createNexusEvents({
      rpcUrl: `http://127.0.0.1:${port}`,
      address: chain.nexusAddress,
      pollInterval: 50,
      retry: { maxRetries: 1, initialDelay: 10 },
    });

    const failure = await firstValueFrom(nexus.registered$(randomAddress()).pipe(timeout(20_000))).catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(RpcUnavailableError);
    expect(failure).toBeInstanceOf(OgpuEventsError);
    const unavailable = failure as RpcUnavailableError;
    expect(unavailable.code).toBe('RPC_UNAVAILABLE');
    expect(unavailable.attempts).toBe(2);
    // the code check and the head request go out together: whichever runs out of retries first fails the stream
    expect(['eth_getCode', 'eth_getBlockByNumber']).toContain(unavailable.method);
    expect(unavailable.cause).toBeInstanceOf(RpcRequestError);
    expect(unavailable.cause).toMatchObject({ code: 'RPC_REQUEST_FAILED', method: unavailable.method });
    expect((unavailable.cause as RpcRequestError).message).toMatch(/ECONNREFUSED/);
  });

  it('reads nothing but the Nexus address it was given, though another contract emits the same events', async () => {
    const other = await chain.deployNexus();
    const task = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    await other.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    await other.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);

    const diagnostics: NexusDiagnostic[] = [];
    const ours = createNexusEvents({ rpcUrl: chain.url, address: chain.nexusAddress, pollInterval: 50 });
    const theirs = createNexusEvents({ rpcUrl: chain.url, address: other.address, pollInterval: 50 });
    const watching = [ours, theirs].map((nexus) => nexus.diagnostics$.subscribe((d) => diagnostics.push(d)));
    const received = { ours: [] as TaskStatus[], theirs: [] as TaskStatus[] };
    const subscriptions = [
      ours.taskStatusChanged$(task, { fromBlock }).subscribe((e) => received.ours.push(e.status)),
      theirs.taskStatusChanged$(task, { fromBlock }).subscribe((e) => received.theirs.push(e.status)),
    ];
    await waitFor(() => received.ours.length >= 1 && received.theirs.length >= 2, 10_000, 'the backfills');
    // and live
    await other.send('emitTaskStatusChanged', task, TaskStatus.FINALIZED);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
    await waitFor(() => received.ours.length >= 2 && received.theirs.length >= 3, 10_000, 'the live events');
    await sleep(200);
    subscriptions.forEach((s) => s.unsubscribe());
    watching.forEach((s) => s.unsubscribe());

    expect(received.ours).toEqual([TaskStatus.ATTEMPTED, TaskStatus.CANCELED]);
    expect(received.theirs).toEqual([TaskStatus.NEW, TaskStatus.RESPONDED, TaskStatus.FINALIZED]);
    expect(diagnostics).toEqual([]);
  });

  it('fails fast with NexusNotFoundError naming the address when the address holds no code on the chain, and stops polling', async () => {
    const proxy = await new FaultyRpcProxy(chain.url).start();
    try {
      const address = randomAddress();
      const nexus = createNexusEvents({ rpcUrl: proxy.url, address, pollInterval: 50 });
      const started = Date.now();

      const failure = await firstValueFrom(nexus.taskStatusChanged$(randomAddress()).pipe(timeout(10_000))).catch(
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      await sleep(300);

      expect(failure).toBeInstanceOf(NexusNotFoundError);
      expect(failure).toMatchObject({ code: 'NEXUS_NOT_FOUND', address });
      expect((failure as NexusNotFoundError).message).toContain(address);
      expect(elapsed).toBeLessThan(1_000);
      // one code check, no retry of it, no log read, and no tick after the failure
      expect(proxy.count('eth_getCode')).toBe(1);
      expect(proxy.count('eth_getLogs')).toBe(0);
      expect(proxy.count('eth_getBlockByNumber')).toBeLessThanOrEqual(2);
    } finally {
      await proxy.stop();
    }
  });
});
