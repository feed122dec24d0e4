import { type Observable, throwError, timer, concatMap } from 'rxjs';
import { type GetLogsFilter, NEXUS_EVENT_TOPICS, type NexusDiagnostic, type NexusRpc } from 'ogpu-events';
import type { RpcBlockHeader } from '../../../src/codecs/RpcBlockHeader';
import { BlockSpan } from '../../../src/source/BlockSpan';
import { ChainMoved } from '../../../src/source/ChainMoved';
import { NexusBloom } from '../../../src/source/NexusBloom';
import { type ProvenRangeReader, readProvenRange } from '../../../src/source/readProvenRange';
import { NEXUS_ADDRESS, hash32, quantity, rpcLog } from '../helpers/logs';
import { runMarbles } from '../helpers/marbles';
import { logsBloomOf } from '../helpers/memoryChain';
import { testPolicy } from '../helpers/testPolicy';

const TOPIC = NEXUS_EVENT_TOPICS.TaskPublished;
const TOP = 12;
const TOP_HASH = hash32(0xb10c_12n);

/** Block 12's header, with a bloom that holds the Nexus logs (`true`), rules them out (`false`), or none at all. */
const topHeader = (bloom: boolean | undefined): RpcBlockHeader => ({
  number: TOP,
  hash: TOP_HASH,
  parentHash: hash32(0xb10c_11n),
  ...(bloom === undefined ? {} : { logsBloom: logsBloomOf(bloom ? [NEXUS_ADDRESS, TOPIC] : []) }),
});

/** A log of block `block` as the node answers it; the top block's logs carry its hash. */
const raw = (
  block: number,
  index: number,
  blockHash = block === TOP ? TOP_HASH : hash32(0xb10c_00n + BigInt(block)),
) => ({
  address: NEXUS_ADDRESS,
  topics: [TOPIC],
  data: `0x${'00'.repeat(64)}`,
  blockNumber: quantity(block),
  blockHash,
  transactionHash: hash32(0x7000n + BigInt(block * 10 + index)),
  logIndex: quantity(index),
});

interface FakeNode {
  readonly rpc: NexusRpc;
  readonly calls: string[];
}

/**
 * A node on the virtual clock (1 frame per answer): `range` answers eth_getLogs by range,
 * `byHash` answers it by block hash (the n-th call), `block` answers eth_getBlockByNumber.
 */
function fakeNode(options: {
  range: (filter: GetLogsFilter) => unknown[];
  byHash?: (call: number) => unknown[] | { code: number; message: string };
  block?: (number: number) => unknown;
}): FakeNode {
  const calls: string[] = [];
  let hashCalls = 0;
  const later = (answer: () => unknown): Observable<unknown> =>
    timer(1).pipe(
      concatMap(() => {
        const value = answer();
        return value !== null && typeof value === 'object' && 'code' in value ? throwError(() => value) : [value];
      }),
    );
  return {
    calls,
    rpc: {
      getBlock: (block) => {
        calls.push(`getBlock ${block}`);
        return later(() => options.block?.(block as number) ?? null);
      },
      getCode: () => later(() => '0x60'),
      getLogs: (filter) => {
        if (filter.blockHash === undefined) {
          calls.push(`getLogs ${filter.fromBlock}-${filter.toBlock}`);
          return later(() => options.range(filter));
        }
        calls.push(`getLogs ${filter.blockHash === TOP_HASH ? 'hash of 12' : filter.blockHash}`);
        const call = hashCalls++;
        return later(() => options.byHash?.(call) ?? []);
      },
    },
  };
}

function reader(rpc: NexusRpc, reports: NexusDiagnostic[], maxRetries = 0): ProvenRangeReader {
  return {
    rpc,
    policy: testPolicy({ maxRetries, initialDelay: 2, maxDelay: 2 }),
    address: NEXUS_ADDRESS,
    topics: [TOPIC],
    span: new BlockSpan(100),
    bloom: new NexusBloom(NEXUS_ADDRESS, [TOPIC]),
    report: (d) => reports.push(d),
  };
}

const logsOf = (...raws: ReturnType<typeof raw>[]) =>
  raws
    .map((r) =>
      rpcLog({
        block: Number.parseInt(r.blockNumber, 16),
        index: Number.parseInt(r.logIndex, 16),
        topics: r.topics,
        data: r.data,
        transactionHash: r.transactionHash,
      }),
    )
    .map((log, i) => ({ ...log, blockHash: raws[i]!.blockHash }));

describe('readProvenRange: the newest block of a read is vouched for, or read again by its hash', () => {
  it('keeps a range answer that holds logs of the newest block: the node had reached it (one request)', () => {
    const node = fakeNode({ range: () => [raw(10, 0), raw(12, 1)] });
    const reports: NexusDiagnostic[] = [];
    runMarbles(({ expectObservable }) => {
      expectObservable(readProvenRange(reader(node.rpc, reports), 10, topHeader(true))).toBe('-(a|)', {
        a: { fromBlock: 10, toBlock: 12, logs: logsOf(raw(10, 0), raw(12, 1)) },
      });
    });
    expect(node.calls).toEqual(['getLogs 10-12']);
    expect(reports).toEqual([]);
  });

  it("keeps a range answer without logs of the newest block when that block's bloom rules Nexus logs out (one request)", () => {
    const node = fakeNode({ range: () => [raw(10, 0)] });
    runMarbles(({ expectObservable }) => {
      expectObservable(readProvenRange(reader(node.rpc, []), 10, topHeader(false))).toBe('-(a|)', {
        a: { fromBlock: 10, toBlock: 12, logs: logsOf(raw(10, 0)) },
      });
    });
    expect(node.calls).toEqual(['getLogs 10-12']);
  });

  it('keeps the answer when the header carries no bloom (a custom transport): nothing to check against', () => {
    const node = fakeNode({ range: () => [] });
    runMarbles(({ expectObservable }) => {
      expectObservable(readProvenRange(reader(node.rpc, []), 10, topHeader(undefined))).toBe('-(a|)', {
        a: { fromBlock: 10, toBlock: 12, logs: [] },
      });
    });
    expect(node.calls).toEqual(['getLogs 10-12']);
  });

  it('asks for the newest block by hash when its bloom may hold Nexus logs and the answer shows none, delivers them, and reports the node that left them out', () => {
    // the range was answered by a node one block behind: block 12's logs are missing
    const node = fakeNode({ range: () => [raw(10, 0)], byHash: () => [raw(12, 0), raw(12, 1)] });
    const reports: NexusDiagnostic[] = [];
    runMarbles(({ expectObservable }) => {
      expectObservable(readProvenRange(reader(node.rpc, reports), 10, topHeader(true))).toBe('--(a|)', {
        a: { fromBlock: 10, toBlock: 12, logs: logsOf(raw(10, 0), raw(12, 0), raw(12, 1)) },
      });
    });
    expect(node.calls).toEqual(['getLogs 10-12', 'getLogs hash of 12']);
    expect(reports).toEqual([
      {
        kind: 'lagging-node',
        method: 'eth_getLogs',
        reason: 'the answer for blocks 10-12 lacked 2 log(s) of block 12',
      },
    ]);
  });

  it('a bloom that only looks like it holds Nexus logs costs the one hash read, and nothing is reported', () => {
    const node = fakeNode({ range: () => [], byHash: () => [] });
    const reports: NexusDiagnostic[] = [];
    runMarbles(({ expectObservable }) => {
      expectObservable(readProvenRange(reader(node.rpc, reports), 12, topHeader(true))).toBe('--(a|)', {
        a: { fromBlock: 12, toBlock: 12, logs: [] },
      });
    });
    expect(node.calls).toEqual(['getLogs 12-12', 'getLogs hash of 12']);
    expect(reports).toEqual([]);
  });

  it('retries "unknown block" (a node that has not seen the block yet) while the block is still on the chain, reporting lagging-node and rpc-retry', () => {
    const node = fakeNode({
      range: () => [],
      byHash: (call) => (call === 0 ? { code: -32000, message: 'unknown block' } : [raw(12, 0)]),
      block: (n) => ({ number: quantity(n), hash: TOP_HASH, parentHash: hash32(0xb10c_11n) }),
    });
    const reports: NexusDiagnostic[] = [];
    runMarbles(({ expectObservable }) => {
      // hash read at 1 fails at 2; block 12 checked at 2..3, still ours; retry after 2 frames: answered at 6
      expectObservable(readProvenRange(reader(node.rpc, reports, 3), 12, topHeader(true))).toBe('------(a|)', {
        a: { fromBlock: 12, toBlock: 12, logs: logsOf(raw(12, 0)) },
      });
    });
    expect(node.calls).toEqual(['getLogs 12-12', 'getLogs hash of 12', 'getBlock 12', 'getLogs hash of 12']);
    expect(reports.map((d) => d.kind)).toEqual(['lagging-node', 'rpc-retry', 'lagging-node']);
    expect(reports[0]).toEqual({ kind: 'lagging-node', method: 'eth_getLogs', reason: 'unknown block' });
  });

  it('fails with ChainMoved when "unknown block" is right: the block was replaced (another hash at its height, or none)', () => {
    for (const replacement of [{ hash: hash32(0xdead), parentHash: hash32(1) }, null]) {
      const node = fakeNode({
        range: () => [],
        byHash: () => ({ code: -32000, message: 'unknown block' }),
        block: (n) => (replacement === null ? null : { number: quantity(n), ...replacement }),
      });
      const reports: NexusDiagnostic[] = [];
      runMarbles(({ expectObservable }) => {
        expectObservable(readProvenRange(reader(node.rpc, reports, 3), 12, topHeader(true))).toBe(
          '---#',
          undefined,
          expect.any(ChainMoved),
        );
      });
      // no retry is announced for a block that is gone
      expect(reports).toEqual([]);
    }
  });

  it('refuses a hash answer holding a log of another block, and asks again', () => {
    const node = fakeNode({
      range: () => [],
      byHash: (call) => (call === 0 ? [raw(11, 0)] : [raw(12, 0)]),
    });
    const reports: NexusDiagnostic[] = [];
    runMarbles(({ expectObservable }) => {
      expectObservable(readProvenRange(reader(node.rpc, reports, 3), 12, topHeader(true))).toBe('-----(a|)', {
        a: { fromBlock: 12, toBlock: 12, logs: logsOf(raw(12, 0)) },
      });
    });
    expect(reports).toEqual([
      expect.objectContaining({
        kind: 'rpc-retry',
        method: 'eth_getLogs',
        error: expect.objectContaining({ details: [expect.stringContaining('asked for the logs of block 12')] }),
      }),
      {
        kind: 'lagging-node',
        method: 'eth_getLogs',
        reason: 'the answer for blocks 12-12 lacked 1 log(s) of block 12',
      },
    ]);
  });

  it('checks only the chunk that ends at the newest block: earlier chunks of a long read are delivered as they come', () => {
    const node = fakeNode({ range: (f) => (f.toBlock! < TOP ? [raw(3, 0)] : []), byHash: () => [] });
    runMarbles(({ expectObservable }) => {
      const read = readProvenRange({ ...reader(node.rpc, []), span: new BlockSpan(5) }, 3, topHeader(true));
      // the last chunk waits for the hash read of block 12
      expectObservable(read).toBe('-a-(b|)', {
        a: { fromBlock: 3, toBlock: 7, logs: logsOf(raw(3, 0)) },
        b: { fromBlock: 8, toBlock: 12, logs: [] },
      });
    });
  });
});
