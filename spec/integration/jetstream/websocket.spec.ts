import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TaskStatus } from 'ogpu-events';
import { describeWithNats } from '../../support/natsServer';
import { useChainAndNats } from '../../support/chainAndNats';
import { randomAddress } from '../../support/testChain';

/** A Node.js with a global WebSocket (22 or later): this one, or one CI unpacked from the registry. */
function nodeWithWebSocket(): string | undefined {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const cache = join(homedir(), '.cache', 'ogpu-events', 'node');
  if (!existsSync(cache)) return undefined;
  for (const version of readdirSync(cache).sort().reverse()) {
    const binary = join(cache, version, 'bin', 'node');
    if (Number(version.split('.')[0]) >= 22 && existsSync(binary)) return binary;
  }
  return undefined;
}
const node = nodeWithWebSocket();
if (node === undefined) console.warn('skipping the NATS WebSocket spec: no Node.js 22+ (global WebSocket) found');
const describeWs = node === undefined ? describe.skip : describeWithNats;

describeWs('createJetStreamNexusEvents over NATS WebSocket (Node.js 22+)', () => {
  const suite = useChainAndNats({ websocket: true });
  beforeAll(async () => {
    await suite.startRelay();
  });

  it('delivers a task’s events, replayed and live, to a consumer connected with a ws:// URL', async () => {
    const task = randomAddress();
    const first = await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    const child = spawn(
      node!,
      [
        '--import',
        'tsx',
        join(__dirname, '..', '..', 'support', 'wsConsumerChild.ts'),
        suite.nats.wsUrl!,
        task,
        String(first.blockNumber),
        '2',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!stdout.includes('\n')) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no event over WebSocket: ${stderr}`);
        await new Promise((done) => setTimeout(done, 20));
      }
      await suite.chain.send('emitTaskStatusChanged', task, TaskStatus.FINALIZED);
      expect(await exit).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { status: number; task: string });
    expect(events.map((e) => [e.task, e.status])).toEqual([
      [task, TaskStatus.NEW],
      [task, TaskStatus.FINALIZED],
    ]);
  });
});
