import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { hasMethods } from '../internal/hasMethods.js';
import type { Observable, Subscription } from 'rxjs';

/**
 * Consumes any Observable with `for await`. Each iteration subscribes afresh; values
 * that arrive while the loop body is awaiting are queued, never dropped; `break`
 * (or `return`/`throw` out of the loop) unsubscribes, which stops the client's polling
 * when it was the last subscriber; an error of the stream is thrown into the loop after
 * the values queued before it.
 *
 * @example
 * ```ts
 * import { toAsyncIterable, TaskStatus } from 'ogpu-events';
 *
 * for await (const event of toAsyncIterable(nexus.taskStatusChanged$(task))) {
 *   console.log('status', event.status);
 *   if (event.status === TaskStatus.FINALIZED) break;
 * }
 * ```
 */
export function toAsyncIterable<T>(source: Observable<T>): AsyncIterable<T> {
  if (!hasMethods(source, ['subscribe'])) {
    throw new InvalidOptionError('toAsyncIterable source', source, 'an Observable (something with subscribe())');
  }
  return {
    [Symbol.asyncIterator]: () => iterate(source),
  };
}

type Settled =
  | { readonly done: false; readonly value: unknown }
  | { readonly done: true; readonly error?: unknown; readonly failed: boolean };

function iterate<T>(source: Observable<T>): AsyncIterator<T> {
  const queue: Settled[] = [];
  const waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }[] = [];
  let ended = false;
  let subscription: Subscription | undefined;

  const push = (item: Settled): void => {
    if (item.done) ended = true;
    const waiter = waiting.shift();
    if (waiter === undefined) queue.push(item);
    else settle(item, waiter);
  };

  const settle = (item: Settled, waiter: (typeof waiting)[number]): void => {
    if (!item.done) waiter.resolve({ done: false, value: item.value as T });
    else if (item.failed) waiter.reject(item.error);
    else waiter.resolve({ done: true, value: undefined });
  };

  const stop = (): void => {
    ended = true;
    subscription?.unsubscribe();
    subscription = undefined;
    queue.length = 0;
    for (const waiter of waiting.splice(0)) waiter.resolve({ done: true, value: undefined });
  };

  subscription = source.subscribe({
    next: (value) => push({ done: false, value }),
    error: (error: unknown) => push({ done: true, failed: true, error }),
    complete: () => push({ done: true, failed: false }),
  });

  return {
    next: () => {
      const item = queue.shift();
      if (item !== undefined) return new Promise((resolve, reject) => settle(item, { resolve, reject }));
      if (ended) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return: () => {
      stop();
      return Promise.resolve({ done: true, value: undefined });
    },
    throw: (error?: unknown) => {
      stop();
      return Promise.reject(error);
    },
  };
}
