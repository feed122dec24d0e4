import { type Observable, Subscription } from 'rxjs';
import {
  NEXUS_EVENT_TOPICS,
  type NexusDiagnostic,
  type NexusEvent,
  type NexusEvents,
  type StreamOptions,
  TaskStatus,
  createNexusEvents,
} from 'ogpu-events';
import { FaultyRpcProxy, type FaultyRpcProxyOptions } from '../support/FaultyRpcProxy';
import { isHeadRequest, polls, revert, snapshot } from '../support/reorgs';
import { minedReceipt } from '../support/minedReceipt';
import { waitFor } from '../support/streams';
import { type TestChain, randomAddress, startTestChain } from '../support/testChain';

// `withRemovals: true` against real reorgs (evm_snapshot / evm_revert on anvil). The contract
// checked after every scenario: folding the stream by (transactionHash, logIndex), an event
// setting the entry and a removal deleting it, gives exactly what a fresh client reads of the
// new chain from block 0, field by field; every removal retracts an event the stream holds,
// and no event of a key arrives while an earlier copy of it is still held.

let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  await chain.stop();
});

const proxies: FaultyRpcProxy[] = [];
let subscriptions = new Subscription();
afterEach(async () => {
  subscriptions.unsubscribe();
  subscriptions = new Subscription();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

// ---- clients and recorded streams ---------------------------------------------------------

interface Client {
  readonly nexus: NexusEvents;
  /** The client's own pass-through proxy: its calls tell how far the client has polled. */
  readonly proxy: FaultyRpcProxy;
  readonly diagnostics: NexusDiagnostic[];
}

async function client(
  options: { confirmations?: number; requestTimeout?: number; proxy?: FaultyRpcProxyOptions } = {},
): Promise<Client> {
  const proxy = await new FaultyRpcProxy(chain.url, options.proxy).start();
  proxies.push(proxy);
  const nexus = createNexusEvents({
    rpcUrl: proxy.url,
    address: chain.nexusAddress,
    pollInterval: 50,
    confirmations: options.confirmations ?? 0,
    requestTimeout: options.requestTimeout ?? 2_000,
    retry: { initialDelay: 10, maxDelay: 100 },
  });
  const diagnostics: NexusDiagnostic[] = [];
  subscriptions.add(nexus.diagnostics$.subscribe((d) => diagnostics.push(d)));
  return { nexus, proxy, diagnostics };
}

/** One stream's scope: how to open it, and how to find its logs on the node. */
interface Scope {
  readonly label: string;
  readonly topic: string;
  /** Index of the data word that holds the scope address. */
  readonly word: number;
  readonly address: string;
  readonly open: (nexus: NexusEvents, options: StreamOptions) => Observable<NexusEvent>;
}

const statusesOf = (task: string): Scope => ({
  label: `taskStatusChanged$(${task})`,
  topic: NEXUS_EVENT_TOPICS.TaskStatusChanged,
  word: 0,
  address: task,
  open: (nexus, options) => nexus.taskStatusChanged$(task, options),
});
const publishedTo = (source: string): Scope => ({
  label: `taskPublished$(${source})`,
  topic: NEXUS_EVENT_TOPICS.TaskPublished,
  word: 1,
  address: source,
  open: (nexus, options) => nexus.taskPublished$(source, options),
});
const attemptsOn = (task: string): Scope => ({
  label: `attempted$(${task})`,
  topic: NEXUS_EVENT_TOPICS.Attempted,
  word: 0,
  address: task,
  open: (nexus, options) => nexus.attempted$(task, options),
});

/** Everything one subscription emitted, in order. */
interface Recording {
  readonly scope: Scope;
  readonly withRemovals: boolean;
  readonly emissions: NexusEvent[];
  readonly errors: unknown[];
}

function watch(on: Client, scope: Scope, options: StreamOptions = {}): Recording {
  const recording: Recording = { scope, withRemovals: options.withRemovals === true, emissions: [], errors: [] };
  subscriptions.add(
    scope.open(on.nexus, options).subscribe({
      next: (event) => recording.emissions.push(event),
      error: (error: unknown) => recording.errors.push(error),
    }),
  );
  return recording;
}

const keyOf = (e: { transactionHash: string; logIndex: number }): string => `${e.transactionHash}:${e.logIndex}`;

/** The stream folded by (transactionHash, logIndex): an event sets the entry, a removal deletes it; as JSON. */
function fold(emissions: readonly NexusEvent[]): Record<string, Record<string, unknown>> {
  const held = new Map<string, NexusEvent>();
  for (const event of emissions) {
    if (event.removed) held.delete(keyOf(event));
    else held.set(keyOf(event), event);
  }
  return Object.fromEntries([...held.keys()].sort().map((key) => [key, held.get(key)!.toJSON()]));
}

/**
 * Breaches of the removal discipline, one line each: a removal must retract an event the
 * stream holds (every field equal but `removed`, same class, frozen); an event must not
 * arrive for a key whose earlier copy is still held (its removal comes first).
 */
function disciplineBreaches(emissions: readonly NexusEvent[]): string[] {
  const held = new Map<string, NexusEvent>();
  const breaches: string[] = [];
  emissions.forEach((event, i) => {
    const key = keyOf(event);
    const prior = held.get(key);
    if (!Object.isFrozen(event)) breaches.push(`#${i} ${key} is not frozen`);
    if (event.removed) {
      if (prior === undefined) breaches.push(`#${i} removal of ${key} (block ${event.blockNumber}), which is not held`);
      else if (
        Object.getPrototypeOf(event) !== Object.getPrototypeOf(prior) ||
        JSON.stringify({ ...event.toJSON(), removed: false }) !== JSON.stringify(prior.toJSON())
      )
        breaches.push(`#${i} removal of ${key} differs from the event delivered`);
      held.delete(key);
    } else {
      if (prior !== undefined)
        breaches.push(
          `#${i} ${key} delivered again (block ${event.blockNumber}) while its copy of block ${prior.blockNumber} is held`,
        );
      held.set(key, event);
    }
  });
  return breaches;
}

/** The events that precede a removal in `emissions` (what one reorg brought): none, if removals come first. */
function eventsBeforeRemovals(emissions: readonly NexusEvent[]): string[] {
  const lastRemoval = emissions.map((e) => e.removed).lastIndexOf(true);
  return emissions
    .slice(0, Math.max(0, lastRemoval))
    .flatMap((e, i) => (e.removed ? [] : [`#${i} ${keyOf(e)} (block ${e.blockNumber}) before a removal`]));
}

/** The keys of `scope`'s logs on the node's current chain: the ground truth. */
async function nodeKeys(scope: Scope): Promise<string[]> {
  const logs = await chain.provider.getLogs({ address: chain.nexusAddress, topics: [scope.topic], fromBlock: 0 });
  const word = scope.address.toLowerCase().slice(2).padStart(64, '0');
  return logs
    .filter((log) => log.data.slice(2 + 64 * scope.word, 2 + 64 * (scope.word + 1)) === word)
    .map((log) => `${log.transactionHash}:${log.index}`)
    .sort();
}

const sortedKeys = (emissions: readonly NexusEvent[]): string[] => emissions.map(keyOf).sort();
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Once the chain has stopped moving: every recording with removals folds to exactly what a
 * fresh client reads of the chain from block 0 (itself checked against the node's logs) and
 * kept the removal discipline; every recording without removals never retracted, never
 * repeated a key and holds every event of the chain.
 */
async function expectConverged(tested: Client, recordings: readonly Recording[]): Promise<void> {
  const fresh = await client();
  const references = recordings.map((r) => watch(fresh, r.scope, { fromBlock: 0 }));
  const truths = await Promise.all(recordings.map((r) => nodeKeys(r.scope)));
  await waitFor(
    () => references.every((ref, i) => same(sortedKeys(ref.emissions), truths[i])),
    10_000,
    'a fresh client to read the chain from block 0',
  );
  // A client that stopped polling fails below, on what it delivered, rather than here.
  const polled = (): Promise<void> => polls(tested.proxy, 2, 1_500).catch(() => undefined);
  await polled();
  // The condition the assertions below check, waited for so that a slow poll is not a failure.
  await waitFor(
    () => recordings.every((r, i) => (r.withRemovals ? same(fold(r.emissions), fold(references[i]!.emissions)) : true)),
    2_000,
  ).catch(() => undefined);
  await polled(); // room for a late extra emission to show up
  await polls(fresh.proxy, 2);

  for (const [i, recording] of recordings.entries()) {
    const reference = references[i]!;
    const label = recording.scope.label;
    expect({ label, errors: recording.errors }).toEqual({ label, errors: [] });
    expect({ label, reference: sortedKeys(reference.emissions) }).toEqual({ label, reference: truths[i] });
    if (recording.withRemovals) {
      expect({ label, fold: fold(recording.emissions) }).toEqual({ label, fold: fold(reference.emissions) });
      expect({ label, breaches: disciplineBreaches(recording.emissions) }).toEqual({ label, breaches: [] });
    } else {
      const keys = recording.emissions.map(keyOf);
      expect({ label, removed: recording.emissions.filter((e) => e.removed) }).toEqual({ label, removed: [] });
      expect({ label, repeated: keys.length - new Set(keys).size }).toEqual({ label, repeated: 0 });
      expect({ label, missing: truths[i]!.filter((key) => !keys.includes(key)) }).toEqual({ label, missing: [] });
    }
  }
}

// ---- driving the chain --------------------------------------------------------------------

/** A MockNexus call signed by the anvil account, not sent: `eth_sendRawTransaction` can mine it on any branch. */
async function signed(method: string, ...args: unknown[]): Promise<string> {
  const signer = await chain.provider.getSigner(0);
  const request = await chain.nexus.getFunction(method).populateTransaction(...args);
  return signer.signTransaction(await signer.populateTransaction(request));
}

/** Broadcasts a raw transaction and waits for anvil to mine it. */
async function broadcast(raw: string): Promise<{ hash: string; blockNumber: number; blockHash: string }> {
  const hash = (await chain.provider.send('eth_sendRawTransaction', [raw])) as string;
  return minedReceipt(chain.provider, hash);
}

/** Waits until the client has polled twice: it has read the chain as it is now. */
const caughtUp = (on: Client): Promise<void> => polls(on.proxy, 2);

const removals = (r: Recording): NexusEvent[] => r.emissions.filter((e) => e.removed);
const reorgs = (c: Client): NexusDiagnostic[] => c.diagnostics.filter((d) => d.kind === 'reorg');

// ---- scenarios ------------------------------------------------------------------------------

describe('withRemovals: true on a chain that reorgs (anvil)', () => {
  it('retracts an event whose block a reorg to a chain of equal length dropped, and nothing else', async () => {
    const tested = await client();
    const task = randomAddress();
    const stream = watch(tested, statusesOf(task), { withRemovals: true });
    const plain = watch(tested, statusesOf(task));
    await caughtUp(tested);
    const kept = await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    const id = await snapshot(chain);
    const dropped = await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    await chain.mine(2);
    const replacedHead = await chain.head();
    await waitFor(() => stream.emissions.length === 2 && plain.emissions.length === 2, 5_000, 'both events');
    await caughtUp(tested);

    await revert(chain, id);
    await chain.mine(3);
    expect(await chain.head()).toBe(replacedHead);
    await waitFor(() => removals(stream).length === 1, 5_000, 'the removal');

    expect(stream.emissions.map((e) => [e.transactionHash, e.removed])).toEqual([
      [kept.hash, false],
      [dropped.hash, false],
      [dropped.hash, true],
    ]);
    expect(stream.emissions[2]).toEqual({ ...stream.emissions[1]!.toJSON(), removed: true });
    expect(reorgs(tested)).not.toHaveLength(0);
    await expectConverged(tested, [stream, plain]);
  });

  it('retracts an event whose transaction was mined again in a later block, then delivers it with that block', async () => {
    const tested = await client();
    const task = randomAddress();
    const stream = watch(tested, statusesOf(task), { withRemovals: true });
    const plain = watch(tested, statusesOf(task));
    await caughtUp(tested);
    const raw = await signed('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
    const id = await snapshot(chain);
    const first = await broadcast(raw);
    await waitFor(() => stream.emissions.length === 1, 5_000, 'the event');
    await caughtUp(tested);

    await revert(chain, id);
    await chain.mine(2);
    const again = await broadcast(raw);
    await waitFor(() => stream.emissions.length === 3, 5_000, 'the removal and the event again');

    expect(again.hash).toBe(first.hash);
    expect(again.blockNumber).toBe(first.blockNumber + 2);
    expect(stream.emissions.map((e) => [e.transactionHash, e.blockNumber, e.blockHash, e.removed])).toEqual([
      [first.hash, first.blockNumber, first.blockHash, false],
      [first.hash, first.blockNumber, first.blockHash, true],
      [first.hash, again.blockNumber, again.blockHash, false],
    ]);
    // The plain stream takes it as already delivered.
    expect(plain.emissions.map((e) => [e.transactionHash, e.blockNumber])).toEqual([[first.hash, first.blockNumber]]);
    await expectConverged(tested, [stream, plain]);
  });

  it('retracts an event whose transaction was mined again in an earlier block, then delivers it with that block', async () => {
    const tested = await client();
    const task = randomAddress();
    const stream = watch(tested, statusesOf(task), { withRemovals: true });
    const plain = watch(tested, statusesOf(task));
    await caughtUp(tested);
    const raw = await signed('emitTaskStatusChanged', task, TaskStatus.FINALIZED);
    const id = await snapshot(chain);
    await chain.mine(2);
    const first = await broadcast(raw);
    await waitFor(() => stream.emissions.length === 1, 5_000, 'the event');
    await caughtUp(tested);

    await revert(chain, id);
    const again = await broadcast(raw); // the replacing chain is 2 blocks shorter
    await waitFor(() => stream.emissions.length === 3, 5_000, 'the removal and the event again');

    expect(again.blockNumber).toBe(first.blockNumber - 2);
    expect(stream.emissions.map((e) => [e.transactionHash, e.blockNumber, e.blockHash, e.removed])).toEqual([
      [first.hash, first.blockNumber, first.blockHash, false],
      [first.hash, first.blockNumber, first.blockHash, true],
      [first.hash, again.blockNumber, again.blockHash, false],
    ]);
    await expectConverged(tested, [stream, plain]);
  });

  it('delivers the events only the replacing chain holds, after the removals of the replaced ones', async () => {
    const tested = await client();
    const task = randomAddress();
    const stream = watch(tested, statusesOf(task), { withRemovals: true });
    const plain = watch(tested, statusesOf(task));
    await caughtUp(tested);
    const id = await snapshot(chain);
    const base = await chain.head();
    // The replaced chain is one block long, so that the replacing one is never shorter than it.
    await chain.send('emitManyStatuses', task, TaskStatus.ATTEMPTED, 3); // base + 1
    await waitFor(() => stream.emissions.length === 3, 5_000, 'the events of the replaced chain');
    await caughtUp(tested);

    await revert(chain, id);
    const replacing = [
      await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED), // base + 1
      await chain.send('emitManyStatuses', task, TaskStatus.EXPIRED, 2), // base + 2, above the replaced chain
    ];
    await chain.mine(1);
    expect(replacing.map((r) => r.blockNumber)).toEqual([base + 1, base + 2]);
    await waitFor(() => stream.emissions.length === 9, 5_000, 'three removals and three events');

    const afterReorg = stream.emissions.slice(3);
    expect(afterReorg.map((e) => e.removed)).toEqual([true, true, true, false, false, false]);
    expect(afterReorg.slice(3).map(keyOf)).toEqual([
      `${replacing[0]!.hash}:0`,
      `${replacing[1]!.hash}:0`,
      `${replacing[1]!.hash}:1`,
    ]);
    expect(afterReorg.slice(3).map((e) => (e as unknown as { status: number }).status)).toEqual([
      TaskStatus.CANCELED,
      TaskStatus.EXPIRED,
      TaskStatus.EXPIRED,
    ]);
    await expectConverged(tested, [stream, plain]);
  });

  it('converges on a replacing chain shorter than the replaced one', async () => {
    const tested = await client();
    const task = randomAddress();
    const stream = watch(tested, statusesOf(task), { withRemovals: true });
    const plain = watch(tested, statusesOf(task));
    await caughtUp(tested);
    const id = await snapshot(chain);
    const base = await chain.head();
    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW); // base + 1
    await chain.mine(2);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED); // base + 4, above the new head
    await chain.mine(2);
    await waitFor(() => stream.emissions.length === 2, 5_000, 'the events of the replaced chain');
    await caughtUp(tested);

    await revert(chain, id);
    const replacing = await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
    expect(await chain.head()).toBe(base + 1); // 5 blocks shorter than the replaced chain
    await waitFor(() => stream.emissions.some((e) => e.transactionHash === replacing.hash), 5_000, 'the new event');
    await caughtUp(tested);

    // Both replaced events are retracted before the event of the new chain, though one was
    // at a height the new chain does not reach.
    // The rewound batch says where the new chain ends: the event above its head is retracted at once.
    expect(eventsBeforeRemovals(stream.emissions.slice(2))).toEqual([]);
    await expectConverged(tested, [stream, plain]);
  });

  it('retracts, before any event of the new chain, events above the head of a shorter chain once it grows past them', async () => {
    const tested = await client();
    const task = randomAddress();
    const stream = watch(tested, statusesOf(task), { withRemovals: true });
    await caughtUp(tested);
    const id = await snapshot(chain);
    await chain.mine(3);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED); // base + 4
    await waitFor(() => stream.emissions.length === 1, 5_000, 'the event of the replaced chain');
    await caughtUp(tested);

    await revert(chain, id);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED); // base + 1
    await caughtUp(tested);
    await chain.mine(5); // the new chain is now longer
    await waitFor(() => removals(stream).length === 1, 5_000, 'the removal');

    // The removal of the event at base + 4 comes with the rewind, before base + 1's new event.
    expect(eventsBeforeRemovals(stream.emissions.slice(1))).toEqual([]);
    await expectConverged(tested, [stream]);
  });

  it('converges on a replacing chain longer than the replaced one', async () => {
    const tested = await client();
    const task = randomAddress();
    const stream = watch(tested, statusesOf(task), { withRemovals: true });
    const plain = watch(tested, statusesOf(task));
    await caughtUp(tested);
    const id = await snapshot(chain);
    const base = await chain.head();
    const dropped = await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW); // base + 1
    await chain.mine(1);
    await waitFor(() => stream.emissions.length === 1, 5_000, 'the event of the replaced chain');
    await caughtUp(tested);

    await revert(chain, id);
    await chain.mine(2);
    const added = await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED); // base + 3
    await chain.mine(3);
    expect(await chain.head()).toBe(base + 6);
    await waitFor(() => stream.emissions.length === 3, 5_000, 'the removal and the new event');

    expect(stream.emissions.map((e) => [e.transactionHash, e.removed])).toEqual([
      [dropped.hash, false],
      [dropped.hash, true],
      [added.hash, false],
    ]);
    await expectConverged(tested, [stream, plain]);
  });

  it('keeps many streams of one client in step: each retracts its own events, none retracts an unchanged one', async () => {
    const tested = await client();
    const [source, t1, t2, t3] = [randomAddress(), randomAddress(), randomAddress(), randomAddress()];
    const withRemovals = { withRemovals: true };
    const streams = [
      watch(tested, publishedTo(source), withRemovals),
      watch(tested, statusesOf(t1), withRemovals),
      watch(tested, statusesOf(t2), withRemovals),
      watch(tested, statusesOf(t3), withRemovals),
      watch(tested, attemptsOn(t1), withRemovals),
      watch(tested, attemptsOn(t3), withRemovals),
    ];
    const [published, statuses1, statuses2, statuses3, attempts1, attempts3] = streams as [
      Recording,
      Recording,
      Recording,
      Recording,
      Recording,
      Recording,
    ];
    const plain = watch(tested, statusesOf(t1));
    await caughtUp(tested);
    await chain.send('publishTask', t1, source); // below the fork: never retracted
    const id = await snapshot(chain);
    const raw = await signed('attempt', t1, randomAddress(), 10n); // mined again after the reorg
    const attempt = await broadcast(raw);
    await chain.send('publishTask', t2, source);
    await chain.send('emitManyStatuses', t2, TaskStatus.ATTEMPTED, 3);
    await waitFor(() => statuses2.emissions.length === 4 && attempts1.emissions.length === 1, 5_000, 'the old chain');
    await caughtUp(tested);

    await revert(chain, id);
    await chain.mine(1);
    const again = await broadcast(raw);
    await chain.send('publishTask', t3, source);
    await chain.send('attempt', t3, randomAddress(), 20n);
    await chain.send('emitTaskStatusChanged', t2, TaskStatus.CANCELED);
    await chain.mine(2);
    await waitFor(
      () => attempts3.emissions.length === 1 && statuses2.emissions.length === 9,
      5_000,
      'the new chain on every stream',
    );

    expect(again.hash).toBe(attempt.hash);
    expect(again.blockNumber).toBe(attempt.blockNumber + 1);
    const shape = (r: Recording): [boolean, number][] => r.emissions.map((e) => [e.removed, e.blockNumber]);
    expect(shape(attempts1)).toEqual([
      [false, attempt.blockNumber],
      [true, attempt.blockNumber],
      [false, again.blockNumber],
    ]);
    expect(statuses1.emissions.map((e) => e.removed)).toEqual([false, false, true, false]);
    expect(statuses2.emissions.map((e) => e.removed)).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(published.emissions.map((e) => e.removed)).toEqual([false, false, true, false]);
    expect(statuses3.emissions.map((e) => e.removed)).toEqual([false, false]);
    await expectConverged(tested, [...streams, plain]);
  });

  it('with fromBlock: retracts backfilled events that a reorg right after the backfill dropped', async () => {
    const task = randomAddress();
    const id = await snapshot(chain);
    const fromBlock = (await chain.head()) + 1;
    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await chain.send('emitManyStatuses', task, TaskStatus.ATTEMPTED, 2);
    const tested = await client();
    const stream = watch(tested, statusesOf(task), { fromBlock, withRemovals: true });
    const plain = watch(tested, statusesOf(task), { fromBlock });
    await waitFor(() => stream.emissions.length === 3 && plain.emissions.length === 3, 5_000, 'the backfill');
    await caughtUp(tested);

    await revert(chain, id);
    await chain.mine(1);
    const replacing = await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
    await chain.mine(1);
    await waitFor(() => stream.emissions.length === 7, 5_000, 'three removals and the new event');

    expect(stream.emissions.map((e) => e.removed)).toEqual([false, false, false, true, true, true, false]);
    expect(keyOf(stream.emissions[6]!)).toBe(`${replacing.hash}:0`);
    await expectConverged(tested, [stream, plain]);
  });

  it('with fromBlock: converges when the reorg happens while the backfill read is on its way', async () => {
    const task = randomAddress();
    const id = await snapshot(chain);
    const fromBlock = (await chain.head()) + 1;
    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED); // the head holds one: no re-read by hash
    // The first eth_getLogs (the backfill) is answered from the chain as it is, but the answer
    // is held for 1.5 s: the reorg happens and the poller re-reads in the meantime.
    const tested = await client({ requestTimeout: 5_000, proxy: { slowMs: 1_500, methods: ['eth_getLogs'] } });
    tested.proxy.failNext('slow');
    const stream = watch(tested, statusesOf(task), { fromBlock, withRemovals: true });
    await waitFor(
      () => tested.proxy.calls.some((call) => call.method === 'eth_getLogs' && call.outcome === 'slow'),
      5_000,
      'the backfill read to be answered and held',
    );

    await revert(chain, id);
    const replacing = await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
    await chain.mine(2);
    await waitFor(() => reorgs(tested).length > 0, 5_000, 'the poller to notice the reorg');
    await waitFor(
      () => tested.proxy.calls.every((call) => call.outcome !== 'pending'),
      5_000,
      'the held answer to be delivered',
    );
    await caughtUp(tested);

    expect(replacing.blockNumber).toBe(fromBlock);
    // The held answer (of the replaced chain) reaches the stream after the poller's re-read of
    // the new chain; reads are ordered by when they were sent, so it does not win.
    await expectConverged(tested, [stream]);
  });

  it('with fromBlock: converges when the reorg replaces the head the backfill reads up to', async () => {
    const task = randomAddress();
    const id = await snapshot(chain);
    const fromBlock = (await chain.head()) + 1;
    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW); // the head: its bloom names the Nexus
    // The first head request (shared by the stream's start and the poller's first tick) is
    // answered from the chain as it is, but held for 1.5 s: the backfill then reads up to a
    // head the reorg has replaced.
    const tested = await client({ requestTimeout: 5_000, proxy: { slowMs: 1_500, methods: ['eth_getBlockByNumber'] } });
    tested.proxy.failNext('slow');
    const stream = watch(tested, statusesOf(task), { fromBlock, withRemovals: true });
    await waitFor(
      () => tested.proxy.calls.some((call) => isHeadRequest(call) && call.outcome === 'slow'),
      5_000,
      'the head to be answered and held',
    );

    await revert(chain, id);
    await chain.mine(2);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
    await chain.mine(1);
    await waitFor(
      () => tested.proxy.calls.every((call) => call.outcome !== 'pending'),
      5_000,
      'the held head to be delivered',
    );

    // The range read answers from the new chain without a log in the old head's block, so the
    // old head is asked again by its hash (EIP-234); anvil answers "unknown block" for a
    // replaced block: the block is found gone, and the read starts over on the new chain.
    await expectConverged(tested, [stream]);
  });

  it('converges when the reorg replaces the head block a poll is reading up to', async () => {
    const tested = await client({ requestTimeout: 5_000, proxy: { slowMs: 800 } });
    const task = randomAddress();
    const stream = watch(tested, statusesOf(task), { withRemovals: true });
    const plain = watch(tested, statusesOf(task));
    await caughtUp(tested);
    const kept = await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await waitFor(() => stream.emissions.length === 1, 5_000, 'the first event');
    await caughtUp(tested);
    const raw = await signed('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    const id = await snapshot(chain);

    // From now on every block request is answered from the chain as it is when it arrives,
    // and held for 0.8 s. Polls never overlap, so while one head request is held no other is
    // made: the block mined during the first one's hold is seen by the second one, alone.
    const { calls } = tested.proxy;
    tested.proxy.configure({ rate: 1, kinds: ['slow'], methods: ['eth_getBlockByNumber'] });
    const heldHeads = (from: number): number =>
      calls.slice(from).filter((call) => isHeadRequest(call) && call.outcome === 'slow').length;
    const from = calls.length;
    await waitFor(() => heldHeads(from) === 1, 5_000, 'a head request answered and held');
    const replaced = await broadcast(raw);
    await waitFor(() => heldHeads(from) === 2, 5_000, 'the next head request, answered with the new block');
    tested.proxy.configure({ rate: 0 });

    await revert(chain, id);
    await chain.mine(2);
    const replacing = await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
    await chain.mine(1);
    expect(replacing.blockNumber).toBe(replaced.blockNumber + 2);

    // The poll goes on with the held head, reads that block's logs from the new chain (none),
    // so asks for them by the replaced block's hash (EIP-234); "unknown block" for a replaced
    // block abandons the tick, and the next one sees the reorg.
    await expectConverged(tested, [stream, plain]);
    expect(stream.emissions.map(keyOf)).toEqual([`${kept.hash}:0`, `${replacing.hash}:0`]);
  });

  it('confirmations 2: converges after a reorg deeper than 2 blocks', async () => {
    const tested = await client({ confirmations: 2 });
    const task = randomAddress();
    const stream = watch(tested, statusesOf(task), { withRemovals: true });
    const plain = watch(tested, statusesOf(task));
    await caughtUp(tested);
    const kept = await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    const id = await snapshot(chain);
    const dropped = await chain.send('emitManyStatuses', task, TaskStatus.ATTEMPTED, 2);
    await chain.mine(4); // 4 blocks deep when the reorg comes
    await waitFor(() => stream.emissions.length === 3, 5_000, 'the confirmed events');
    await caughtUp(tested);

    await revert(chain, id);
    const replacing = await chain.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
    await chain.mine(1);
    await caughtUp(tested);
    // One block on top: not confirmed yet; the removals may come, the new event may not.
    expect(stream.emissions.filter((e) => e.transactionHash === replacing.hash)).toEqual([]);
    await chain.mine(4);
    await waitFor(() => stream.emissions.length === 6, 5_000, 'two removals and the confirmed new event');

    expect(stream.emissions.map((e) => [e.transactionHash, e.removed])).toEqual([
      [kept.hash, false],
      [dropped.hash, false],
      [dropped.hash, false],
      [dropped.hash, true],
      [dropped.hash, true],
      [replacing.hash, false],
    ]);
    await expectConverged(tested, [stream, plain]);
  });
});
