/**
 * What every example needs to run as a script: a client from the environment, the
 * OGPU_TASK / OGPU_SOURCE and OGPU_FROM_BLOCK variables, Ctrl-C, and the exit codes
 * (2: usage, 1: failure). Not part of the examples' lessons: each example's exported
 * function is what to read.
 */
import { createNexusEvents, type NexusEvents } from 'ogpu-events';
import { NEVER, Observable } from 'rxjs';

/** Reads the client from OGPU_RPC_URL / OGPU_NEXUS; the OGPU testnet when OGPU_RPC_URL is unset. */
export function clientFromEnv(): NexusEvents {
  const rpcUrl = process.env['OGPU_RPC_URL'] || undefined;
  const address = process.env['OGPU_NEXUS'] || undefined;
  if (rpcUrl !== undefined && address === undefined) throw new Error('OGPU_RPC_URL is set: set OGPU_NEXUS too.');
  return createNexusEvents({
    ...(rpcUrl === undefined ? { network: 'testnet' as const } : { rpcUrl }),
    ...(address === undefined ? {} : { address }),
  });
}

/** Fails with the signal's reason once it aborts (at once if it already has); never without a signal. */
export function abortedBy(signal: AbortSignal | undefined): Observable<never> {
  if (signal === undefined) return NEVER;
  return new Observable<never>((subscriber) => {
    const fail = (): void => subscriber.error(signal.reason);
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
    return () => signal.removeEventListener('abort', fail);
  });
}

/** What {@link runExampleScript} hands to an example's `run`. */
export interface ExampleScriptArgs {
  /** The client, from {@link clientFromEnv}. */
  readonly nexus: NexusEvents;
  /** The task or source address, from the variable named by `scope`. */
  readonly address: string;
  /** OGPU_FROM_BLOCK as a number; `undefined` when unset. */
  readonly fromBlock: number | undefined;
  /** Aborts (with `Error('interrupted')`) on Ctrl-C. */
  readonly signal: AbortSignal;
}

/** Options of {@link runExampleScript}. */
export interface ExampleScriptOptions {
  /** The variable holding the address the example follows. */
  readonly scope: 'OGPU_TASK' | 'OGPU_SOURCE';
  /** The line printed (to stderr, exit code 2) when that variable is unset. */
  readonly usage: string;
  /** The example's script body. */
  readonly run: (args: ExampleScriptArgs) => Promise<void>;
}

/**
 * Runs an example as a script: prints `usage` and sets exit code 2 when `scope` is unset;
 * otherwise calls `run` with the client, the address, OGPU_FROM_BLOCK and a signal that
 * Ctrl-C aborts. A failure prints its message and sets exit code 1.
 */
export function runExampleScript({ scope, usage, run }: ExampleScriptOptions): void {
  const address = process.env[scope];
  if (!address) {
    console.error(usage);
    process.exitCode = 2;
    return;
  }
  const fromBlock = process.env['OGPU_FROM_BLOCK'] ? Number(process.env['OGPU_FROM_BLOCK']) : undefined;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort(new Error('interrupted')));

  Promise.resolve()
    .then(() => run({ nexus: clientFromEnv(), address, fromBlock, signal: stop.signal }))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    });
}
