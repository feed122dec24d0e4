import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RelayOptions, RelayProgress } from 'ogpu-events/jetstream';

/** A relay running in a child process (so that a spec can SIGKILL it). */
export interface RelayProcess {
  readonly child: ChildProcess;
  /** Progress lines printed so far. */
  readonly progress: readonly RelayProgress[];
  /** What it printed on stderr. */
  stderr(): string;
  /** Resolves once it has published up to `block`. */
  reached(block: number, timeoutMs?: number): Promise<void>;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
}

/** Starts `relayToJetStream(options)` in a child process (Node with tsx, on the sources). */
export function startRelayProcess(options: RelayOptions): RelayProcess {
  const script = join(__dirname, 'relayChild.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const progress: RelayProgress[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') progress.push(JSON.parse(line) as RelayProgress);
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    progress,
    stderr: () => stderr,
    reached: async (block, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!progress.some((p) => p.toBlock >= block)) {
        if (child.exitCode !== null) throw new Error(`the relay exited (${child.exitCode}): ${stderr}`);
        if (Date.now() > deadline) throw new Error(`the relay did not reach block ${block}: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
