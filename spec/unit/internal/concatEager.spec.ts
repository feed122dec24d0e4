import { Subject, defer, of, take, throwError } from 'rxjs';
import { concatEager } from '../../../src/internal/concatEager';
import { runMarbles } from '../helpers/marbles';

describe('concatEager(first$, second$)', () => {
  describe('order', () => {
    it('emits first$, then second$, when second$ only emits after first$ completed', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold('-a-b|');
        const second = cold('------c-d|');

        expectObservable(concatEager(first, second)).toBe('-a-b--c-d|');
        expectSubscriptions(first.subscriptions).toBe('^---!');
        expectSubscriptions(second.subscriptions).toBe('^--------!');
      });
    });

    it('subscribes to second$ before first$', () => {
      const order: string[] = [];
      const first = defer(() => (order.push('first'), of('a')));
      const second = defer(() => (order.push('second'), of('x')));

      concatEager(first, second).subscribe();
      expect(order).toEqual(['second', 'first']);
    });

    it('holds what second$ emits while first$ runs, and emits it in order as soon as first$ completes', () => {
      runMarbles(({ cold, expectObservable }) => {
        const first = cold('---a---|');
        const second = cold('-x-y-z------w|');

        expectObservable(concatEager(first, second)).toBe('---a---(xyz)w|');
      });
    });

    it('holds what a synchronous second$ emits at subscription', () => {
      runMarbles(({ cold, expectObservable }) => {
        expectObservable(concatEager(cold('--a|'), cold('(xyz)'))).toBe('--a(xyz)');
      });
    });

    it('loses nothing of a hot second$ around the moment first$ completes', () => {
      runMarbles(({ cold, hot, expectObservable }) => {
        const first = cold('---|');
        const second = hot('--x-y-z-|');

        expectObservable(concatEager(first, second)).toBe('---xy-z-|');
      });
    });

    it('passes second$ straight through when first$ is empty', () => {
      runMarbles(({ cold, expectObservable }) => {
        expectObservable(concatEager(cold('|'), cold('-x-y|'))).toBe('-x-y|');
      });
    });

    it('keeps the order of what second$ emits during the flush, when a consumer makes it emit', () => {
      // e.g. a consumer that feeds back into the live source on some value
      const second = new Subject<number>();
      const first = new Subject<string>();
      const seen: (string | number)[] = [];
      concatEager(first, second).subscribe((value) => {
        seen.push(value);
        if (value === 1) second.next(3);
      });

      second.next(1);
      second.next(2);
      first.next('a');
      first.complete();

      // second$ emitted 1, 2, 3 in that order
      expect(seen).toEqual(['a', 1, 2, 3]);
    });
  });

  describe('completion', () => {
    it('completes when first$ completes if second$ completed before', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold('--a---|');
        const second = cold('-x|');

        expectObservable(concatEager(first, second)).toBe('--a---(x|)');
        expectSubscriptions(second.subscriptions).toBe('^-!');
      });
    });

    it('completes when second$ completes, after first$', () => {
      runMarbles(({ cold, expectObservable }) => {
        expectObservable(concatEager(cold('-a|'), cold('----x|'))).toBe('-a--x|');
      });
    });

    it('completes at once when both are empty', () => {
      runMarbles(({ cold, expectObservable }) => {
        expectObservable(concatEager(cold('|'), cold('|'))).toBe('|');
      });
    });

    it('never completes while second$ runs', () => {
      runMarbles(({ cold, expectObservable }) => {
        expectObservable(concatEager(cold('-a|'), cold('---x--'))).toBe('-a-x--');
      });
    });

    it('never completes, and holds second$ back, while first$ runs', () => {
      runMarbles(({ cold, expectObservable }) => {
        expectObservable(concatEager(cold('-a----'), cold('x|'))).toBe('-a----');
      });
    });
  });

  describe('errors', () => {
    it('fails at once on an error of first$, dropping what second$ emitted, and unsubscribes second$', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold('-a-#', undefined, new Error('backfill'));
        const second = cold('-x-----y|');

        expectObservable(concatEager(first, second)).toBe('-a-#', undefined, new Error('backfill'));
        expectSubscriptions(second.subscriptions).toBe('^--!');
      });
    });

    it('fails at once on an error of second$ while first$ runs (not after first$), and unsubscribes first$', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold('-a-----b|');
        const second = cold('-x-#', undefined, new Error('live'));

        expectObservable(concatEager(first, second)).toBe('-a-#', undefined, new Error('live'));
        expectSubscriptions(first.subscriptions).toBe('^--!');
      });
    });

    it('fails on an error of second$ after first$ completed', () => {
      runMarbles(({ cold, expectObservable }) => {
        expectObservable(concatEager(cold('-a|'), cold('-x--#'))).toBe('-ax-#');
      });
    });

    it('does not subscribe to first$ when second$ fails at subscription', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold('-a|');
        // Fails synchronously at subscription (a cold marble '#' would fail one scheduler action later).
        const second = throwError(() => 'error');

        expectObservable(concatEager(first, second)).toBe('#');
        expectSubscriptions(first.subscriptions).toBe([]);
      });
    });
  });

  describe('teardown', () => {
    it('unsubscribes both on unsubscribe', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold('-a-b-c-d|');
        const second = cold('x-y-z-w|');

        expectObservable(concatEager(first, second), '^---!').toBe('-a-b');
        expectSubscriptions(first.subscriptions).toBe('^---!');
        expectSubscriptions(second.subscriptions).toBe('^---!');
      });
    });

    it('unsubscribes second$ on unsubscribe after first$ completed', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold('-a|');
        const second = cold('----x-y-z|');

        expectObservable(concatEager(first, second), '^-----!').toBe('-a--x-');
        expectSubscriptions(second.subscriptions).toBe('^-----!');
      });
    });

    it('stops the flush when the consumer has had enough', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold('--|');
        const second = cold('(xyz)--w');

        expectObservable(concatEager(first, second).pipe(take(2))).toBe('--(xy|)');
        expectSubscriptions(second.subscriptions).toBe('^-!');
      });
    });

    it('is cold: every subscription subscribes both again', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold('-a|');
        const second = cold('--x|');
        const both = concatEager(first, second);

        expectObservable(both).toBe('-ax|');
        expectObservable(both).toBe('-ax|');
        expectSubscriptions(second.subscriptions).toBe(['^--!', '^--!']);
      });
    });
  });
});
