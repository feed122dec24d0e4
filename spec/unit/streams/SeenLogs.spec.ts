import type { LogPosition } from 'ogpu-events';
import { SeenLogs } from '../../../src/streams/SeenLogs';
import { blockHashOf, txHashOf } from '../helpers/logs';

const position = (block: number, index: number, transactionHash = txHashOf(block, index)): LogPosition => ({
  blockNumber: block,
  blockHash: blockHashOf(block),
  transactionHash,
  logIndex: index,
});

/** The logs `new SeenLogs(window)` admits, in order. */
function passed(logs: readonly LogPosition[], window = 256): LogPosition[] {
  const seen = new SeenLogs(window);
  return logs.filter((log) => seen.admit(log));
}

describe("SeenLogs (the streams' dedupe by transactionHash and logIndex)", () => {
  it('passes logs seen for the first time, in order', () => {
    const logs = [position(1, 0), position(1, 1), position(2, 0), position(5, 3)];
    expect(passed(logs)).toEqual(logs);
  });

  it('drops a log whose (transactionHash, logIndex) was already delivered', () => {
    const a = position(1, 0);
    const b = position(1, 1);
    expect(passed([a, b, { ...a }, position(2, 0), { ...b }])).toEqual([a, b, position(2, 0)]);
  });

  it('tells logs apart by both transactionHash and logIndex', () => {
    const tx = txHashOf(7, 0);
    const sameTxOtherIndex = position(7, 1, tx);
    const sameIndexOtherTx = position(7, 0, txHashOf(7, 9));
    const first = position(7, 0, tx);

    expect(passed([first, sameTxOtherIndex, sameIndexOtherTx])).toEqual([first, sameTxOtherIndex, sameIndexOtherTx]);
  });

  it("keeps each instance's memory to itself (each stream has its own)", () => {
    const first = new SeenLogs(256);
    const second = new SeenLogs(256);
    expect(first.admit(position(1, 0))).toBe(true);
    expect(second.admit(position(1, 0))).toBe(true);
    expect(first.admit(position(1, 0))).toBe(false);
    expect(second.admit(position(2, 0))).toBe(true);
    expect([first.size, second.size]).toEqual([1, 2]);
  });

  describe('bounded memory: a window of blocks below the highest block seen', () => {
    it('passes a new log at exactly highest - window, and drops one a block older, even never seen', () => {
      const window = 10;
      expect(passed([position(100, 0), position(90, 0), position(89, 0)], window)).toEqual([
        position(100, 0),
        position(90, 0),
      ]);
    });

    it('still drops a repeat of a log at the edge of the window', () => {
      const window = 10;
      const edge = position(90, 0);
      expect(passed([edge, position(100, 0), { ...edge }], window)).toEqual([edge, position(100, 0)]);
    });

    it('after 100k logs over 20k blocks, still drops repeats inside the window, passes new logs inside it, and drops logs older than it', () => {
      const window = 256;
      const seen = new SeenLogs(window);
      const out: LogPosition[] = [];
      const source = { next: (log: LogPosition): void => void (seen.admit(log) && out.push(log)) };

      const blocks = 20_000;
      for (let block = 0; block < blocks; block += 1) {
        for (let index = 0; index < 5; index += 1) source.next(position(block, index));
      }
      expect(out).toHaveLength(100_000);
      const highest = blocks - 1;

      out.length = 0;
      source.next(position(highest, 4)); // repeat of the newest log
      source.next(position(highest - window, 2)); // repeat at the oldest block remembered
      source.next(position(highest - 100, 0)); // repeat inside the window
      expect(out).toEqual([]);

      source.next(position(highest - 100, 7)); // new log inside the window
      source.next(position(highest - window, 9)); // new log at the edge
      expect(out).toEqual([position(highest - 100, 7), position(highest - window, 9)]);

      out.length = 0;
      source.next(position(highest - window - 1, 0)); // an old log, already delivered
      source.next(position(highest - window - 1, 99)); // an old log never seen: treated as seen
      source.next(position(3, 0)); // from the very start
      expect(out).toEqual([]);
    });

    it('forgets at the pace of the chain: a log that left the window stays dropped as the chain moves on', () => {
      const window = 5;
      const out = passed(
        [
          position(1, 0),
          position(10, 0),
          position(1, 0),
          position(5, 0),
          position(4, 0),
          position(11, 0),
          position(5, 1),
        ],
        window,
      );
      // 1 is below 10 - 5; 5 is at the edge of 10 and passes; 4 is below; 5 is below 11 - 5 = 6
      expect(out).toEqual([position(1, 0), position(10, 0), position(5, 0), position(11, 0)]);
    });
  });
});
