import { type MonoTypeOperatorFunction, Observable } from 'rxjs';

/**
 * Runs `effect` for each value after the value has been delivered downstream (unlike
 * `tap`, which runs before). Used to move a cursor only once its batch was emitted.
 */
export function afterEach<T>(effect: (value: T) => void): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next: (value) => {
          subscriber.next(value);
          effect(value);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
