import { RpcLog } from '../../../src/codecs/RpcLog';
import { reportErrors } from '../../../src/codecs/reportErrors';
import { rawLog, rpcLog } from '../helpers/logs';

function decode(input: unknown): RpcLog | string[] {
  const result = RpcLog.decode(input);
  return result._tag === 'Right' ? result.right : reportErrors(result.left);
}

describe('RpcLog', () => {
  it('decodes a JSON-RPC log: quantities to numbers, hex kept in lower case', () => {
    expect(decode(rawLog({ block: 300, index: 17 }))).toEqual(rpcLog({ block: 300, index: 17 }));
  });

  it('accepts logs with any number of topics, including none (anonymous events)', () => {
    expect(decode(rawLog({ block: 1, index: 0, topics: [] }))).toEqual(rpcLog({ block: 1, index: 0, topics: [] }));
    const four = [1, 2, 3, 4].map((n) => `0x${n.toString(16).padStart(64, '0')}`);
    expect(decode(rawLog({ block: 1, index: 0, topics: four }))).toEqual(rpcLog({ block: 1, index: 0, topics: four }));
  });

  it("lower-cases hex in upper or mixed case, topics included, without touching the node's objects", () => {
    const lower = rawLog({ block: 1, index: 0, topics: [`0x${'ab'.repeat(32)}`, `0x${'0c'.repeat(32)}`] });
    const topics = [`0x${'AB'.repeat(32)}`, `0x${'0c'.repeat(32)}`];
    const shouting = {
      ...lower,
      topics,
      transactionHash: String(lower['transactionHash']).toUpperCase().replace('0X', '0x'),
    };
    expect(decode(shouting)).toEqual(decode(lower));
    expect(topics).toEqual([`0x${'AB'.repeat(32)}`, `0x${'0c'.repeat(32)}`]);
  });

  it('accepts removed as an optional boolean', () => {
    expect(decode(rawLog({ block: 1, index: 0, removed: true }))).toMatchObject({ removed: true });
    expect(decode(rawLog({ block: 1, index: 0, removed: false }))).toMatchObject({ removed: false });
  });

  it('accepts the extra fields nodes send (transactionIndex) without failing', () => {
    const log = { ...rawLog({ block: 1, index: 0 }), transactionIndex: '0x0' };
    expect(decode(log)).toMatchObject(rpcLog({ block: 1, index: 0 }));
  });

  it.each(['address', 'topics', 'data', 'blockNumber', 'blockHash', 'transactionHash', 'logIndex'])(
    'rejects a log without %s, naming the field',
    (field) => {
      const log = Object.fromEntries(Object.entries(rawLog({ block: 1, index: 0 })).filter(([key]) => key !== field));
      const reasons = decode(log);
      expect(Array.isArray(reasons)).toBe(true);
      expect((reasons as string[]).join('\n')).toContain(field);
    },
  );

  it('rejects a pending log, whose blockNumber and logIndex are null', () => {
    const reasons = decode({ ...rawLog({ block: 1, index: 0 }), blockNumber: null, logIndex: null });
    expect(reasons).toEqual([expect.stringMatching(/blockNumber/), expect.stringMatching(/logIndex/)]);
  });
});
