/**
 * `npm run dashboard:demo`: the browser dashboard (examples/dashboard) on an embedded
 * chain, with no network.
 *
 * 1. Builds the dashboard with Vite (into examples/dashboard/dist).
 * 2. Starts a local anvil chain with MockNexus (spec/contracts/MockNexus.sol, the real
 *    Nexus's six event signatures) and serves the page on loopback.
 * 3. Prints a link that opens the page already watching the demo's source, then keeps
 *    the chain busy: two providers register, and a new task is published every few
 *    seconds and walks its lifecycle (attempts, a response, FINALIZED; now and then one
 *    is CANCELED or EXPIRED instead), one transaction at a time.
 *
 * Ctrl-C stops the chain and the server. Everything on the page comes from the
 * library's six streams: the demo only sends transactions.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEther } from 'ethers';
import { Environment, TaskStatus } from 'ogpu-events';
import { toQuery } from '../examples/dashboard/src/connectionSettings';
import { type StaticServer, serveStatic } from '../spec/support/staticServer';
import { type TestChain, randomAddress, startTestChain } from '../spec/support/testChain';

const ROOT = join(__dirname, '..');

/** Options of {@link startDashboardDemo}. */
export interface DashboardDemoOptions {
  /** A dashboard already built; omitted: build it into examples/dashboard/dist. */
  readonly buildDir?: string | undefined;
  /** Pause between two transactions, in ms. Default 700. */
  readonly stepPauseMs?: number | undefined;
  /** How often the page polls the chain, in ms (written into the link). Default 500. */
  readonly pollInterval?: number | undefined;
  /** Where the driver reports what it sends; silent by default. */
  readonly log?: ((line: string) => void) | undefined;
}

/** A running demo. */
export interface DashboardDemo {
  /** The page, watching the demo's source from the block its providers registered in. */
  readonly url: string;
  readonly chain: TestChain;
  readonly source: string;
  /** Stops the driver, the page's server and the chain. */
  stop(): Promise<void>;
}

/** Builds the dashboard with the project's Vite into `outDir`. */
export async function buildDashboard(outDir: string): Promise<void> {
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  await promisify(execFile)(
    process.execPath,
    [vite, 'build', 'examples/dashboard', '--outDir', outDir, '--emptyOutDir'],
    {
      cwd: ROOT,
    },
  );
}

/** Starts the chain, the page and the driver. */
export async function startDashboardDemo(options: DashboardDemoOptions = {}): Promise<DashboardDemo> {
  const { stepPauseMs = 700, pollInterval = 500, log = () => undefined } = options;
  const buildDir = options.buildDir ?? join(ROOT, 'examples', 'dashboard', 'dist');
  if (options.buildDir === undefined) await buildDashboard(buildDir);

  const chain = await startTestChain();
  let site: StaticServer | undefined;
  const stopped = new AbortController();
  try {
    site = await serveStatic(buildDir);
    const source = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    const link = toQuery({ rpcUrl: chain.url, nexus: chain.nexusAddress, source, fromBlock, pollInterval });
    const driving = drive(chain, source, { stepPauseMs, log, signal: stopped.signal }).catch((error: unknown) => {
      if (!stopped.signal.aborted) log(`driver stopped: ${String(error)}`);
    });
    const server = site;
    return {
      url: `${site.url}/${link}`,
      chain,
      source,
      stop: async () => {
        stopped.abort();
        await driving;
        await server.close();
        await chain.stop();
      },
    };
  } catch (error) {
    await site?.close();
    await chain.stop();
    throw error;
  }
}

interface DriveOptions {
  readonly stepPauseMs: number;
  readonly log: (line: string) => void;
  readonly signal: AbortSignal;
}

/** Sends the demo's transactions, one at a time, until `signal` aborts. */
async function drive(chain: TestChain, source: string, { stepPauseMs, log, signal }: DriveOptions): Promise<void> {
  const pause = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, stepPauseMs);
      signal.addEventListener('abort', done, { once: true });
    });
  const send = async (method: string, ...args: unknown[]): Promise<void> => {
    if (signal.aborted) throw signal.reason;
    log(`${method}(${args.map(String).join(', ')})`);
    await chain.send(method, ...args);
    await pause();
  };

  const providers = [randomAddress(), randomAddress()];
  await send('register', providers[0], source, Environment.CPU);
  await send('register', providers[1], source, Environment.NVIDIA | Environment.AMD);

  for (let n = 1; !signal.aborted; n++) {
    const task = randomAddress();
    await send('publishTask', task, source);
    if (n % 5 === 3) {
      // Nobody takes it: it expires.
      await send('emitTaskStatusChanged', task, TaskStatus.EXPIRED);
      continue;
    }
    const attempts = n % 2 === 0 ? providers : [providers[n % 2]];
    for (const [i, provider] of attempts.entries()) {
      await send('attempt', task, provider, parseEther(`${(n % 4) + 1}.${i * 5}`));
    }
    if (n % 7 === 4) {
      await send('emitTaskStatusChanged', task, TaskStatus.CANCELED);
      continue;
    }
    const response = randomAddress();
    await send('submitResponse', task, response);
    await send('confirmResponse', task, response);
  }
}

if (require.main === module) {
  void (async () => {
    const demo = await startDashboardDemo({ log: (line) => console.log(`  chain: ${line}`) });
    console.log(`\nThe dashboard, watching source ${demo.source} on a local anvil chain:\n\n  ${demo.url}\n`);
    console.log('Open it in a browser on this machine; Ctrl-C to stop.\n');
    process.once('SIGINT', () => {
      void demo.stop().then(() => process.exit(0));
    });
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
