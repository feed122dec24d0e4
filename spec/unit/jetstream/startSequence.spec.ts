import fc from 'fast-check';
import { STREAM_BLOCK_DIP, findStartSequence } from '../../../src/jetstream/startSequence';

/**
 * A relay's stream as block numbers by sequence (index 0 is sequence `first`): rising, with
 * falls of at most `dip` below the highest block before (removals and re-publications after
 * a reorg), and `undefined` for messages without a readable block (purged checkpoints,
 * foreign messages).
 */
const streamOf = (dip: number) =>
  fc
    .array(
      fc.record({
        rise: fc.nat(40),
        fall: fc.option(fc.nat(dip), { freq: 8 }),
        unreadable: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
      }),
      { minLength: 0, maxLength: 400 },
    )
    .map((steps) => {
      let highest = 0;
      return steps.map(({ rise, fall, unreadable }) => {
        highest += rise;
        const block = fall === null ? highest : Math.max(0, highest - fall);
        return unreadable ? undefined : block;
      });
    });

function search(blocks: readonly (number | undefined)[], first: number, fromBlock: number, dip: number) {
  const asked: number[] = [];
  const result = findStartSequence({
    first,
    last: first + blocks.length - 1,
    fromBlock,
    dip,
    blockAt: async (sequence) => {
      asked.push(sequence);
      return blocks[sequence - first];
    },
  });
  return result.then((start) => ({ start, asked }));
}

describe('findStartSequence (where a replay from fromBlock starts in the relay stream)', () => {
  it('never starts after a message of fromBlock or later, whatever the falls within the bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        streamOf(20),
        fc.integer({ min: 1, max: 1_000 }),
        fc.nat(5_000),
        async (blocks, first, fromBlock) => {
          const { start } = await search(blocks, first, fromBlock, 20);
          const missed = blocks.slice(0, start - first).filter((b) => b !== undefined && b >= fromBlock);
          expect(missed).toEqual([]);
          expect(start).toBeGreaterThanOrEqual(first);
          expect(start).toBeLessThanOrEqual(first + blocks.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('starts exactly at the first message at or above fromBlock minus the fall bound on a readable stream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(30), { maxLength: 300 }), fc.nat(4_000), async (rises, fromBlock) => {
        let block = 0;
        const blocks = rises.map((rise) => (block += rise));
        const { start, asked } = await search(blocks, 1, fromBlock, 10);
        const firstReaching = blocks.findIndex((b) => b >= fromBlock - 10);
        expect(start).toBe(fromBlock - 10 <= 0 ? 1 : firstReaching === -1 ? blocks.length + 1 : firstReaching + 1);
        // A bisection: about log2(n) lookups, not a scan.
        if (fromBlock > 10) expect(asked.length).toBeLessThanOrEqual(Math.ceil(Math.log2(blocks.length + 2)) + 1);
      }),
      { numRuns: 500 },
    );
  });

  it('skips almost all of a long history: 1,000,000 messages in about 20 lookups', async () => {
    const blocks = Array.from({ length: 1_000_000 }, (_, i) => Math.floor(i / 10));
    const { start, asked } = await search(blocks, 1, 90_000, STREAM_BLOCK_DIP);
    expect(start).toBe((90_000 - STREAM_BLOCK_DIP) * 10 + 1);
    expect(asked.length).toBeLessThanOrEqual(21);
  });

  it('starts at the first sequence when fromBlock is within the fall bound of block 0, and for an empty stream', async () => {
    expect((await search([5, 6, 7], 3, STREAM_BLOCK_DIP, STREAM_BLOCK_DIP)).start).toBe(3);
    expect((await search([], 1, 10_000, STREAM_BLOCK_DIP)).start).toBe(1);
  });

  it('starts after the last message when everything stored is far below fromBlock (live only)', async () => {
    expect((await search([1, 2, 3], 1, 10_000, 10)).start).toBe(4);
  });

  it('starts earlier, never later, around messages it cannot read', async () => {
    const blocks = [
      1,
      2,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      500,
      501,
    ];
    const { start } = await search(blocks, 1, 400, 10);
    expect(start).toBeLessThanOrEqual(11);
    expect(start).toBeGreaterThanOrEqual(3);
  });
});
