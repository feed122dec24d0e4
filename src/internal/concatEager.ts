import { Observable } from 'rxjs';

/**
 * Like `concat(first$, second$)`, except that `second$` is subscribed first: what it
 * emits while `first$` runs is buffered and emitted, in order, once `first$` completes;
 * after that its values pass straight through. An error of either fails the result at
 * once. Nothing of `second$` is lost between the two, and the buffer empties as soon as
 * `first$` is done.
 */
export function concatEager<A, B>(first$: Observable<A>, second$: Observable<B>): Observable<A | B> {
  return new Observable<A | B>((subscriber) => {
    let buffer: B[] | undefined = [];
    let secondDone = false;
    const second = second$.subscribe({
      next: (value) => (buffer === undefined ? subscriber.next(value) : buffer.push(value)),
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        secondDone = true;
        if (buffer === undefined) subscriber.complete();
      },
    });
    // second$ may have failed (or the consumer unsubscribed) synchronously: then first$ is never started.
    if (subscriber.closed) return second;
    const first = first$.subscribe({
      next: (value) => subscriber.next(value),
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        // Values that second$ emits during the flush (re-entrantly) join the queue, so order holds.
        const pending = buffer ?? [];
        for (let i = 0; i < pending.length; i += 1) {
          if (subscriber.closed) return;
          subscriber.next(pending[i] as B);
        }
        buffer = undefined;
        if (secondDone) subscriber.complete();
      },
    });
    return () => {
      first.unsubscribe();
      second.unsubscribe();
    };
  });
}
