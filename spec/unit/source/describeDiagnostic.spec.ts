import { describeDiagnostic, type NexusDiagnostic, RpcRequestError } from 'ogpu-events';

describe('describeDiagnostic', () => {
  const log = {
    address: '0x0000000000000000000000000000000000000001',
    topics: [],
    data: '0x',
    blockNumber: 7,
    blockHash: `0x${'a'.repeat(64)}`,
    transactionHash: `0x${'b'.repeat(64)}`,
    transactionIndex: 0,
    logIndex: 3,
    removed: false,
  };

  it('says which request failed, why, and when it is retried', () => {
    const d: NexusDiagnostic = {
      kind: 'rpc-retry',
      method: 'eth_getLogs',
      retry: 2,
      delayMs: 480,
      reason: 'JSON-RPC request eth_getLogs failed: exceeded project rate limit (HTTP 429)',
      error: new RpcRequestError('eth_getLogs', 'HTTP 429', { httpStatus: 429 }),
    };
    expect(describeDiagnostic(d)).toBe(
      'JSON-RPC request eth_getLogs failed: exceeded project rate limit (HTTP 429); retry 2 in 480 ms',
    );
  });

  it('says which range was refused and the span used from now on', () => {
    const d: NexusDiagnostic = {
      kind: 'range-split',
      fromBlock: 100,
      toBlock: 5099,
      nextSpan: 2500,
      basis: 'halved',
      reason: 'query returned more than 10000 results',
    };
    expect(describeDiagnostic(d)).toBe(
      'blocks 100-5099 refused (query returned more than 10000 results); now 2500 blocks at a time',
    );
  });

  it('says which block was replaced, where reading resumes, and whether the reorg was deeper than remembered', () => {
    const d = { kind: 'reorg', replacedBlock: 42, replacedHash: `0x${'c'.repeat(64)}`, ancestor: 40 } as const;
    expect(describeDiagnostic({ ...d, deeperThanMemory: false })).toBe(
      'reorg: block 42 replaced; re-reading from block 41',
    );
    expect(describeDiagnostic({ ...d, deeperThanMemory: true })).toBe(
      'reorg: block 42 replaced; re-reading from block 41 (deeper than the reorg memory)',
    );
  });

  it('lists every reason a log was skipped, naming the stream when one skipped it', () => {
    expect(describeDiagnostic({ kind: 'invalid-log', reason: ['bad logIndex', 'bad data'], log: {} })).toBe(
      'skipped a malformed log: bad logIndex; bad data',
    );
    expect(
      describeDiagnostic({
        kind: 'undecodable-log',
        event: 'TaskStatusChanged',
        stream: 'taskStatusChanged$(0xAbC…)',
        reason: ['status 9 is not a TaskStatus'],
        log,
      }),
    ).toBe('taskStatusChanged$(0xAbC…) skipped a log that does not decode: status 9 is not a TaskStatus');
    expect(describeDiagnostic({ kind: 'undecodable-log', event: 'Attempted', reason: ['data too short'], log })).toBe(
      'Attempted skipped a log that does not decode: data too short',
    );
  });
});
