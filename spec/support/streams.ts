import { type Observable, firstValueFrom, take, timeout, toArray } from 'rxjs';

/** The first `count` values of `source`, failing after `ms` milliseconds. */
export function collect<T>(source: Observable<T>, count: number, ms = 20_000): Promise<T[]> {
  return firstValueFrom(source.pipe(take(count), toArray(), timeout(ms)));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every `everyMs` (20) until it holds, failing after `ms` milliseconds. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  ms = 20_000,
  what = 'condition',
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
