import { getAddress } from 'ethers';
import { tap } from 'rxjs';
import {
  NETWORKS,
  NEXUS_EVENT_TOPICS,
  type NexusDiagnostic,
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

  it('a stream with fromBlock backfills its own topic, then follows the shared poller, delivering its events once and in chain order', () => {
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
      // head at 1; backfill [95, 100] read at 1, answered at 2; then the poller reads one new block per tick
      helpers
        .expectObservable(nexus.taskStatusChanged$(TASK, { fromBlock: 95 }), '^ 59ms !')
        .toBe('--(ab) 28ms c 19ms d', {
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
      topics: [[NEXUS_EVENT_TOPICS.TaskStatusChanged]],
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
  });

  it('a stream without fromBlock delivers only the events of blocks mined after it subscribed', () => {
    const logs = [statusChanged(TASK, TaskStatus.NEW, 100), statusChanged(TASK, TaskStatus.ATTEMPTED, 101)];
    runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, logs });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      // subscribed at head 100; the poller starts at frame 1 and reads block 101 at its tick of frame 11
      helpers
        .expectObservable(nexus.taskStatusChanged$(TASK), '^ 19ms !')
        .toBe('13ms b', { b: statusEvent(logs[1]!, TaskStatus.ATTEMPTED) });
    });
  });

  it('all streams of a client ride one poller: one eth_blockNumber per tick however many streams', () => {
    const countCalls = (streams: number): number[] =>
      runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: headAt });
        const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
        for (let i = 0; i < streams; i += 1) {
          helpers.expectObservable(nexus.registered$(SOURCE), '^ 34ms !').toBe('');
        }
        return node.blockNumberCalls;
      });

    const one = countCalls(1);
    expect(one).toEqual([0, 1, 11, 21, 31]);
    expect(countCalls(3)).toEqual(one);
  });

  it('polling goes on while any stream is subscribed and stops when the last one leaves', () => {
    const node = runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      helpers.expectObservable(nexus.registered$(SOURCE), '^ 24ms !').toBe('');
      helpers.expectObservable(nexus.attempted$(TASK), '^ 44ms !').toBe('');
      return node;
    });

    expect(node.blockNumberCalls).toEqual([0, 1, 11, 21, 31, 41]);
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
      helpers.expectObservable(nexus.taskStatusChanged$(TASK), '^ 19ms !').toBe('13ms g', expected);
      helpers.expectObservable(nexus.taskStatusChanged$(TASK.toLowerCase()), '^ 19ms !').toBe('13ms g', expected);
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
      helpers.expectObservable(nexus.registered$(SOURCE), '^ 19ms !').toBe('13ms r', {
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

  it('fails every subscribed stream with an RpcRequestError when the node fails', () => {
    const errors: unknown[] = [];
    runMarbles((helpers, scheduler) => {
      const node = scriptedRpc(helpers, scheduler, { heads: headAt, failGetLogs: () => new Error('502 Bad Gateway') });
      const nexus = createNexusEvents({ rpc: node.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      const failed = expect.objectContaining({ code: 'RPC_REQUEST_FAILED', method: 'eth_getLogs' });
      const record = tap({ error: (e: unknown) => errors.push(e) });
      helpers.expectObservable(nexus.taskStatusChanged$(TASK).pipe(record)).toBe('13ms #', undefined, failed);
      helpers.expectObservable(nexus.attempted$(TASK).pipe(record)).toBe('13ms #', undefined, failed);
    });

    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toBeInstanceOf(RpcRequestError);
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
    },
  );
});
