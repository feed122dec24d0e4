import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';

/** One message for the stream. */
export interface OutgoingMessage {
  readonly subject: string;
  readonly data: string;
  readonly id: string;
  readonly headers: MsgHdrs | undefined;
  /** The relay's own message (its checkpoint): not counted as published. */
  readonly control?: true;
}

/** What the acknowledgements of the messages flushed so far said. */
export interface PublishTally {
  readonly published: number;
  readonly duplicates: number;
  /** The highest stream sequence acknowledged. */
  readonly lastSequence: number;
}

/**
 * Asynchronous publishes with at most `size` of them unacknowledged: `publish` waits only
 * when the window is full, never for a round trip per message. A publish that fails for a
 * transient reason (no answer in time, the connection lost) is sent again with the same
 * message id until the broker acknowledges it, so the broker stores it once; `fatal`
 * tells which failures end the relay instead (a permission refused).
 */
export class PublishWindow {
  readonly #js: JetStreamClient;
  readonly #size: number;
  readonly #timeoutMs: number;
  readonly #fatal: (error: unknown) => unknown;
  readonly #retrying: (error: unknown) => void;
  readonly #inFlight: Promise<void>[] = [];
  #failure: unknown;
  #stopped = false;
  #published = 0;
  #duplicates = 0;
  #lastSequence = 0;

  constructor(options: {
    readonly js: JetStreamClient;
    readonly size: number;
    readonly timeoutMs: number;
    /** The error to end with, or `undefined` for a failure worth another attempt. */
    readonly fatal: (error: unknown) => unknown;
    readonly retrying: (error: unknown) => void;
  }) {
    this.#js = options.js;
    this.#size = options.size;
    this.#timeoutMs = options.timeoutMs;
    this.#fatal = options.fatal;
    this.#retrying = options.retrying;
  }

  /** Sends `message`; resolves as soon as the window has room for the next one. */
  async publish(message: OutgoingMessage): Promise<void> {
    this.#throwIfFailed();
    while (this.#inFlight.length >= this.#size) await this.#inFlight.shift();
    this.#throwIfFailed();
    this.#inFlight.push(
      this.#send(message).then(
        (ack) => {
          if (message.control === true) {
            // not an event
          } else if (ack.duplicate) this.#duplicates += 1;
          else this.#published += 1;
          this.#lastSequence = Math.max(this.#lastSequence, ack.seq);
        },
        (error: unknown) => {
          this.#failure ??= error;
        },
      ),
    );
  }

  /** Waits until every message sent so far is acknowledged; fails with the first fatal failure. */
  async flush(): Promise<PublishTally> {
    while (this.#inFlight.length > 0) await this.#inFlight.shift();
    this.#throwIfFailed();
    return { published: this.#published, duplicates: this.#duplicates, lastSequence: this.#lastSequence };
  }

  /** Ends the retries of messages still in flight (unsubscribing). */
  stop(): void {
    this.#stopped = true;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #send(message: OutgoingMessage): Promise<PubAck> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#js.publish(message.subject, message.data, {
          msgID: message.id,
          timeout: this.#timeoutMs,
          ...(message.headers === undefined ? {} : { headers: message.headers }),
        });
      } catch (error: unknown) {
        const fatal = this.#fatal(error);
        if (fatal !== undefined) throw fatal;
        if (this.#stopped) throw error;
        this.#retrying(error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)));
        if (this.#stopped) throw error;
      }
    }
  }
}
