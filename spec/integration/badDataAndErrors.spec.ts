import { JsonRpcProvider, Network, concat as concatBytes, zeroPadValue } from 'ethers';
import { type Observable, firstValueFrom, timeout } from 'rxjs';
import {
  createNexusEvents,
  type NexusDiagnostic,
  type NexusEvent,
  NEXUS_EVENT_TOPICS,
  OgpuEventsError,
  RpcRequestError,
  TaskStatus,
  type TaskStatusChangedEvent,
} from 'ogpu-events';
import { freePort } from '../support/anvil';
import { collect, sleep } from '../support/streams';
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
      if (d.kind === 'undecodable-log') expect(d.stream).toMatch(/^taskStatusChanged\$\(0x[0-9a-fA-F]{40}\)$/);
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

  it('fails the stream with a typed RpcRequestError when the node cannot be reached', async () => {
    const port = await freePort();
    const nexus = createNexusEvents({
      rpcUrl: `http://127.0.0.1:${port}`,
      address: chain.nexusAddress,
      pollInterval: 50,
    });

    const failure = await firstValueFrom(nexus.registered$(randomAddress()).pipe(timeout(20_000))).catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(RpcRequestError);
    expect(failure).toBeInstanceOf(OgpuEventsError);
    expect((failure as RpcRequestError).code).toBe('RPC_REQUEST_FAILED');
    expect((failure as RpcRequestError).method).toBe('eth_blockNumber');
  });

  it('reads nothing but the Nexus address it was given', async () => {
    const other = await startTestChain();
    try {
      const task = randomAddress();
      const fromBlock = (await other.head()) + 1;
      await other.send('emitTaskStatusChanged', task, TaskStatus.NEW);
      const nexus = createNexusEvents({ rpcUrl: other.url, address: randomAddress(), pollInterval: 50 });
      const received: unknown[] = [];
      const subscription = nexus.taskStatusChanged$(task, { fromBlock }).subscribe((e) => received.push(e));
      await sleep(400);
      subscription.unsubscribe();
      expect(received).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});
