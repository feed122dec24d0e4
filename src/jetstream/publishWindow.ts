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

/** What the acknowledgements of every message published before an `acknowledged()` call said. */
export interface PublishTally {
  /** Messages stored (control messages not counted), from the window's start. */
  readonly published: number;
  /** Messages the broker dropped as duplicates, from the window's start. */
  readonly duplicates: number;
  /** The highest stream sequence among them. */
  readonly lastSequence: number;
  /**
   * Whether one of them was sent more than once since the previous `acknowledged()`: it
   * may then have been stored after messages published later, so a sequence above
   * `lastSequence` no longer proves a message came later.
   */
  readonly reordered: boolean;
}

/** An `acknowledged()` call waiting for the messages published before it. */
interface Barrier {
  /** The first message id published after the call. */
  readonly id: number;
  published: number;
  duplicates: number;
  lastSequence: number;
  reordered: boolean;
  readonly resolve: (tally: PublishTally) => void;
  readonly reject: (error: unknown) => void;
}

interface Pending {
  readonly message: OutgoingMessage;
  sentAt: number;
  attempt: number;
  /** The recovery round it was last sent in (see `#recover`). */
  round: number;
}

/** JetStream's guard on order: the message is refused unless the stream's last message has this id. */
const EXPECTED_LAST_MSG_ID_HEADER = 'Nats-Expected-Last-Msg-Id';

/** A failure worth sending the message again for: no acknowledgement in time, no stream answering. */
class Unacknowledged extends Error {}

/**
 * Asynchronous JetStream publishes with at most `size` unacknowledged: each message is a
 * plain publish whose reply subject is one of this window's inbox, so acknowledgements
 * arrive on one subscription and no publish waits for a round trip (the `@nats-io`
 * client's `js.publish` is a request per message, with its own timer and reply mapping:
 * about 7,000 messages a second here, the relay's bottleneck).
 *
 * Messages are stored in publish order, whatever is lost: each carries
 * `Nats-Expected-Last-Msg-Id` naming the message published before it, so the broker refuses
 * it unless that one is the last it stored. A message not stored (no acknowledgement within
 * `timeoutMs`: a broker restarting, an acknowledgement lost; refused: "no responders", or
 * any refusal) makes the window send every unacknowledged message again, oldest first, with
 * the same `Nats-Msg-Id` (the broker drops what it already has, before looking at the
 * expected id) — the oldest without an expected id, since the broker's last message is then
 * the one before it or a later one it already has. Without the guard, the messages after a
 * lost one were stored at once and the lost one after them when it was sent again. Rounds
 * of sending again back off from 100 ms to 2 s while nothing gets stored. A permission
 * refused for a subject of this window ends it with the error `fatal` makes.
 */
export class PublishWindow {
  readonly #nc: NatsConnection;
  readonly #size: number;
  /** A publish waiting for room is woken when this few remain unacknowledged. */
  readonly #lowWater: number;
  readonly #timeoutMs: number;
  readonly #fatal: (error: unknown) => unknown;
  readonly #retrying: (error: unknown) => void;
  readonly #inbox = createInbox();
  /** Unacknowledged messages by id; ids grow, so the first key is the oldest. */
  readonly #pending = new Map<number, Pending>();
  /** `acknowledged()` calls not yet answered, in id order. */
  readonly #barriers: Barrier[] = [];
  readonly #subscription: Subscription;
  readonly #sweeper: ReturnType<typeof setInterval>;
  /** Publishes waiting for room (a relay's range and its checkpoint may both wait). */
  #room: (() => void)[] = [];
  #next = 0;
  #failure: unknown;
  #stopped = false;
  /** The id of the last message published: the one the next is sent after. */
  #tail: string | undefined;
  /** The current round of sending (see `#recover`); failures of earlier rounds are stale. */
  #round = 0;
  /** The next round of sending again, once scheduled. */
  #recovery: ReturnType<typeof setTimeout> | undefined;
  /** Rounds in a row without a message of the round stored: the backoff's exponent. */
  #fruitlessRounds = 0;
  #published = 0;
  #duplicates = 0;
  #lastSequence = 0;

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
    this.#lowWater = Math.floor(options.size / 2);
    this.#timeoutMs = options.timeoutMs;
    this.#fatal = options.fatal;
    this.#retrying = options.retrying;
    this.#subscription = this.#nc.subscribe(`${this.#inbox}.*`, {
      callback: (error, msg) => (error === null ? this.#acknowledged(msg) : this.#fail(error)),
    });
    this.#sweeper = setInterval(() => this.#resendOverdue(), Math.max(50, Math.floor(this.#timeoutMs / 4)));
    void this.#watchPermissions();
  }

  /**
   * Sends `message` at once when the window has room, and then returns `undefined`: no
   * await, so a loop of publishes stays in one task and the client writes them to the
   * socket together (it flushes in a microtask: an await per message made it one socket
   * write per message). Otherwise returns a promise that sends it once the window has
   * drained to half its size, so that waking up sends a batch, not one message.
   *
   * @example
   * ```ts
   * for (const message of messages) {
   *   const full = window.publish(message);
   *   if (full !== undefined) await full;
   * }
   * ```
   */
  publish(message: OutgoingMessage): Promise<void> | undefined {
    this.#throwIfFailed();
    if (this.#pending.size < this.#size) {
      this.#enqueue(message);
      return undefined;
    }
    return this.#publishWhenDrained(message);
  }

  async #publishWhenDrained(message: OutgoingMessage): Promise<void> {
    while (this.#pending.size > this.#lowWater) {
      await new Promise<void>((resolve) => this.#room.push(resolve));
      this.#throwIfFailed();
    }
    this.#enqueue(message);
  }

  #enqueue(message: OutgoingMessage): void {
    const id = this.#next++;
    this.#pending.set(id, { message, sentAt: 0, attempt: 0, round: this.#round });
    this.#send(id, this.#tail);
    this.#tail = message.id;
  }

  /**
   * Resolves once every message published so far is acknowledged, with what their
   * acknowledgements said; messages published after the call are sent meanwhile and not
   * waited for, so a checkpoint never drains the window. Fails with the first fatal failure.
   *
   * @example
   * ```ts
   * window.publish(message);
   * const tally = window.acknowledged(); // then more publishes, not held back
   * const { published, lastSequence } = await tally;
   * ```
   */
  acknowledged(): Promise<PublishTally> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<PublishTally>((resolve, reject) => {
      this.#barriers.push({
        id: this.#next,
        published: this.#published,
        duplicates: this.#duplicates,
        lastSequence: this.#lastSequence,
        reordered: false,
        resolve,
        reject,
      });
      this.#releaseBarriers();
    });
  }

  /** Stops resending and listening (unsubscribing the relay). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#sweeper);
    clearTimeout(this.#recovery);
    this.#subscription.unsubscribe();
    this.#wake();
  }

  /** Sends pending message `id`, to be stored only right after the message with id `after`, if given. */
  #send(id: number, after: string | undefined): void {
    const pending = this.#pending.get(id);
    if (pending === undefined || this.#stopped) return;
    const { message } = pending;
    const headers = natsHeaders();
    if (message.headers !== undefined)
      for (const [key, values] of message.headers) for (const v of values) headers.append(key, v);
    headers.set(MSG_ID_HEADER, message.id);
    if (after !== undefined) headers.set(EXPECTED_LAST_MSG_ID_HEADER, after);
    pending.sentAt = Date.now();
    pending.attempt += 1;
    pending.round = this.#round;
    try {
      this.#nc.publish(message.subject, message.data, { reply: `${this.#inbox}.${id}`, headers });
    } catch (error: unknown) {
      this.#notStored(id, error);
    }
  }

  #acknowledged(msg: Msg): void {
    const id = Number(msg.subject.slice(this.#inbox.length + 1));
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    if (msg.data.length === 0) {
      // A status without a body: 503 "no responders" (no stream, or JetStream restarting).
      this.#notStored(id, new Unacknowledged(`no JetStream answered for ${pending.message.subject}`));
      return;
    }
    let ack: { seq?: unknown; duplicate?: unknown; error?: { description?: unknown } };
    try {
      ack = msg.json();
    } catch {
      this.#notStored(id, new Unacknowledged('an acknowledgement that is not JSON'));
      return;
    }
    if (ack.error !== undefined || typeof ack.seq !== 'number') {
      this.#notStored(id, new Unacknowledged(`JetStream refused the message: ${String(ack.error?.description)}`));
      return;
    }
    this.#pending.delete(id);
    if (pending.round === this.#round) this.#fruitlessRounds = 0;
    const counted = pending.message.control !== true;
    const duplicate = ack.duplicate === true;
    if (counted) {
      if (duplicate) this.#duplicates += 1;
      else this.#published += 1;
    }
    this.#lastSequence = Math.max(this.#lastSequence, ack.seq);
    for (const barrier of this.#barriers) {
      if (barrier.id <= id) continue;
      if (counted) {
        if (duplicate) barrier.duplicates += 1;
        else barrier.published += 1;
      }
      barrier.lastSequence = Math.max(barrier.lastSequence, ack.seq);
      if (pending.attempt > 1) barrier.reordered = true;
    }
    this.#releaseBarriers();
    if (this.#pending.size <= this.#lowWater) this.#wake();
  }

  /** Resolves the barriers every message before which is acknowledged (they are in id order). */
  #releaseBarriers(): void {
    const oldestPending = this.#pending.keys().next();
    const firstUnacknowledged = oldestPending.done === true ? this.#next : oldestPending.value;
    while (this.#barriers.length > 0 && (this.#barriers[0] as Barrier).id <= firstUnacknowledged) {
      const { resolve, published, duplicates, lastSequence, reordered } = this.#barriers.shift() as Barrier;
      resolve({ published, duplicates, lastSequence, reordered });
    }
  }

  /**
   * Message `id` was not stored. A failure of an earlier round is stale (the message was sent
   * again since); otherwise a round of sending again is scheduled, after the backoff.
   */
  #notStored(id: number, error: unknown): void {
    const pending = this.#pending.get(id);
    if (pending === undefined || pending.round !== this.#round) return;
    const fatal = this.#fatal(error);
    if (fatal !== undefined) {
      this.#fail(fatal);
      return;
    }
    this.#retrying(error);
    this.#scheduleRecovery(this.#backoff());
  }

  #scheduleRecovery(delay: number): void {
    if (this.#recovery !== undefined || this.#stopped) return;
    this.#recovery = setTimeout(() => this.#recover(), delay);
  }

  #backoff(): number {
    return this.#fruitlessRounds === 0 ? 0 : Math.min(100 * 2 ** Math.min(this.#fruitlessRounds - 1, 5), 2_000);
  }

  /** The sweeper: a round of sending again when the oldest message is overdue. */
  #resendOverdue(): void {
    const oldest = this.#pending.values().next();
    if (oldest.done === true || oldest.value.sentAt > Date.now() - this.#timeoutMs) return;
    this.#retrying(new Unacknowledged('no acknowledgement in time'));
    this.#scheduleRecovery(0);
  }

  /**
   * A round of sending again: every unacknowledged message, oldest first, each after the one
   * before it; the oldest after none (the broker's last message is the one published before
   * it, or a later one already stored, which the broker will find it has).
   */
  #recover(): void {
    this.#recovery = undefined;
    this.#round += 1;
    this.#fruitlessRounds += 1;
    let after: string | undefined;
    for (const [id, pending] of this.#pending) {
      this.#send(id, after);
      after = pending.message.id;
    }
  }

  async #watchPermissions(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (this.#stopped) return;
      if (status.type !== 'error' || !(status.error instanceof PermissionViolationError)) continue;
      // A refused publish is never acknowledged: its message is still pending. (Remembering
      // every subject sent instead grew without end: each new task is a subject of its own.)
      const { subject } = status.error;
      if (status.error.operation === 'publish' && this.#pendingOn(subject)) this.#fail(status.error);
    }
  }

  /** Whether a message on `subject` waits for its acknowledgement. */
  #pendingOn(subject: string): boolean {
    for (const { message } of this.#pending.values()) if (message.subject === subject) return true;
    return false;
  }

  #fail(error: unknown): void {
    this.#failure ??= this.#fatal(error) ?? error;
    for (const barrier of this.#barriers.splice(0)) barrier.reject(this.#failure);
    this.#wake();
  }

  #wake(): void {
    for (const room of this.#room.splice(0)) room();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
