import { InvalidRpcResponseError, type NexusDiagnostic } from 'ogpu-events';
import { compareLogs, validateRpcLogs } from '../../../src/source/validateRpcLogs';
import { type LogSpec, NEXUS_ADDRESS, rawLog, rpcLog } from '../helpers/logs';

function validate(result: unknown): { logs: ReturnType<typeof validateRpcLogs>; reports: NexusDiagnostic[] } {
  const reports: NexusDiagnostic[] = [];
  const logs = validateRpcLogs(result, NEXUS_ADDRESS, (d) => reports.push(d));
  return { logs, reports };
}

const spec = (block: number, index: number): LogSpec => ({ block, index });

describe('validateRpcLogs', () => {
  it('returns well-formed logs of the Nexus address with quantities as numbers, reporting nothing', () => {
    const specs = [spec(1, 0), spec(1, 1), spec(2, 0)];
    const { logs, reports } = validate(specs.map(rawLog));

    expect(logs).toEqual(specs.map(rpcLog));
    expect(reports).toEqual([]);
  });

  it('lower-cases every hex field so that equal values compare equal as strings', () => {
    const shout = (hex: string): string => `0x${hex.slice(2).toUpperCase()}`;
    const upper = rawLog(spec(10, 10));
    for (const key of ['address', 'data', 'blockHash', 'transactionHash', 'logIndex'] as const) {
      upper[key] = shout(upper[key] as string);
    }
    upper['topics'] = (upper['topics'] as string[]).map(shout);
    expect(upper['logIndex']).toBe('0xA');

    const { logs, reports } = validate([upper]);

    expect(reports).toEqual([]);
    expect(logs).toEqual([rpcLog({ block: 10, index: 10 })]);
  });

  it('returns an empty list for an empty result', () => {
    expect(validate([])).toEqual({ logs: [], reports: [] });
  });

  describe('invalid logs', () => {
    it.each<[string, (log: Record<string, unknown>) => unknown, RegExp]>([
      ['a missing transactionHash', ({ transactionHash: _, ...log }) => log, /transactionHash/],
      ['a blockNumber in decimal', (log) => ({ ...log, blockNumber: '12' }), /blockNumber/],
      ['a blockNumber with a leading zero', (log) => ({ ...log, blockNumber: '0x0c' }), /blockNumber/],
      ['a negative logIndex', (log) => ({ ...log, logIndex: -1 }), /logIndex/],
      ['a short topic', (log) => ({ ...log, topics: ['0x1234'] }), /topics/],
      ['data of half a byte', (log) => ({ ...log, data: '0xabc' }), /data/],
      ['data that is not hex', (log) => ({ ...log, data: '0xzz' }), /data/],
      ['an address of 19 bytes', (log) => ({ ...log, address: `0x${'5a'.repeat(19)}` }), /address/],
      ['removed that is not a boolean', (log) => ({ ...log, removed: 'no' }), /removed/],
      ['null instead of a log', () => null, /./],
      ['a string instead of a log', () => 'log', /./],
    ])('skips %s and reports it with its reason, keeping the valid logs around it', (_what, corrupt, reason) => {
      const bad = corrupt(rawLog(spec(5, 1)));
      const { logs, reports } = validate([rawLog(spec(5, 0)), bad, rawLog(spec(6, 0))]);

      expect(logs).toEqual([rpcLog(spec(5, 0)), rpcLog(spec(6, 0))]);
      expect(reports).toEqual([
        { kind: 'invalid-log', reason: expect.arrayContaining([expect.stringMatching(reason)]), log: bad },
      ]);
    });

    it('reports one reason line per problem of a log', () => {
      const bad = { ...rawLog(spec(5, 1)), blockHash: 'nope', logIndex: 'one' };
      const { reports } = validate([bad]);

      expect(reports).toHaveLength(1);
      expect(reports[0]).toEqual({
        kind: 'invalid-log',
        reason: [expect.stringMatching(/blockHash/), expect.stringMatching(/logIndex/)],
        log: bad,
      });
    });

    it('skips a log of another address and reports both addresses', () => {
      const other = `0x${'cd'.repeat(20)}`;
      const foreign = rawLog({ block: 5, index: 1, address: other });
      const { logs, reports } = validate([rawLog(spec(5, 0)), foreign, rawLog(spec(5, 2))]);

      expect(logs).toEqual([rpcLog(spec(5, 0)), rpcLog(spec(5, 2))]);
      expect(reports).toEqual([
        {
          kind: 'invalid-log',
          reason: [expect.stringMatching(new RegExp(`${other}.*${NEXUS_ADDRESS}`))],
          log: foreign,
        },
      ]);
    });

    it('matches the Nexus address whatever the case the node answers it in', () => {
      const shouting = { ...rawLog(spec(5, 0)), address: `0x${NEXUS_ADDRESS.slice(2).toUpperCase()}` };
      expect(validate([shouting])).toEqual({ logs: [rpcLog(spec(5, 0))], reports: [] });
    });
  });

  it('drops logs marked removed: true without reporting them, and keeps removed: false', () => {
    const removed = { block: 7, index: 0, removed: true };
    const kept = { block: 7, index: 1, removed: false };
    const { logs, reports } = validate([rawLog(removed), rawLog(kept)]);

    expect(logs).toEqual([rpcLog(kept)]);
    expect(reports).toEqual([]);
  });

  it('returns logs in chain order (blockNumber, then logIndex) whatever order the node answered in', () => {
    const ordered = [spec(1, 0), spec(1, 2), spec(1, 10), spec(2, 0), spec(2, 1), spec(16, 0)];
    const shuffled = [ordered[4], ordered[2], ordered[5], ordered[0], ordered[3], ordered[1]].map((s) => rawLog(s!));

    expect(validate(shuffled).logs).toEqual(ordered.map(rpcLog));
  });

  it('orders by numeric value, not by hex string (0x10 comes after 0x9)', () => {
    const { logs } = validate([rawLog(spec(16, 0)), rawLog(spec(9, 0)), rawLog(spec(9, 16)), rawLog(spec(9, 2))]);

    expect(logs.map((l) => [l.blockNumber, l.logIndex])).toEqual([
      [9, 0],
      [9, 2],
      [9, 16],
      [16, 0],
    ]);
  });

  it.each([null, undefined, {}, { result: [] }, 'logs', 42])(
    'throws InvalidRpcResponseError (INVALID_RPC_RESPONSE) for a result that is not an array: %p',
    (result) => {
      expect(() => validate(result)).toThrow(InvalidRpcResponseError);
      expect(() => validate(result)).toThrow(
        expect.objectContaining({ code: 'INVALID_RPC_RESPONSE', method: 'eth_getLogs' }),
      );
    },
  );

  describe('compareLogs', () => {
    it('orders by block number first, then by log index', () => {
      const a = rpcLog(spec(1, 5));
      const b = rpcLog(spec(2, 0));
      const c = rpcLog(spec(2, 3));

      expect(compareLogs(a, b)).toBeLessThan(0);
      expect(compareLogs(b, a)).toBeGreaterThan(0);
      expect(compareLogs(b, c)).toBeLessThan(0);
      expect(compareLogs(c, c)).toBe(0);
    });
  });
});
