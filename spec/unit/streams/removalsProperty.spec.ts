import fc from 'fast-check';
import { getAddress } from 'ethers';
import { type NexusDiagnostic, type TaskPublishedEvent, createNexusEvents } from 'ogpu-events';
import { TestScheduler } from 'rxjs/testing';
import { NEXUS_ADDRESS, hash32 } from '../helpers/logs';
import { type ChainTx, MemoryChain } from '../helpers/memoryChain';

const SOURCE = getAddress(`0x${'50'.repeat(20)}`);
const OTHER_SOURCE = getAddress(`0x${'51'.repeat(20)}`);
const POLL = 10;

/** One step of a random chain history. */
type Step =
  | { readonly wait: number; readonly kind: 'mine'; readonly mine: readonly (readonly boolean[])[] }
  | {
      readonly wait: number;
      readonly kind: 'reorg';
      readonly depth: number;
      /** Blocks of the replacing chain (shorter, as long or longer), each with its new transactions (true: of SOURCE). */
      readonly replacement: readonly (readonly boolean[])[];
      /** Per dropped transaction: whether the replacing chain includes it again (same hash). */
      readonly reinclude: readonly boolean[];
    };

const txs = fc.array(fc.boolean(), { maxLength: 3 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      wait: fc.integer({ min: 1, max: 25 }),
      kind: fc.constant('mine' as const),
      mine: fc.array(txs, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      wait: fc.integer({ min: 1, max: 25 }),
      kind: fc.constant('reorg' as const),
      depth: fc.integer({ min: 1, max: 12 }),
      replacement: fc.array(txs, { maxLength: 14 }),
      reinclude: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    }),
  },
);

interface Run {
  readonly steps: readonly Step[];
  readonly fromBlock: number;
  /** When (in steps) a second stream of the same client joins, reading from block 0. */
  readonly joinAt: number;
  readonly confirmations: number;
}

const runArb: fc.Arbitrary<Run> = fc.record({
  steps: fc.array(stepArb, { minLength: 1, maxLength: 25 }),
  fromBlock: fc.integer({ min: 0, max: 4 }),
  joinAt: fc.integer({ min: 0, max: 25 }),
  confirmations: fc.constantFrom(0, 0, 1, 3),
});

/** Folds a withRemovals stream by (transactionHash, logIndex), failing on any breach of the contract. */
class Fold {
  readonly held = new Map<string, TaskPublishedEvent>();
  readonly breaches: string[] = [];

  apply(event: TaskPublishedEvent): void {
    const key = `${event.transactionHash}:${event.logIndex}`;
    const current = this.held.get(key);
    if (event.removed) {
      if (current === undefined || current.blockHash !== event.blockHash) {
        this.breaches.push(`removal of ${key}@${event.blockNumber} that is not held`);
      }
      this.held.delete(key);
    } else {
      if (current !== undefined)
        this.breaches.push(`${key}@${event.blockNumber} delivered while ${key}@${current.blockNumber} is held`);
      this.held.set(key, event);
    }
  }

  view(): unknown[] {
    return [...this.held.values()]
      .map((e) => ({
        blockNumber: e.blockNumber,
        blockHash: e.blockHash,
        transactionHash: e.transactionHash,
        logIndex: e.logIndex,
        task: e.task,
        source: e.source,
      }))
      .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  }
}

function play(run: Run): {
  folds: Fold[];
  plain: TaskPublishedEvent[];
  expected: unknown[][];
  failures: unknown[];
  diagnostics: NexusDiagnostic[];
} {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const folds = [new Fold(), new Fold()];
  const plain: TaskPublishedEvent[] = [];
  const failures: unknown[] = [];
  const diagnostics: NexusDiagnostic[] = [];
  let chain!: MemoryChain;
  scheduler.run(() => {
    chain = new MemoryChain(scheduler);
    let nextTx = 1;
    const newTx = (ofSource: boolean): ChainTx => ({
      hash: hash32(0x7000_0000n + BigInt(nextTx)),
      task: getAddress(hash32(0x7a5c_0000n + BigInt(nextTx++)).slice(0, 42)),
      source: ofSource ? SOURCE : OTHER_SOURCE,
    });
    for (let i = 0; i < 3; i += 1) chain.mine([newTx(true)]);
    let highestHead = chain.head.number;

    const nexus = createNexusEvents({
      rpc: chain.rpc,
      address: NEXUS_ADDRESS,
      pollInterval: POLL,
      confirmations: run.confirmations,
      retry: { maxRetries: 1_000, initialDelay: 1, maxDelay: 5 },
    });
    nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
    const subscriptions = [
      nexus.taskPublished$(SOURCE, { fromBlock: run.fromBlock, withRemovals: true }).subscribe({
        next: (e) => folds[0]!.apply(e),
        error: (e: unknown) => failures.push(e),
      }),
      nexus
        .taskPublished$(SOURCE, { fromBlock: 0 })
        .subscribe({ next: (e) => plain.push(e), error: (e: unknown) => failures.push(e) }),
    ];

    let at = 0;
    run.steps.forEach((step, index) => {
      at += step.wait;
      scheduler.schedule(() => {
        if (index === run.joinAt) {
          subscriptions.push(
            nexus.taskPublished$(SOURCE, { fromBlock: 0, withRemovals: true }).subscribe({
              next: (e) => folds[1]!.apply(e),
              error: (e: unknown) => failures.push(e),
            }),
          );
        }
        if (step.kind === 'mine') {
          for (const block of step.mine) chain.mine(block.map(newTx));
          highestHead = Math.max(highestHead, chain.head.number);
          return;
        }
        const dropped = chain.reorg(step.depth);
        const again = dropped.filter((_, i) => step.reinclude[i % step.reinclude.length]);
        step.replacement.forEach((block, i) => {
          // Re-included transactions go into the first replacing block (or one of their own).
          chain.mine([...(i === 0 ? again : []), ...block.map(newTx)]);
        });
        if (step.replacement.length === 0 && again.length > 0) chain.mine(again);
        highestHead = Math.max(highestHead, chain.head.number);
      }, at);
    });
    // Join at the end if the script was shorter than joinAt.
    if (run.joinAt >= run.steps.length) {
      scheduler.schedule(() => {
        subscriptions.push(
          nexus.taskPublished$(SOURCE, { fromBlock: 0, withRemovals: true }).subscribe({
            next: (e) => folds[1]!.apply(e),
            error: (e: unknown) => failures.push(e),
          }),
        );
      }, at);
    }
    // The chain then grows, as a live chain does, past the highest head it ever had (and the
    // confirmations' blocks), and stands still until every stream has caught up. (A chain cut
    // back below a block a client has seen looks the same as a node behind the head: a
    // stream that read that head waits until the chain is that high again.)
    scheduler.schedule(() => {
      const target = highestHead + 1 + run.confirmations;
      do chain.mine();
      while (chain.head.number < target);
    }, at + 1);
    scheduler.schedule(() => subscriptions.forEach((s) => s.unsubscribe()), at + 40 * POLL);
  });
  const confirmed = chain.head.number - run.confirmations;
  const canonical = chain.logs().filter((log) => log.source === SOURCE && log.blockNumber <= confirmed);
  const expected = [run.fromBlock, 0].map((from) => canonical.filter((log) => log.blockNumber >= from));
  return { folds, plain, expected, failures, diagnostics };
}

/**
 * Found by this property on CI: the poller's first tick fails (the chain moved under it),
 * a stream joins and backfills to an older, shorter chain's head, then the poller starts
 * above that head and the chain stands still. The stream must read the blocks between
 * at once, not when the next block comes.
 */
const POLLER_STARTS_ABOVE_A_JOINED_STREAM: Run = {
  steps: [
    { wait: 1, kind: 'reorg', depth: 3, replacement: [], reinclude: [false, true, ...Array<boolean>(38).fill(false)] },
    { wait: 1, kind: 'reorg', depth: 1, replacement: [[true]], reinclude: Array<boolean>(40).fill(false) },
    { wait: 1, kind: 'mine', mine: [[]] },
  ],
  fromBlock: 0,
  joinAt: 0,
  confirmations: 1,
};

/**
 * Found by this property on CI (Node 24): streams backfill to block 2 before the poller
 * starts; the chain is cut back below it, regrows an empty block 2, is cut again and regrows
 * a block 2 with an event of the scope. The backfill read block 2 while it was the empty
 * one, and the poller's first anchor is above it: the poller now checks the last block of
 * every history read (as read) and rewinds below one a reorg replaced.
 */
const CUT_BACK_THEN_REINCLUDED: Run = {
  steps: [
    { wait: 1, kind: 'reorg', depth: 2, replacement: [], reinclude: Array<boolean>(40).fill(false) },
    { wait: 2, kind: 'mine', mine: [[]] },
    { wait: 2, kind: 'reorg', depth: 1, replacement: [], reinclude: [true, ...Array<boolean>(39).fill(false)] },
    { wait: 1, kind: 'mine', mine: [[true]] },
  ],
  fromBlock: 0,
  joinAt: 0,
  confirmations: 1,
};

describe('withRemovals: the fold of a stream is the canonical chain (property, on an in-memory chain)', () => {
  it('after random histories of mined blocks and reorgs (shorter, equal, longer; transactions dropped, moved, added), at random poll timing, each withRemovals stream folds to exactly the canonical events of its scope, never delivering a key it holds nor removing one it does not', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        const { folds, plain, expected, failures, diagnostics } = play(run);
        expect(failures).toEqual([]);
        folds.forEach((fold, i) => {
          expect(fold.breaches).toEqual([]);
          expect(fold.view()).toEqual(expected[i]);
        });
        // The plain stream on the same client never retracts.
        expect(plain.filter((e) => e.removed)).toEqual([]);
        expect(diagnostics.filter((d) => d.kind === 'invalid-log' || d.kind === 'undecodable-log')).toEqual([]);
      }),
      {
        numRuns: Number(process.env['PROP_RUNS'] ?? 150),
        examples: [[POLLER_STARTS_ABOVE_A_JOINED_STREAM], [CUT_BACK_THEN_REINCLUDED]],
      },
    );
  });
});
