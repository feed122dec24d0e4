import {
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  PermissionViolationError,
  type Subscription,
  createInbox,
  headers as natsHeaders,
} from '@nats-io/nats-core';
import { MSG_ID_HEADER } from './subjects.js';

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

interface Pending {
  readonly message: OutgoingMessage;
  sentAt: number;
  attempt: number;
}

/** A failure worth sending the message again for: no acknowledgement in time, no stream answering. */
class Unacknowledged extends Error {}

/**
 * Asynchronous JetStream publishes with at most `size` unacknowledged: each message is a
 * plain publish whose reply subject is one of this window's inbox, so acknowledgements
 * arrive on one subscription and no publish waits for a round trip (the `@nats-io`
 * client's `js.publish` is a request per message, with its own timer and reply mapping:
 * about 7,000 messages a second here, the relay's bottleneck). A message not acknowledged
 * within `timeoutMs` (a broker restarting, an acknowledgement lost) or refused by "no
 * responders" is sent again with the same `Nats-Msg-Id`, so the broker stores it once.
 * A permission refused for a subject of this window ends it with the error `fatal` makes.
 */
export class PublishWindow {
  readonly #nc: NatsConnection;
  readonly #size: number;
  readonly #timeoutMs: number;
  readonly #fatal: (error: unknown) => unknown;
  readonly #retrying: (error: unknown) => void;
  readonly #inbox = createInbox();
  readonly #pending = new Map<number, Pending>();
  readonly #subscription: Subscription;
  readonly #sweeper: ReturnType<typeof setInterval>;
  /** Resolved when the window has room again. */
  #room: (() => void) | undefined;
  #next = 0;
  #failure: unknown;
  #stopped = false;
  #published = 0;
  #duplicates = 0;
  #lastSequence = 0;
  readonly #subjects = new Set<string>();

  constructor(options: {
    readonly nc: NatsConnection;
    readonly size: number;
    readonly timeoutMs: number;
    /** The error to end with, or `undefined` for a failure worth another attempt. */
    readonly fatal: (error: unknown) => unknown;
    readonly retrying: (error: unknown) => void;
  }) {
    this.#nc = options.nc;
    this.#size = options.size;
    this.#timeoutMs = options.timeoutMs;
    this.#fatal = options.fatal;
    this.#retrying = options.retrying;
    this.#subscription = this.#nc.subscribe(`${this.#inbox}.*`, {
      callback: (error, msg) => (error === null ? this.#acknowledged(msg) : this.#fail(error)),
    });
    this.#sweeper = setInterval(() => this.#resendOverdue(), Math.max(50, Math.floor(this.#timeoutMs / 4)));
    void this.#watchPermissions();
  }

  /** Sends `message`; resolves as soon as the window has room for the next one. */
  async publish(message: OutgoingMessage): Promise<void> {
    this.#throwIfFailed();
    while (this.#pending.size >= this.#size) {
      await new Promise<void>((resolve) => (this.#room = resolve));
      this.#throwIfFailed();
    }
    const id = this.#next++;
    this.#pending.set(id, { message, sentAt: 0, attempt: 0 });
    this.#send(id);
  }

  /** Waits until every message sent so far is acknowledged; fails with the first fatal failure. */
  async flush(): Promise<PublishTally> {
    while (this.#pending.size > 0) {
      this.#throwIfFailed();
      await new Promise<void>((resolve) => (this.#room = resolve));
    }
    this.#throwIfFailed();
    return { published: this.#published, duplicates: this.#duplicates, lastSequence: this.#lastSequence };
  }

  /** Stops resending and listening (unsubscribing the relay). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#sweeper);
    this.#subscription.unsubscribe();
    this.#wake();
  }

  #send(id: number): void {
    const pending = this.#pending.get(id);
    if (pending === undefined || this.#stopped) return;
    const { message } = pending;
    const headers = natsHeaders();
    if (message.headers !== undefined)
      for (const [key, values] of message.headers) for (const v of values) headers.append(key, v);
    headers.set(MSG_ID_HEADER, message.id);
    this.#subjects.add(message.subject);
    pending.sentAt = Date.now();
    pending.attempt += 1;
    try {
      this.#nc.publish(message.subject, message.data, { reply: `${this.#inbox}.${id}`, headers });
    } catch (error: unknown) {
      this.#retryLater(id, error);
    }
  }

  #acknowledged(msg: Msg): void {
    const id = Number(msg.subject.slice(this.#inbox.length + 1));
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    if (msg.data.length === 0) {
      // A status without a body: 503 "no responders" (no stream, or JetStream restarting).
      this.#retryLater(id, new Unacknowledged(`no JetStream answered for ${pending.message.subject}`));
      return;
    }
    let ack: { seq?: unknown; duplicate?: unknown; error?: { description?: unknown } };
    try {
      ack = msg.json();
    } catch {
      this.#retryLater(id, new Unacknowledged('an acknowledgement that is not JSON'));
      return;
    }
    if (ack.error !== undefined || typeof ack.seq !== 'number') {
      this.#retryLater(id, new Unacknowledged(`JetStream refused the message: ${String(ack.error?.description)}`));
      return;
    }
    this.#pending.delete(id);
    if (pending.message.control !== true) {
      if (ack.duplicate === true) this.#duplicates += 1;
      else this.#published += 1;
    }
    this.#lastSequence = Math.max(this.#lastSequence, ack.seq);
    this.#wake();
  }

  #retryLater(id: number, error: unknown): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    const fatal = this.#fatal(error);
    if (fatal !== undefined) {
      this.#fail(fatal);
      return;
    }
    this.#retrying(error);
    // Sent again by the sweeper once the backoff has passed.
    pending.sentAt = Date.now() + Math.min(100 * 2 ** Math.min(pending.attempt, 5), 2_000) - this.#timeoutMs;
  }

  #resendOverdue(): void {
    const overdue = Date.now() - this.#timeoutMs;
    for (const [id, pending] of this.#pending) {
      if (pending.sentAt > overdue) continue;
      if (pending.attempt > 0 && pending.sentAt > 0) this.#retrying(new Unacknowledged('no acknowledgement in time'));
      this.#send(id);
    }
  }

  async #watchPermissions(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (this.#stopped) return;
      if (status.type !== 'error' || !(status.error instanceof PermissionViolationError)) continue;
      if (status.error.operation === 'publish' && this.#subjects.has(status.error.subject)) this.#fail(status.error);
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= this.#fatal(error) ?? error;
    this.#wake();
  }

  #wake(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
