import { getAddress } from 'ethers';
import { type Observable, take, tap } from 'rxjs';
import {
  NETWORKS,
  type NexusDiagnostic,
  type NexusEvent,
  type NexusRpc,
  NexusNotFoundError,
  RegisteredEvent,
  RpcRequestError,
  RpcUnavailableError,
  TaskStatus,
  TaskStatusChangedEvent,
  createNexusEvents,
} from 'ogpu-events';
import { NEXUS_TOPIC0S } from '../../../src/nexus/nexusEventTopics';
import { type LogSpec, NEXUS_ADDRESS, rawLog, word } from '../helpers/logs';
import { runMarbles, scriptedRpc, untouchableRpc } from '../helpers/marbles';
import { nexusLog, positionOf } from '../helpers/nexusLogs';

const TASK = getAddress(`0x${'7a'.repeat(20)}`);
const OTHER_TASK = getAddress(`0x${'7b'.repeat(20)}`);
const SOURCE = getAddress(`0x${'50'.repeat(20)}`);
const PROVIDER = getAddress(`0x${'9f'.repeat(20)}`);

const statusChanged = (task: string, status: number, block: number, index = 0): LogSpec =>
  nexusLog('TaskStatusChanged', [task, status], block, index);

const statusEvent = (log: LogSpec, status: TaskStatus): TaskStatusChangedEvent =>
  new TaskStatusChangedEvent({ task: TASK, status, ...positionOf(log) });

/** One new block every 10 frames: block 100 at frames 0-9, 101 at 10-19, … */
const headAt = (now: number): number => 100 + Math.floor(now / 10);

describe('createNexusEvents', () => {
  it('makes no RPC call when created, when its stream methods are called, or when diagnostics$ is subscribed', () => {
    const rpc = untouchableRpc();
    const nexus = createNexusEvents({ rpc, address: NEXUS_ADDRESS, pollInterval: 1 });
    nexus.taskPublished$(SOURCE);
    nexus.attempted$(TASK);
    nexus.responseSubmitted$(TASK);
    nexus.responseStatusChanged$(TASK, { fromBlock: 0 });
    nexus.taskStatusChanged$(TASK);
    nexus.registered$(SOURCE);
    const subscription = nexus.diagnostics$.subscribe();
    subscription.unsubscribe();

    expect(rpc.calls).toEqual([]);
  });

  it('a stream with fromBlock backfills through the client’s shared history reads (all six topics, fetched once for every stream), then follows the shared poller, delivering its events once and in chain order', () => {
    const logs = [
      statusChanged(TASK, TaskStatus.NEW, 95),
      nexusLog('TaskPublished', [TASK, SOURCE], 95, 1),
      statusChanged(OTHER_TASK, TaskStatus.NEW, 96),
      statusChanged(TASK, TaskStatus.ATTEMPTED, 98, 4),
      statusChanged(TASK, TaskStatus.RESPONDED, 103),
      statusChanged(OTHER_TASK, TaskStatus.CANCELED, 104),
      statusChanged(TASK, TaskStatus.FINALIZED, 105, 2),
    ];
    const node = runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, logs });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      // the poller's first tick and the stream share the head request of frame 0 (head 100 at 1);
      // backfill [95, 100] read at 1, answered at 2; then the poller reads one new block per
      // tick (ticks at 10, 20, …: the head at +1, the logs at +2)
      helpers
        .expectObservable(nexus.taskStatusChanged$(TASK, { fromBlock: 95 }), '^ 59ms !')
        .toBe('--(ab) 26ms c 19ms d', {
          a: statusEvent(logs[0]!, TaskStatus.NEW),
          b: statusEvent(logs[3]!, TaskStatus.ATTEMPTED),
          c: statusEvent(logs[4]!, TaskStatus.RESPONDED),
          d: statusEvent(logs[6]!, TaskStatus.FINALIZED),
        });
      return node;
    });

    const [backfill, ...live] = node.getLogsCalls.map(({ filter }) => filter);
    expect(backfill).toEqual({
      address: NEXUS_ADDRESS,
      topics: [NEXUS_TOPIC0S],
      fromBlock: 95,
      toBlock: 100,
    });
    expect(live.map((f) => [f.fromBlock, f.toBlock])).toEqual([
      [101, 101],
      [102, 102],
      [103, 103],
      [104, 104],
      [105, 105],
    ]);
    for (const filter of live) expect(filter.topics).toEqual([NEXUS_TOPIC0S]);
    // one head request per tick, shared with the stream's own at frame 0; each new block is
    // the next one, so its parentHash checks the last one read: no other header is asked for
    expect(node.blockNumberCalls).toEqual([0, 10, 20, 30, 40, 50]);
    expect(node.blockCalls).toEqual([]);
    expect(node.codeCalls).toEqual([[0, NEXUS_ADDRESS]]);
  });

  it('a stream without fromBlock delivers only the events of blocks mined after it subscribed', () => {
    const logs = [statusChanged(TASK, TaskStatus.NEW, 100), statusChanged(TASK, TaskStatus.ATTEMPTED, 101)];
    runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, logs });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      // subscribed at head 100 (answered at 1); the poller reads block 101 at its tick of frame 10
      helpers
        .expectObservable(nexus.taskStatusChanged$(TASK), '^ 19ms !')
        .toBe('12ms b', { b: statusEvent(logs[1]!, TaskStatus.ATTEMPTED) });
    });
  });

  it('a stream subscribed after the last one left in the middle of a delivery (take) still reads its history up to the head', () => {
    const logs = [statusChanged(TASK, TaskStatus.NEW, 101), statusChanged(TASK, TaskStatus.ATTEMPTED, 103)];
    runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, logs });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      // leaves while the poller delivers block 101 (tick of frame 10): the poller stops
      helpers
        .expectObservable(nexus.taskStatusChanged$(TASK).pipe(take(1)), '^')
        .toBe('12ms (b|)', { b: statusEvent(logs[0]!, TaskStatus.NEW) });
      // a new subscriber at 35 (head 103) with history: the poller is not running, so its
      // history read goes up to the head, whatever the stopped poller had got to
      helpers.expectObservable(nexus.taskStatusChanged$(TASK, { fromBlock: 101 }), '35ms ^ 9ms !').toBe('37ms (ab)', {
        a: statusEvent(logs[0]!, TaskStatus.NEW),
        b: statusEvent(logs[1]!, TaskStatus.ATTEMPTED),
      });
    });
  });

  it('all streams of a client ride one poller: one head request (eth_getBlockByNumber latest) per tick and one eth_getCode, however many streams', () => {
    const countCalls = (streams: number) =>
      runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: headAt });
        const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
        for (let i = 0; i < streams; i += 1) {
          helpers.expectObservable(nexus.registered$(SOURCE), '^ 34ms !').toBe('');
        }
        return node;
      });

    const one = countCalls(1);
    // the streams' head requests at subscription share the first tick's
    expect(one.blockNumberCalls).toEqual([0, 10, 20, 30]);
    expect(one.getLogsCalls).toHaveLength(3);
    const three = countCalls(3);
    expect(three.blockNumberCalls).toEqual(one.blockNumberCalls);
    expect(three.getLogsCalls).toEqual(one.getLogsCalls);
    expect(three.codeCalls).toEqual([[0, NEXUS_ADDRESS]]);
  });

  it('polling goes on while any stream is subscribed and stops when the last one leaves', () => {
    const node = runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      helpers.expectObservable(nexus.registered$(SOURCE), '^ 24ms !').toBe('');
      helpers.expectObservable(nexus.attempted$(TASK), '^ 44ms !').toBe('');
      return node;
    });

    expect(node.blockNumberCalls).toEqual([0, 10, 20, 30, 40]);
  });

  it('skips logs that do not decode, reports them on diagnostics$, and delivers the events after them', () => {
    const badStatus = { ...statusChanged(TASK, TaskStatus.NEW, 101), data: `0x${word(BigInt(TASK))}${word(9)}` };
    const truncated = { ...statusChanged(TASK, TaskStatus.NEW, 101, 1), data: `0x${word(BigInt(TASK))}` };
    const good = statusChanged(TASK, TaskStatus.ATTEMPTED, 101, 2);
    const diagnostics: NexusDiagnostic[] = [];
    runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, logs: [badStatus, truncated, good] });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
      const expected = { g: statusEvent(good, TaskStatus.ATTEMPTED) };
      helpers.expectObservable(nexus.taskStatusChanged$(TASK), '^ 19ms !').toBe('12ms g', expected);
      helpers.expectObservable(nexus.taskStatusChanged$(TASK.toLowerCase()), '^ 19ms !').toBe('12ms g', expected);
    });

    const bad = { ...positionOf(badStatus), address: NEXUS_ADDRESS, topics: badStatus.topics, data: badStatus.data };
    const short = { ...positionOf(truncated), address: NEXUS_ADDRESS, topics: truncated.topics, data: truncated.data };
    // the misshapen log is reported once for the client; the bad enum once per stream that read it
    expect(diagnostics).toEqual([
      {
        kind: 'undecodable-log',
        event: 'TaskStatusChanged',
        reason: ['TaskStatusChanged data must be 2 words (64 bytes), got 32 bytes'],
        log: short,
      },
      ...[1, 2].map(() => ({
        kind: 'undecodable-log',
        event: 'TaskStatusChanged',
        stream: `taskStatusChanged$(${TASK})`,
        reason: [expect.stringMatching(/^status: TaskStatus 9 is out of range/)],
        log: bad,
      })),
    ]);
  });

  it('reports logs the node sends that are not Nexus logs, as invalid-log', () => {
    const foreign: LogSpec = { ...statusChanged(TASK, TaskStatus.NEW, 101), address: `0x${'ee'.repeat(20)}` };
    const diagnostics: NexusDiagnostic[] = [];
    runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, logs: [foreign] });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
      helpers.expectObservable(nexus.taskStatusChanged$(TASK), '^ 19ms !').toBe('');
    });

    expect(diagnostics).toEqual([
      { kind: 'invalid-log', reason: [expect.stringContaining('0xeeee')], log: rawLog(foreign) },
    ]);
  });

  it('decodes every field of the event (Registered: uint256 and environment mask)', () => {
    const log = nexusLog('Registered', [PROVIDER, 2n ** 200n + 1n, SOURCE, 5], 101, 7);
    runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, logs: [log] });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      helpers.expectObservable(nexus.registered$(SOURCE), '^ 19ms !').toBe('12ms r', {
        r: new RegisteredEvent({
          provider: PROVIDER,
          registrantId: 2n ** 200n + 1n,
          source: SOURCE,
          preferredEnvironment: 5,
          ...positionOf(log),
        }),
      });
      // scoped by source, not by provider
      helpers.expectObservable(nexus.registered$(PROVIDER), '^ 19ms !').toBe('');
    });
  });

  it('retries a failing node, reporting each retry on diagnostics$, and fails every subscribed stream with RpcUnavailableError once retry.maxRetries is spent', () => {
    const errors: unknown[] = [];
    const diagnostics: NexusDiagnostic[] = [];
    const failure = new Error('502 Bad Gateway');
    const node = runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, failGetLogs: () => failure });
      const nexus = createNexusEvents({
        rpc: node.rpc,
        address: NEXUS_ADDRESS,
        pollInterval: 10,
        // no delay, so that the retries fall on known frames whatever the jitter
        retry: { maxRetries: 2, initialDelay: 0 },
      });
      nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
      const failed = expect.objectContaining({ code: 'RPC_UNAVAILABLE', method: 'eth_getLogs', attempts: 3 });
      const record = tap({ error: (e: unknown) => errors.push(e) });
      // eth_getLogs of block 101 at 11, 12 and 13, failing a frame later each time
      helpers.expectObservable(nexus.taskStatusChanged$(TASK).pipe(record)).toBe('14ms #', undefined, failed);
      helpers.expectObservable(nexus.attempted$(TASK).pipe(record)).toBe('14ms #', undefined, failed);
      return node;
    });

    expect(errors).toHaveLength(2);
    for (const error of errors) {
      expect(error).toBeInstanceOf(RpcUnavailableError);
      expect((error as RpcUnavailableError).cause).toBeInstanceOf(RpcRequestError);
      expect((error as RpcUnavailableError).cause).toMatchObject({ method: 'eth_getLogs', cause: failure });
    }
    expect(node.getLogsCalls.map(({ at }) => at)).toEqual([11, 12, 13]);
    expect(diagnostics).toEqual(
      [1, 2].map((retry) => ({
        kind: 'rpc-retry',
        method: 'eth_getLogs',
        retry,
        delayMs: 0,
        reason: expect.stringContaining('502 Bad Gateway'),
        error: expect.any(RpcRequestError),
      })),
    );
  });

  it('retries a failed head request once for the whole client: one retry request and one rpc-retry, however many streams wait on it', () => {
    const diagnostics: NexusDiagnostic[] = [];
    const heads: number[] = [];
    runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt });
      let failed = false;
      const rpc: NexusRpc = {
        ...node.rpc,
        getBlock: (block) => {
          if (block !== 'latest') return node.rpc.getBlock(block);
          heads.push(scheduler.now());
          if (failed) return node.rpc.getBlock(block);
          failed = true;
          return helpers.cold('-#', undefined, new Error('502 Bad Gateway'));
        },
      };
      const nexus = createNexusEvents({ rpc, address: NEXUS_ADDRESS, pollInterval: 100, retry: { initialDelay: 0 } });
      nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
      // the poller's first tick and five streams all wait on the first head request
      const streams: Observable<NexusEvent>[] = [
        nexus.taskStatusChanged$(TASK),
        nexus.attempted$(TASK),
        nexus.responseSubmitted$(TASK),
        nexus.taskPublished$(SOURCE, { fromBlock: 99 }),
        nexus.registered$(SOURCE, { fromBlock: 99, withRemovals: true }),
      ];
      for (const stream of streams) {
        helpers.expectObservable(stream, '^ 50ms !').toBe('');
      }
    });

    // one failed request at 0, one retry at 1 (initialDelay 0); the next tick at 100 is past the window
    expect(heads).toEqual([0, 1]);
    expect(diagnostics.filter((d) => d.kind === 'rpc-retry')).toEqual([
      expect.objectContaining({ kind: 'rpc-retry', method: 'eth_getBlockByNumber', retry: 1 }),
    ]);
  });

  it('fails every subscribed stream at once with an RpcRequestError when the node refuses a request for good, even with the default unlimited retries', () => {
    const errors: unknown[] = [];
    const diagnostics: NexusDiagnostic[] = [];
    runMarbles((helpers, scheduler) => {
      const refusal = Object.assign(new Error('invalid argument 0: hex string has leading zero digits'), {
        code: -32602,
      });
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, failGetLogs: () => refusal });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
      const failed = expect.objectContaining({ code: 'RPC_REQUEST_FAILED', method: 'eth_getLogs', rpcCode: -32602 });
      const record = tap({ error: (e: unknown) => errors.push(e) });
      helpers.expectObservable(nexus.taskStatusChanged$(TASK).pipe(record)).toBe('12ms #', undefined, failed);
      helpers.expectObservable(nexus.attempted$(TASK).pipe(record)).toBe('12ms #', undefined, failed);
    });

    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toBeInstanceOf(RpcRequestError);
    expect(diagnostics).toEqual([]);
  });

  it('fails every subscribed stream with NexusNotFoundError, before reading any log, when the Nexus address holds no code', () => {
    const errors: unknown[] = [];
    const node = runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, code: '0x' });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      const notFound = expect.objectContaining({ code: 'NEXUS_NOT_FOUND', address: getAddress(NEXUS_ADDRESS) });
      const record = tap({ error: (e: unknown) => errors.push(e) });
      helpers
        .expectObservable(nexus.taskStatusChanged$(TASK, { fromBlock: 90 }).pipe(record))
        .toBe('#', undefined, notFound);
      helpers.expectObservable(nexus.attempted$(TASK).pipe(record)).toBe('#', undefined, notFound);
      return node;
    });

    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toBeInstanceOf(NexusNotFoundError);
    expect(node.getLogsCalls).toEqual([]);
    // this fake answers eth_getCode synchronously: the streams fail before asking for the head
    expect(node.blockNumberCalls).toEqual([]);
  });

  it.each(Object.keys(NETWORKS) as (keyof typeof NETWORKS)[])(
    'with network %s, reads the logs of the preset Nexus address',
    (network) => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: headAt });
        const nexus = createNexusEvents({ network, rpc: node.rpc, pollInterval: 10 });
        helpers.expectObservable(nexus.taskStatusChanged$(TASK, { fromBlock: 90 }), '^ 4ms !').toBe('');
        return node;
      });

      expect(node.getLogsCalls.map(({ filter }) => filter.address)).toEqual([
        NETWORKS[network].nexusAddress.toLowerCase(),
      ]);
      expect(node.codeCalls).toEqual([[0, NETWORKS[network].nexusAddress.toLowerCase()]]);
    },
  );
});
