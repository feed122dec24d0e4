import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { randomAddress, startTestChain, type TestChain } from '../support/testChain';

// Runs the real command (src/cli/run.ts through tsx) against anvil and MockNexus.
const root = resolve(__dirname, '../..');

interface Run {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves when stdout (or stderr) contains `text`. */
  readonly waitFor: (stream: 'stdout' | 'stderr', text: string) => Promise<void>;
  readonly exit: Promise<number | null>;
}

function runCli(args: readonly string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  for (const name of ['stdout', 'stderr'] as const) {
    child[name]!.on('data', (chunk: Buffer) => {
      out[name] += chunk.toString();
      for (const waiter of waiters) waiter();
    });
  }
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    waitFor: (name, text) =>
      new Promise<void>((done, fail) => {
        const check = (): void => {
          if (out[name].includes(text)) done();
        };
        waiters.push(check);
        check();
        void exit.then(() => {
          if (!out[name].includes(text))
            fail(new Error(`exited without ${name} ${text}:\n${out.stdout}\n${out.stderr}`));
        });
      }),
    exit,
  };
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');
const json0 = (text: string): Record<string, unknown> => JSON.parse(lines(text)[0]!) as Record<string, unknown>;

let chain: TestChain;
let base: string[];
let task: string;
let fromBlock: number;
let blocks: number[];

beforeAll(async () => {
  chain = await startTestChain();
  base = ['--rpc', chain.url, '--nexus', chain.nexusAddress, '--poll-interval', '100'];
  task = randomAddress();
  await chain.send('emitTaskStatusChanged', randomAddress(), 5);
  blocks = [];
  for (const status of [0, 1, 5]) blocks.push((await chain.send('emitTaskStatusChanged', task, status)).blockNumber);
  fromBlock = blocks[0]!;
  await chain.mine(3);
});
afterAll(() => chain.stop());

test('prints human-readable lines and exits 0 after the --until-status event', async () => {
  const run = runCli([
    'watch',
    'taskStatusChanged',
    task,
    ...base,
    '--from-block',
    String(fromBlock),
    '--until-status',
    'FINALIZED',
  ]);
  expect(await run.exit).toBe(0);
  const printed = lines(run.stdout());
  expect(printed).toHaveLength(3);
  expect(printed.map((line) => line.split(' ').slice(0, 3).join(' '))).toEqual(
    blocks.map((block) => `TaskStatusChanged block ${block}`),
  );
  expect(printed[0]).toContain(`task=${task} status=NEW tx=0x`);
  expect(printed[1]).toContain('status=ATTEMPTED');
  expect(printed[2]).toContain('status=FINALIZED');
  expect(run.stderr()).toContain(`backfilling blocks ${fromBlock}..`);
});

test('--json prints one parseable JSON object per event (the $ suffix is accepted)', async () => {
  const run = runCli([
    'watch',
    'taskStatusChanged$',
    task,
    ...base,
    `--from-block=${fromBlock}`,
    '--json',
    '--until-status',
    'finalized',
  ]);
  expect(await run.exit).toBe(0);
  const events = lines(run.stdout()).map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(events.map((e) => [e.eventName, e.blockNumber, e.task, e.status])).toEqual([
    ['TaskStatusChanged', blocks[0], task, 0],
    ['TaskStatusChanged', blocks[1], task, 1],
    ['TaskStatusChanged', blocks[2], task, 5],
  ]);
});

test('bigints come out as decimal strings in --json, environments by name in human lines', async () => {
  const source = randomAddress();
  const provider = randomAddress();
  const { blockNumber } = await chain.send('emitRegistered', provider, 12345678901234567890n, source, 3);
  const json = runCli(['watch', 'registered', source, ...base, '--from-block', String(blockNumber), '--json']);
  await json.waitFor('stdout', '\n');
  json.child.kill('SIGINT');
  expect(await json.exit).toBe(130);
  const [event] = lines(json.stdout()).map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(event).toMatchObject({ eventName: 'Registered', provider, source, registrantId: '12345678901234567890' });
  const human = runCli(['watch', 'registered', source, ...base, '--from-block', String(blockNumber)]);
  await human.waitFor('stdout', '\n');
  human.child.kill('SIGINT');
  expect(await human.exit).toBe(130);
  expect(lines(human.stdout())).toEqual([
    `Registered block ${blockNumber} provider=${provider} registrantId=12345678901234567890 source=${source} preferredEnvironment=CPU|NVIDIA tx=${json0(json.stdout()).transactionHash as string}:0`,
  ]);
});

test('follows live events after the backfill and exits 130 on SIGINT', async () => {
  const liveTask = randomAddress();
  const head = await chain.head();
  const run = runCli(['watch', 'taskStatusChanged', liveTask, ...base, '--from-block', String(head)]);
  await run.waitFor('stderr', 'live from block');
  const { blockNumber } = await chain.send('emitTaskStatusChanged', liveTask, 2);
  await run.waitFor('stdout', 'status=RESPONDED');
  expect(lines(run.stdout())).toEqual([
    expect.stringMatching(
      new RegExp(`^TaskStatusChanged block ${blockNumber} task=${liveTask} status=RESPONDED tx=0x[0-9a-f]{64}:0$`),
    ),
  ]);
  run.child.kill('SIGINT');
  expect(await run.exit).toBe(130);
  expect(run.stderr()).toContain('interrupted');
});

test('a bad address exits 2 with the library message and a usage hint', async () => {
  const run = runCli(['watch', 'attempted', '0x1234', ...base]);
  expect(await run.exit).toBe(2);
  expect(run.stdout()).toBe('');
  expect(run.stderr()).toMatch(/^error: Invalid address for attempted\$ task address: .*0x1234/);
  expect(run.stderr()).toContain('usage: ogpu-events watch');
});

test.each([
  [['watch', 'nope', '0x' + '11'.repeat(20), '--rpc', 'http://127.0.0.1:1'], "unknown stream 'nope'"],
  [['watch', 'attempted', '0x' + '11'.repeat(20)], 'missing --rpc'],
  [['watch', 'attempted', '0x' + '11'.repeat(20), '--network', 'testnet', '--from-block', '-1'], '--from-block'],
  [['watch', 'attempted', '0x' + '11'.repeat(20), '--network', 'testnet', '--confirmations', 'x'], '--confirmations'],
  [
    ['watch', 'attempted', '0x' + '11'.repeat(20), '--network', 'testnet', '--until-status', 'FINALIZED'],
    '--until-status',
  ],
])('bad arguments %j exit 2', async (args, message) => {
  const run = runCli(args);
  expect(await run.exit).toBe(2);
  expect(run.stderr()).toContain(message);
  expect(run.stderr()).toContain('usage:');
});

test('a stream error (no contract at --nexus) prints error: <message> and exits 1', async () => {
  const run = runCli(['watch', 'attempted', randomAddress(), '--rpc', chain.url, '--nexus', randomAddress()]);
  expect(await run.exit).toBe(1);
  expect(run.stderr()).toMatch(/^error: .*no contract|^error: .*Nexus/im);
});

test('--help exits 0 and documents every option and stream', async () => {
  const run = runCli(['--help']);
  expect(await run.exit).toBe(0);
  for (const word of [
    '--rpc',
    '--network',
    '--nexus',
    '--from-block',
    '--confirmations',
    '--poll-interval',
    '--json',
    '--until-status',
    '--help',
    'taskPublished',
    'attempted',
    'responseSubmitted',
    'responseStatusChanged',
    'taskStatusChanged',
    'registered',
    '130',
  ]) {
    expect(run.stdout()).toContain(word);
  }
});
