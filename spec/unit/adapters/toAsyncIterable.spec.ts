import { Observable, Subject, defer, finalize, of, throwError } from 'rxjs';
import { TaskStatus, TaskStatusChangedEvent, toAsyncIterable } from 'ogpu-events';
import { removalOf } from '../../../src/events/removalOf';

/** Lets pending promise callbacks run. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('toAsyncIterable', () => {
  it('yields every value of a synchronous source, then ends', async () => {
    const seen: number[] = [];
    for await (const value of toAsyncIterable(of(1, 2, 3))) seen.push(value);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('queues values pushed while the loop body awaits, losing none and keeping their order', async () => {
    const subject = new Subject<number>();
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const value of toAsyncIterable(subject)) {
        seen.push(value);
        await tick();
      }
    })();

    let next = 0;
    for (let round = 0; round < 5; round += 1) {
      for (let i = 0; i < 200; i += 1) subject.next(next++);
      await tick();
    }
    subject.complete();
    await consumer;

    expect(seen).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
  });

  it('hands values to a consumer already waiting for them', async () => {
    const subject = new Subject<string>();
    const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();
    const pending = iterator.next();
    subject.next('a');
    await expect(pending).resolves.toEqual({ done: false, value: 'a' });
  });

  it('break unsubscribes from the source', async () => {
    const subject = new Subject<number>();
    let finalized = false;
    const source = subject.pipe(finalize(() => (finalized = true)));
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const value of toAsyncIterable(source)) {
        seen.push(value);
        if (value === 2) break;
      }
    })();

    subject.next(1);
    subject.next(2);
    subject.next(3);
    await consumer;

    expect(seen).toEqual([1, 2]);
    expect(finalized).toBe(true);
    expect(subject.observed).toBe(false);
  });

  it('throwing out of the loop body unsubscribes from the source', async () => {
    const subject = new Subject<number>();
    const consumer = (async () => {
      for await (const value of toAsyncIterable(subject)) {
        if (value === 1) throw new Error('consumer failed');
      }
    })();

    subject.next(1);
    await expect(consumer).rejects.toThrow('consumer failed');
    expect(subject.observed).toBe(false);
  });

  it('throws the stream error into the loop after the values queued before it', async () => {
    const subject = new Subject<number>();
    const failure = new Error('stream failed');
    const iterable = toAsyncIterable(subject);
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const value of iterable) seen.push(value);
    })();

    subject.next(1);
    subject.next(2);
    subject.error(failure);

    await expect(consumer).rejects.toBe(failure);
    expect(seen).toEqual([1, 2]);
  });

  it('throws an error of a source that fails at once', async () => {
    const failure = new Error('no node');
    const loop = async (): Promise<void> => {
      for await (const value of toAsyncIterable(throwError(() => failure))) {
        throw new Error(`no value expected, got ${String(value)}`);
      }
    };
    await expect(loop()).rejects.toBe(failure);
  });

  it('ends the loop on completion, after the queued values', async () => {
    const subject = new Subject<number>();
    const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();
    subject.next(1);
    subject.complete();

    await expect(iterator.next()).resolves.toEqual({ done: false, value: 1 });
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('return() resolves a pending next() as done and forgets queued values', async () => {
    const subject = new Subject<number>();
    const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();
    const pending = iterator.next();
    await iterator.return!();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    subject.next(1);
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
    expect(subject.observed).toBe(false);
  });

  it('throw() unsubscribes and rejects with the given error', async () => {
    const subject = new Subject<number>();
    const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();
    const reason = new Error('stop');
    await expect(iterator.throw!(reason)).rejects.toBe(reason);
    expect(subject.observed).toBe(false);
  });

  it('subscribes afresh for each iteration', async () => {
    let subscriptions = 0;
    const source = defer(() => {
      subscriptions += 1;
      return of(subscriptions * 10, subscriptions * 10 + 1);
    });
    const iterable = toAsyncIterable(source);
    const runs: number[][] = [];
    for (let run = 0; run < 2; run += 1) {
      const seen: number[] = [];
      for await (const value of iterable) seen.push(value);
      runs.push(seen);
    }

    expect(subscriptions).toBe(2);
    expect(runs).toEqual([
      [10, 11],
      [20, 21],
    ]);
  });

  it('does not subscribe before iteration starts', () => {
    let subscribed = false;
    toAsyncIterable(
      new Observable(() => {
        subscribed = true;
      }),
    );
    expect(subscribed).toBe(false);
  });

  it('passes removals through unchanged: the very objects, in their order, removed: true on the retraction', async () => {
    const at = {
      blockNumber: 105,
      blockHash: `0x${'b1'.repeat(32)}`,
      transactionHash: `0x${'c2'.repeat(32)}`,
      logIndex: 1,
    };
    const task = `0x${'aa'.repeat(20)}`;
    const orphaned = new TaskStatusChangedEvent({ task, status: TaskStatus.ATTEMPTED, ...at });
    const removal = removalOf(orphaned);
    const remined = new TaskStatusChangedEvent({
      task,
      status: TaskStatus.ATTEMPTED,
      ...at,
      blockNumber: 106,
      blockHash: `0x${'b2'.repeat(32)}`,
    });
    const seen: TaskStatusChangedEvent[] = [];
    for await (const event of toAsyncIterable(of(orphaned, removal, remined))) seen.push(event);

    expect(seen).toHaveLength(3);
    expect(seen[0]).toBe(orphaned);
    expect(seen[1]).toBe(removal);
    expect(seen[2]).toBe(remined);
    expect(seen.map((event) => event.removed)).toEqual([false, true, false]);
    expect(seen[1]).toBeInstanceOf(TaskStatusChangedEvent);
  });
});
