import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describeWithNats } from '../../support/natsServer';
import { useChainAndNats } from '../../support/chainAndNats';
import { randomAddress } from '../../support/testChain';

// Runs the real command (src/cli/run.ts through tsx) against anvil, MockNexus and nats-server.
const root = resolve(__dirname, '../../..');
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

interface Run {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly waitFor: (stream: 'stdout' | 'stderr', text: string | RegExp, timeoutMs?: number) => Promise<void>;
  readonly exit: Promise<number | null>;
}

function runCli(args: readonly string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const out = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr'] as const) child[name]!.on('data', (chunk: Buffer) => (out[name] += chunk));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const has = (name: 'stdout' | 'stderr', text: string | RegExp): boolean =>
    typeof text === 'string' ? out[name].includes(text) : text.test(out[name]);
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    waitFor: async (name, text, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!has(name, text)) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no ${String(text)} on ${name}:\n${out.stdout}\n${out.stderr}`);
        }
        await new Promise((done) => setTimeout(done, 20));
      }
    },
    exit,
  };
}

describeWithNats('ogpu-events relay, and watch --nats', () => {
  const suite = useChainAndNats();

  it('relays until SIGTERM (exit 0), and watch --nats prints the task’s statuses through it', async () => {
    const task = randomAddress();
    const start = (await suite.chain.head()) + 1;
    const relay = runCli([
      'relay',
      '--rpc',
      suite.chain.url,
      '--nexus',
      suite.chain.nexusAddress,
      '--nats',
      suite.nats.url,
      '--from-block',
      String(start),
      '--poll-interval',
      '100',
    ]);
    await suite.chain.send('publishTask', task, randomAddress());
    await relay.waitFor('stderr', /relayed blocks \d+\.\.\d+: 2 stored/);
    const watch = runCli([
      'watch',
      'taskStatusChanged',
      task,
      '--nats',
      suite.nats.url,
      '--from-block',
      String(start),
      '--until-status',
      'FINALIZED',
    ]);
    await watch.waitFor('stdout', 'NEW');
    await suite.chain.send('attempt', task, randomAddress(), 1n);
    await suite.chain.send('confirmResponse', task, randomAddress());
    expect(await watch.exit).toBe(0);
    expect(watch.stdout().trim().split('\n')).toHaveLength(3);
    expect(watch.stdout()).toMatch(/FINALIZED/);
    relay.child.kill('SIGTERM');
    expect(await relay.exit).toBe(0);
    expect(relay.stderr()).toMatch(/SIGTERM: stopping/);
  });

  it.each([
    [['relay', '--rpc', 'http://127.0.0.1:1', '--nexus', `0x${'11'.repeat(20)}`], /missing --nats URL/],
    [['relay', '--nats', 'nats://127.0.0.1:4222'], /missing --rpc URL/],
    [['relay', '--network', 'testnet', '--nats', 'http://x'], /servers/],
    [['relay', '--network', 'testnet', '--nats', 'nats://127.0.0.1:4222', '--json'], /--json does not apply to relay/],
    [
      ['watch', 'registered', `0x${'11'.repeat(20)}`, '--nats', 'nats://127.0.0.1:4222', '--rpc', 'http://x'],
      /--rpc does not apply with --nats/,
    ],
    [['watch', 'registered', '0x12', '--nats', 'nats://127.0.0.1:4222'], /address/],
  ])('%j: exits 2 with a usage hint', async (args, message) => {
    const run = runCli(args);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toMatch(message);
    expect(run.stderr()).toMatch(/usage: ogpu-events/);
  });
});
