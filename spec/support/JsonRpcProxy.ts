import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One JSON-RPC call seen by the proxy. */
export interface ProxiedCall {
  readonly method: string;
  readonly params: unknown;
}

/**
 * A loopback HTTP JSON-RPC proxy in front of a node. It forwards every request and
 * records each call (single or batched) so that tests can count what a client really
 * sends over the wire.
 */
export class JsonRpcProxy {
  readonly calls: ProxiedCall[] = [];
  #server: Server | undefined;
  #url = '';

  constructor(private readonly target: string) {}

  get url(): string {
    return this.#url;
  }

  /** Calls of `method` recorded so far. */
  count(method: string): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  reset(): void {
    this.calls.length = 0;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => void this.#handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const payload = JSON.parse(body) as { method: string; params: unknown } | { method: string; params: unknown }[];
      for (const call of Array.isArray(payload) ? payload : [payload])
        this.calls.push({ method: call.method, params: call.params });
      const upstream = await fetch(this.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      response.writeHead(upstream.status, { 'content-type': 'application/json' });
      response.end(await upstream.text());
    } catch (error) {
      response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(String(error));
    }
  }
}
