import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { NETWORKS, TaskStatus } from 'ogpu-events';
import { FaultyRpcProxy, type FaultyRpcProxyOptions, type RangeCapStyle } from '../support/FaultyRpcProxy';
import { minedReceipt } from '../support/minedReceipt';
import { waitFor as waitUntil } from '../support/streams';
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

/** Commands still running: killed after each test, so that a failed test leaves none polling. */
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

function runCli(args: readonly string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
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

test('with --from-block above the head, reports no backfill, goes live at that block and prints what is mined there', async () => {
  const task = randomAddress();
  const next = (await chain.head()) + 2;
  const run = runCli(['watch', 'taskStatusChanged', task, ...base, '--from-block', String(next)]);
  await run.waitFor('stderr', 'live from block');
  expect(lines(run.stderr())).toEqual([`live from block ${next}`]);
  // Mined one by one: the first lands below the watched range unless something else mined meanwhile.
  const sent = [];
  for (const status of [1, 2, 5] as const)
    sent.push({ status, ...(await chain.send('emitTaskStatusChanged', task, status)) });
  await run.waitFor('stdout', 'status=FINALIZED');
  const name = { 1: 'ATTEMPTED', 2: 'RESPONDED', 5: 'FINALIZED' } as const;
  expect(lines(run.stdout())).toEqual(
    sent
      .filter(({ blockNumber }) => blockNumber >= next)
      .map(({ blockNumber, status }) =>
        expect.stringMatching(`^TaskStatusChanged block ${blockNumber} task=${task} status=${name[status]} `),
      ),
  );
  run.child.kill('SIGINT');
  expect(await run.exit).toBe(130);
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

test.each(['mainnet', 'testnet'] as const)(
  '--network %s supplies the Nexus address of the preset (here checked on anvil through --rpc, which has no contract there)',
  async (network) => {
    const run = runCli(['watch', 'attempted', randomAddress(), '--network', network, '--rpc', chain.url]);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/^error: /);
    expect(run.stderr()).toContain(NETWORKS[network].nexusAddress);
  },
);

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
    '--with-removals',
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

/** A fault-injecting proxy in front of the test chain, stopped after the test. */
const proxies: FaultyRpcProxy[] = [];
async function startProxy(options: FaultyRpcProxyOptions = {}): Promise<FaultyRpcProxy> {
  const proxy = await new FaultyRpcProxy(chain.url, options).start();
  proxies.push(proxy);
  return proxy;
}
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

/** `ogpu-events watch taskStatusChanged <task>` through `proxy`, polling every 100 ms. */
const watchVia = (proxy: FaultyRpcProxy, task: string, ...options: string[]): Run =>
  runCli([
    'watch',
    'taskStatusChanged',
    task,
    '--rpc',
    proxy.url,
    '--nexus',
    chain.nexusAddress,
    '--poll-interval',
    '100',
    ...options,
  ]);

type StatusName = keyof typeof TaskStatus;

/** The line the command prints for a `TaskStatusChanged(task, status)` mined as `sent`. */
const statusLine = (task: string, status: StatusName, sent: { blockNumber: number; hash: string }): string =>
  `TaskStatusChanged block ${sent.blockNumber} task=${task} status=${status} tx=${sent.hash}:0`;

/** The stderr lines that start with `prefix`. */
const linesStartingWith = (text: string, prefix: string): string[] =>
  lines(text).filter((line) => line.startsWith(prefix));

/** The head the command's backfill read up to, from its `backfilling blocks F..H (head H)` line. */
function backfillHead(stderr: string): number {
  const match = /^backfilling blocks \d+\.\.(\d+) \(head \1\)$/m.exec(stderr);
  if (match?.[1] === undefined) throw new Error(`no backfilling line in:\n${stderr}`);
  return Number(match[1]);
}

/** Head requests (`eth_getBlockByNumber('latest')`) seen by `proxy`. */
const headPolls = (proxy: FaultyRpcProxy): number =>
  proxy.calls.filter(
    (call) => call.method === 'eth_getBlockByNumber' && Array.isArray(call.params) && call.params[0] === 'latest',
  ).length;

/**
 * Waits until the command has asked `proxy` for the head `count` more times. Its polls never
 * overlap, so every poll but the last of those has run to its end.
 */
async function moreHeadPolls(proxy: FaultyRpcProxy, count: number): Promise<void> {
  const seen = headPolls(proxy);
  await waitUntil(() => headPolls(proxy) >= seen + count, 30_000, `${count} more head polls`);
}

describe('stderr notices of what the client handled', () => {
  test('each transient RPC failure (HTTP 429 with Retry-After, 503, reset, JSON-RPC -32603) is one "notice: … retry n in … ms" line, in the backfill and live, and every event is printed once', async () => {
    const proxy = await startProxy({ methods: ['eth_getLogs'], retryAfterSeconds: 1 });
    const watched = randomAddress();
    const created = await chain.send('emitTaskStatusChanged', watched, TaskStatus.NEW);
    const attempted = await chain.send('emitTaskStatusChanged', watched, TaskStatus.ATTEMPTED);
    // The backfill's one eth_getLogs is throttled (Retry-After: 1), then meets a 503.
    proxy.failNext('http-429', 'http-503');

    const run = watchVia(proxy, watched, '--from-block', String(created.blockNumber), '--until-status', 'FINALIZED');
    await run.waitFor('stderr', 'live from block');
    // The live read of the next block loses its connection, then gets a JSON-RPC internal error.
    proxy.failNext('reset', 'rpc-internal');
    const finalized = await chain.send('emitTaskStatusChanged', watched, TaskStatus.FINALIZED);

    expect(await run.exit).toBe(0);
    expect(lines(run.stdout())).toEqual([
      statusLine(watched, 'NEW', created),
      statusLine(watched, 'ATTEMPTED', attempted),
      statusLine(watched, 'FINALIZED', finalized),
    ]);
    const head = attempted.blockNumber;
    const retry = (reason: string, n: number): RegExp =>
      new RegExp(`^notice: JSON-RPC request eth_getLogs failed: ${reason}; retry ${n} in \\d+ ms$`);
    // Each failure is reported before its retry: the backfill's before it goes live, the live read's after.
    expect(lines(run.stderr())).toEqual([
      `backfilling blocks ${created.blockNumber}..${head} (head ${head})`,
      // Retry-After: 1 is honoured, and the notice says so.
      'notice: JSON-RPC request eth_getLogs failed: exceeded project rate limit (HTTP 429, code -32005); retry 1 in 1000 ms',
      expect.stringMatching(retry('server response 503 Service Unavailable \\(HTTP 503\\)', 2)),
      `live from block ${head + 1}`,
      expect.stringMatching(retry('.+', 1)), // the socket error's wording is the platform's
      expect.stringMatching(retry('internal error \\(code -32603\\)', 2)),
    ]);
    expect(proxy.faults()).toMatchObject({ 'http-429': 1, 'http-503': 1, reset: 1, 'rpc-internal': 1 });
  });

  describe('block-range splits', () => {
    /** The proxy refuses eth_getLogs over more blocks than this. */
    const CAP = 50;
    const watched = randomAddress();
    let history: { status: StatusName; sent: { blockNumber: number; hash: string } }[] = [];

    beforeAll(async () => {
      // Three events spread over ~200 blocks: the backfill asks for all of them at once.
      history = [];
      for (const status of ['NEW', 'ATTEMPTED', 'FINALIZED'] as const) {
        if (history.length > 0) await chain.mine(100);
        history.push({ status, sent: await chain.send('emitTaskStatusChanged', watched, TaskStatus[status]) });
      }
    });

    const hex = (n: number): string => `0x${n.toString(16)}`;
    // Each row: a provider's wording of the refusal (as the proxy sends it), and the span the client asks for next.
    test.each<[RangeCapStyle, (span: number, from: number) => string, (span: number) => number]>([
      ['infura-range', (span) => `range ${span} exceeds limit of ${CAP}`, () => CAP],
      ['max-block-range', () => `query exceeds max block range ${CAP}`, () => CAP],
      ['quicknode-range', () => `eth_getLogs is limited to a ${CAP} range`, () => CAP],
      [
        'alchemy-range',
        (_, from) =>
          `You can make eth_getLogs requests with up to a ${CAP} block range. Based on your parameters, this block range should work: [${hex(from)}, ${hex(from + CAP - 1)}]`,
        () => CAP,
      ],
      ['too-wide', () => 'block range is too wide', (span) => Math.floor(span / 2)],
    ])(
      'a node refusing the backfill range (%s) gives "notice: blocks F-T refused (<its message>); now N blocks at a time", and every event is printed once',
      async (style, reason, nextSpan) => {
        const proxy = await startProxy({ maxBlockRange: CAP, capStyle: style });
        const from = history[0]!.sent.blockNumber;

        const run = watchVia(proxy, watched, '--from-block', String(from), '--until-status', 'FINALIZED');

        expect(await run.exit).toBe(0);
        expect(lines(run.stdout())).toEqual(history.map(({ status, sent }) => statusLine(watched, status, sent)));
        const stderr = run.stderr();
        const head = backfillHead(stderr);
        const span = head - from + 1;
        expect(span).toBeGreaterThan(CAP);
        const notices = linesStartingWith(stderr, 'notice: ');
        // The first request asked for the whole backfill; the notice quotes the node's refusal.
        expect(notices[0]).toBe(
          `notice: blocks ${from}-${head} refused (${reason(span, from)}); now ${nextSpan(span)} blocks at a time`,
        );
        // One notice per refusal the node made, each of a range wider than its cap, each announcing a narrower one.
        expect(notices).toHaveLength(proxy.capRejections().range);
        const SPLIT = /^notice: blocks (\d+)-(\d+) refused \(.+\); now (\d+) blocks at a time$/;
        for (const notice of notices) {
          expect(notice).toMatch(SPLIT);
          const [first, last, next] = (SPLIT.exec(notice) ?? []).slice(1).map(Number);
          const refused = last! - first! + 1;
          expect(refused).toBeGreaterThan(CAP);
          expect(next).toBeLessThan(refused);
        }
        expect(stderr).toContain(`live from block ${head + 1}`);
      },
    );
  });

  test('a reorg under the cursor is one "notice: reorg: block B replaced; re-reading from block A+1" line, and the new chain\'s events are printed once each', async () => {
    const proxy = await startProxy(); // no faults: it shows when the command has polled
    const watched = randomAddress();
    const run = watchVia(proxy, watched, '--until-status', 'FINALIZED');
    await moreHeadPolls(proxy, 3); // the command follows the chain from its head
    const fork = (await chain.provider.send('evm_snapshot', [])) as string;

    const orphaned = await chain.send('emitTaskStatusChanged', watched, TaskStatus.ATTEMPTED);
    await chain.mine(4);
    await run.waitFor('stdout', 'status=ATTEMPTED');
    await moreHeadPolls(proxy, 3); // ... and has read up to the old head, 4 blocks above the orphaned event
    // Replace every block from the orphaned one up with a longer chain.
    expect(await chain.provider.send('evm_revert', [fork])).toBe(true);
    const responded = await chain.send('emitTaskStatusChanged', watched, TaskStatus.RESPONDED);
    const finalized = await chain.send('emitTaskStatusChanged', watched, TaskStatus.FINALIZED);
    await chain.mine(5);

    expect(await run.exit).toBe(0);
    expect(responded.blockNumber).toBe(orphaned.blockNumber); // a height the command had already read
    // confirmations 0: the orphaned event was printed when seen; the new chain's follow, once each.
    expect(lines(run.stdout())).toEqual([
      statusLine(watched, 'ATTEMPTED', orphaned),
      statusLine(watched, 'RESPONDED', responded),
      statusLine(watched, 'FINALIZED', finalized),
    ]);
    expect(linesStartingWith(run.stderr(), 'notice: ')).toEqual([
      `notice: reorg: block ${orphaned.blockNumber + 4} replaced; re-reading from block ${orphaned.blockNumber}`,
    ]);
  });
});

describe('--with-removals', () => {
  /** Sends the raw signed transaction `raw` again and waits until it is mined; returns where it landed. */
  async function mineAgain(raw: string): Promise<{ blockNumber: number; hash: string }> {
    const hash = (await chain.provider.send('eth_sendRawTransaction', [raw])) as string;
    // Asked of the node itself (minedReceipt does): after evm_revert, ethers may still hold the old receipt.
    const { blockNumber } = await minedReceipt(chain.provider, hash, 10_000);
    return { blockNumber, hash };
  }

  test('after a reorg prints REMOVED lines (--json: "removed": true) for the printed events it took back, then the new chain\'s, an event mined again among them; --until-status waits for the new chain', async () => {
    // Two commands, human and --json, each through its own proxy (which shows when it has polled).
    const [humanProxy, jsonProxy] = [await startProxy(), await startProxy()];
    const watched = randomAddress();
    const human = watchVia(humanProxy, watched, '--with-removals', '--until-status', 'FINALIZED');
    const json = watchVia(jsonProxy, watched, '--with-removals', '--json', '--until-status', 'FINALIZED');
    await Promise.all([moreHeadPolls(humanProxy, 3), moreHeadPolls(jsonProxy, 3)]);
    const fork = (await chain.provider.send('evm_snapshot', [])) as string;

    const moved = await chain.send('emitTaskStatusChanged', watched, TaskStatus.ATTEMPTED);
    const raw = (await chain.provider.send('eth_getRawTransactionByHash', [moved.hash])) as string;
    const dropped = await chain.send('emitTaskStatusChanged', watched, TaskStatus.RESPONDED);
    await chain.mine(3);
    await Promise.all([human.waitFor('stdout', 'status=RESPONDED'), json.waitFor('stdout', '"status":2')]);
    await Promise.all([moreHeadPolls(humanProxy, 3), moreHeadPolls(jsonProxy, 3)]);
    // Replace every block from the first event up: `moved` is mined again two blocks higher, `dropped` never.
    expect(await chain.provider.send('evm_revert', [fork])).toBe(true);
    await chain.mine(2);
    const remined = await mineAgain(raw);
    const finalized = await chain.send('emitTaskStatusChanged', watched, TaskStatus.FINALIZED);
    await chain.mine(5);

    expect(remined).toEqual({ blockNumber: moved.blockNumber + 2, hash: moved.hash });
    expect(await human.exit).toBe(0);
    const printed = lines(human.stdout());
    expect(printed).toHaveLength(6);
    expect(printed.slice(0, 2)).toEqual([
      statusLine(watched, 'ATTEMPTED', moved),
      statusLine(watched, 'RESPONDED', dropped),
    ]);
    // The retractions (in whichever order the stream emits them) come before any event of the new chain.
    expect([...printed.slice(2, 4)].sort()).toEqual([
      `REMOVED ${statusLine(watched, 'ATTEMPTED', moved)}`,
      `REMOVED ${statusLine(watched, 'RESPONDED', dropped)}`,
    ]);
    expect(printed.slice(4)).toEqual([
      statusLine(watched, 'ATTEMPTED', remined),
      statusLine(watched, 'FINALIZED', finalized),
    ]);

    expect(await json.exit).toBe(0);
    const objects = lines(json.stdout()).map((line) => JSON.parse(line) as Record<string, unknown>);
    const summary = (e: Record<string, unknown>): unknown[] => [e.removed, e.status, e.blockNumber, e.transactionHash];
    expect(objects).toHaveLength(6);
    expect(objects.slice(0, 2).map(summary)).toEqual([
      [false, TaskStatus.ATTEMPTED, moved.blockNumber, moved.hash],
      [false, TaskStatus.RESPONDED, dropped.blockNumber, dropped.hash],
    ]);
    // Each retraction is the event it retracts, block hash included, with "removed": true.
    expect(objects.slice(2, 4).sort((a, b) => Number(a.status) - Number(b.status))).toEqual(
      objects.slice(0, 2).map((e) => ({ ...e, removed: true })),
    );
    expect(objects.slice(4).map(summary)).toEqual([
      [false, TaskStatus.ATTEMPTED, remined.blockNumber, moved.hash],
      [false, TaskStatus.FINALIZED, finalized.blockNumber, finalized.hash],
    ]);
    expect(objects[4]!.blockHash).not.toBe(objects[0]!.blockHash);
  });
});
