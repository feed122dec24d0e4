import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { stopProcess } from './stopProcess';

/** A running anvil node on a loopback port. */
export interface AnvilNode {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Path of the anvil binary shipped by @foundry-rs/anvil's platform package. */
export function anvilBinary(): string {
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;
  try {
    const binary = join(dirname(require.resolve(`${platformPackage}/package.json`)), 'bin', 'anvil');
    if (existsSync(binary)) return binary;
  } catch {
    // fall through to the wrapper script
  }
  return join(dirname(require.resolve('@foundry-rs/anvil/package.json')), 'bin.mjs');
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Anvil keeps the state of every block and, past a few hundred in memory, writes them under
 * `~/.foundry/anvil/tmp`, a directory it leaves behind when it is stopped by a signal: a day of
 * test runs filled 78 GB of disk there, and mining hundreds of blocks slowed down as it wrote.
 * No spec reads state at an old block (logs, headers and `evm_revert` snapshots do not need it),
 * so every node keeps no history.
 */
const NO_STATE_HISTORY = ['--prune-history'] as const;

/** Starts anvil on a free loopback port and waits until it answers JSON-RPC. */
export async function startAnvil(extraArgs: readonly string[] = []): Promise<AnvilNode> {
  const args = ['--host', '127.0.0.1', '--silent', ...NO_STATE_HISTORY, ...extraArgs];
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(anvilBinary(), [...args, '--port', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    if (await waitForRpc(url, child)) return { url, port, stop: () => stopProcess(child, 3_000) };
    await stopProcess(child, 3_000);
    if (attempt >= 2) throw new Error(`anvil did not start on port ${port}: ${stderr}`);
  }
}

async function waitForRpc(url: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
