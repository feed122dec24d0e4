import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type NexusDiagnostic, type NexusEvent, TaskStatus, createNexusEvents } from 'ogpu-events';
import { collect, sleep } from '../support/streams';
import { type TestChain, randomAddress, startTestChain } from '../support/testChain';

/*
 * The library's own transport (`rpcUrl`) reads the usual eth_getLogs answer straight from
 * its bytes and any other through JSON.parse. Whichever way an answer is read, a stream
 * delivers the same events, and a bad log in it is reported and skipped.
 */

let chain: TestChain;
const task = randomAddress();
let fromBlock: number;
let direct: unknown[];

/** A loopback JSON-RPC server in front of anvil that rewrites the body of each eth_getLogs answer. */
async function rewritingProxy(rewrite: (answer: { result: Record<string, unknown>[] }) => string): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      void fetch(chain.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then((upstream) => upstream.text())
        .then((text) => {
          const method = (JSON.parse(body) as { method: string }).method;
          response.setHeader('content-type', 'application/json');
          response.end(
            method === 'eth_getLogs' ? rewrite(JSON.parse(text) as { result: Record<string, unknown>[] }) : text,
          );
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const urlOf = (server: Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function read(url: string, count: number): Promise<{ events: unknown[]; diagnostics: NexusDiagnostic[] }> {
  const nexus = createNexusEvents({ rpcUrl: url, address: chain.nexusAddress, pollInterval: 50 });
  const diagnostics: NexusDiagnostic[] = [];
  const watching = nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
  const events = await collect(nexus.taskStatusChanged$(task, { fromBlock }), count);
  await sleep(100);
  watching.unsubscribe();
  return { events: events.map((e: NexusEvent) => e.toJSON()), diagnostics };
}

const STATUSES = [TaskStatus.NEW, TaskStatus.ATTEMPTED, TaskStatus.RESPONDED, TaskStatus.FINALIZED];

beforeAll(async () => {
  chain = await startTestChain();
  fromBlock = (await chain.head()) + 1;
  for (const status of STATUSES) await chain.send('emitTaskStatusChanged', task, status);
  direct = (await read(chain.url, STATUSES.length)).events;
});
afterAll(() => chain.stop());

describe('eth_getLogs answers through rpcUrl', () => {
  it('reads the events straight from anvil', () => {
    expect(direct.map((e) => (e as { status: TaskStatus }).status)).toEqual(STATUSES);
  });

  it.each([
    [
      'pretty-printed, keys reversed, hex in upper case (read from the bytes)',
      (answer: { result: Record<string, unknown>[] }) =>
        JSON.stringify(
          {
            ...answer,
            result: answer.result.map((log) =>
              Object.fromEntries(
                Object.entries(log)
                  .reverse()
                  .map(([k, v]) => [k, typeof v === 'string' ? `0x${v.slice(2).toUpperCase()}` : v]),
              ),
            ),
          },
          null,
          2,
        ),
    ],
    [
      'with a field holding an escape (read through JSON.parse)',
      (answer: { result: Record<string, unknown>[] }) =>
        JSON.stringify({ ...answer, result: answer.result.map((log) => ({ ...log, note: 'line\nbreak' })) }),
    ],
  ])('delivers the same events from an answer %s', async (_, rewrite) => {
    const proxy = await rewritingProxy(rewrite);
    try {
      const { events, diagnostics } = await read(urlOf(proxy), STATUSES.length);
      expect(events).toEqual(direct);
      expect(diagnostics).toEqual([]);
    } finally {
      proxy.close();
    }
  });

  it('reports a malformed log in an answer and delivers the events around it', async () => {
    const proxy = await rewritingProxy((answer) => {
      const logs = answer.result.map((log, i) => (i === 1 ? { ...log, blockHash: '0x1234' } : log));
      return JSON.stringify({ ...answer, result: logs });
    });
    try {
      const { events, diagnostics } = await read(urlOf(proxy), STATUSES.length - 1);
      expect(events).toEqual([direct[0], ...direct.slice(2)]);
      expect(diagnostics).toEqual([
        expect.objectContaining({ kind: 'invalid-log', reason: [expect.stringMatching(/blockHash/)] }),
      ]);
    } finally {
      proxy.close();
    }
  });
});
