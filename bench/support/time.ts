/** Resolves after `ms` milliseconds, or at once (without rejecting) when `signal` is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Sleeps until `performance.now()` reaches `deadline` (at once if it already has). */
export function sleepUntil(deadline: number): Promise<void> {
  return sleep(deadline - performance.now());
}
