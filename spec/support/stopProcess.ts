import type { ChildProcess } from 'node:child_process';

/**
 * Stops a server the tests started: SIGTERM, then SIGKILL if it has not exited after
 * `graceMs`. Resolves once it has exited (at once if it already had).
 *
 * @example
 * await stopProcess(anvilChild, 3_000);
 */
export function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}
