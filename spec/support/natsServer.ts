import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './anvil';
import { stopProcess } from './stopProcess';

/** Debian's `nats-server` (`apt-get install nats-server`), or the one `NATS_SERVER_PATH` names. */
export const NATS_SERVER_PATH = process.env['NATS_SERVER_PATH'] ?? findNatsServer();

function findNatsServer(): string {
  for (const candidate of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** Whether a `nats-server` binary is installed where {@link startNatsServer} looks for it. */
export const hasNatsServer = (): boolean => NATS_SERVER_PATH !== '' && existsSync(NATS_SERVER_PATH);

/**
 * `describe` for suites that need a real nats-server: without the binary they are skipped
 * with a warning, unless `CI` is set, where a missing binary fails the run (CI installs it).
 */
export function describeWithNats(name: string, body: () => void): void {
  if (hasNatsServer()) {
    describe(name, body);
    return;
  }
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    describe(name, () => {
      it('needs nats-server', () => {
        throw new Error('nats-server is not installed (apt-get install nats-server), and CI is set');
      });
    });
    return;
  }
  console.warn(`skipping "${name}": nats-server is not installed (apt-get install nats-server)`);
  describe.skip(name, body);
}

/** A user of the server, with the subjects it may publish and subscribe to (all when omitted). */
export interface NatsUser {
  readonly user: string;
  readonly password: string;
  readonly publish?: { readonly allow?: readonly string[]; readonly deny?: readonly string[] };
  readonly subscribe?: { readonly allow?: readonly string[]; readonly deny?: readonly string[] };
}

/** How to start a {@link NatsServer}. */
export interface NatsServerOptions {
  /** Also listen for NATS over WebSocket (no TLS) on a free loopback port. */
  readonly websocket?: boolean;
  /** Users and their permissions; without them, the server needs no credentials. */
  readonly users?: readonly NatsUser[];
}

/** A running nats-server with JetStream on loopback ports, and its store folder. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>` (no credentials in it). */
  readonly url: string;
  readonly port: number;
  /** `ws://127.0.0.1:<port>`, when started with `websocket`. */
  readonly wsUrl: string | undefined;
  /** The JetStream store folder (removed by {@link NatsServer.stop}). */
  readonly storeDir: string;
  /** The server's process id (changes on restart). */
  pid(): number | undefined;
  /** Stops the server (SIGTERM) and starts it again on the same ports with the same store. */
  restart(options?: { readonly downMs?: number }): Promise<void>;
  /** Stops the server and removes its store. */
  stop(): Promise<void>;
}

/**
 * Starts nats-server with JetStream on a free loopback port, a fresh temporary store folder,
 * and a monitoring port used to wait until JetStream is ready (`/healthz`).
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  if (!hasNatsServer()) throw new Error('nats-server is not installed (apt-get install nats-server)');
  const root = mkdtempSync(join(tmpdir(), 'ogpu-nats-'));
  const storeDir = join(root, 'jetstream');
  const port = await freePort();
  const httpPort = await freePort();
  const wsPort = options.websocket === true ? await freePort() : undefined;
  const configPath = join(root, 'nats.conf');
  writeFileSync(configPath, natsConfig({ port, httpPort, wsPort, storeDir, users: options.users }));

  let child: ChildProcess | undefined;
  let log = '';
  const launch = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      log = '';
      const started = spawn(NATS_SERVER_PATH, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
      started.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000)));
      child = started;
      if (await waitUntilHealthy(httpPort, started)) return;
      await stopProcess(started, 5_000);
      // The ports of a server just stopped may be held for a moment.
      if (attempt >= 20) throw new Error(`nats-server did not start on port ${port}:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  await launch();

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    wsUrl: wsPort === undefined ? undefined : `ws://127.0.0.1:${wsPort}`,
    storeDir,
    pid: () => child?.pid,
    restart: async ({ downMs = 0 } = {}) => {
      if (child !== undefined) await stopProcess(child, 5_000);
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await launch();
    },
    stop: async () => {
      if (child !== undefined) await stopProcess(child, 5_000);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

interface ConfigParams {
  readonly port: number;
  readonly httpPort: number;
  readonly wsPort: number | undefined;
  readonly storeDir: string;
  readonly users: readonly NatsUser[] | undefined;
}

function natsConfig(p: ConfigParams): string {
  const lines = [
    `listen: "127.0.0.1:${p.port}"`,
    `http: "127.0.0.1:${p.httpPort}"`,
    `server_name: ogpu_test_${p.port}`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(p.storeDir)}`,
    `  max_memory_store: 64MB`,
    `  max_file_store: 2GB`,
    `}`,
  ];
  if (p.wsPort !== undefined) lines.push(`websocket {`, `  listen: "127.0.0.1:${p.wsPort}"`, `  no_tls: true`, `}`);
  if (p.users !== undefined) {
    const json = (list: readonly string[] | undefined): string => JSON.stringify(list ?? []);
    const permission = (p?: NatsUser['publish']): string =>
      p === undefined ? '' : `{ allow: ${json(p.allow ?? ['>'])}, deny: ${json(p.deny)} }`;
    lines.push('authorization {', '  users: [');
    for (const user of p.users) {
      const permissions: string[] = [];
      if (user.publish !== undefined) permissions.push(`publish: ${permission(user.publish)}`);
      if (user.subscribe !== undefined) permissions.push(`subscribe: ${permission(user.subscribe)}`);
      lines.push(
        `    { user: ${JSON.stringify(user.user)}, password: ${JSON.stringify(user.password)}` +
          (permissions.length > 0 ? `, permissions: { ${permissions.join(', ')} } }` : ' }'),
      );
    }
    lines.push('  ]', '}');
  }
  return `${lines.join('\n')}\n`;
}

async function waitUntilHealthy(httpPort: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const response = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
