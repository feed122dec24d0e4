import type { NatsConnection } from '@nats-io/nats-core';

/**
 * One connection for all the streams of a client: opened by the first stream that needs
 * it, closed when the last one is done. A failed open is forgotten, so the next stream
 * tries again.
 */
export class SharedConnection {
  readonly #open: () => Promise<NatsConnection>;
  #connection: Promise<NatsConnection> | undefined;
  #users = 0;

  constructor(open: () => Promise<NatsConnection>) {
    this.#open = open;
  }

  /** The connection; pair every call with one {@link release}. */
  acquire(): Promise<NatsConnection> {
    this.#users += 1;
    if (this.#connection === undefined) {
      const opening = this.#open();
      this.#connection = opening;
      opening.catch(() => {
        if (this.#connection === opening) this.#connection = undefined;
      });
    }
    return this.#connection;
  }

  release(): void {
    this.#users -= 1;
    if (this.#users > 0 || this.#connection === undefined) return;
    const closing = this.#connection;
    this.#connection = undefined;
    closing.then((nc) => nc.close()).catch(() => undefined);
  }
}
