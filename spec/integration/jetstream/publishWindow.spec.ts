/**
 * The relay's publishing window against a real nats-server: asynchronous publishes with
 * a bounded number unacknowledged, and `acknowledged()` barriers that answer for the
 * messages before them without holding back the messages after them.
 */
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { type OutgoingMessage, PublishWindow } from '../../../src/jetstream/publishWindow';
import { type NatsServer, describeWithNats, startNatsServer } from '../../support/natsServer';

const SUBJECTS = 'window.>';

function message(n: number, control?: true): OutgoingMessage {
  const base = { subject: `window.${n % 3}`, data: JSON.stringify({ n }), id: `m:${n}`, headers: undefined };
  return control === undefined ? base : { ...base, control };
}

describeWithNats('PublishWindow (the relay publishing into JetStream)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let window: PublishWindow | undefined;

  const openWindow = (size: number): PublishWindow =>
    (window = new PublishWindow({
      nc,
      size,
      timeoutMs: 5_000,
      fatal: () => undefined,
      retrying: () => undefined,
    }));

  /** The payload numbers stored in `stream`, in stream order. */
  const storedNumbers = async (stream: string): Promise<number[]> => {
    const info = await jsm.streams.info(stream);
    const numbers: number[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const stored = await jsm.streams.getMessage(stream, { seq });
      if (stored !== null) numbers.push((stored.json() as { n: number }).n);
    }
    return numbers;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  });
  beforeEach(async () => {
    await jsm.streams.delete('WINDOW').catch(() => false);
    await jsm.streams.add({ name: 'WINDOW', subjects: [SUBJECTS], duplicate_window: 60_000_000_000 });
  });
  afterEach(() => window?.stop());
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('sends without waiting while the window has room, and waits once it is full', async () => {
    const w = openWindow(4);
    const immediate = [0, 1, 2, 3].map((n) => w.publish(message(n)));
    expect(immediate).toEqual([undefined, undefined, undefined, undefined]);
    const fifth = w.publish(message(4));
    expect(fifth).toBeInstanceOf(Promise);
    await fifth;
    const tally = await w.acknowledged();
    expect(tally).toEqual({ published: 5, duplicates: 0, lastSequence: 5, reordered: false });
    expect(await storedNumbers('WINDOW')).toEqual([0, 1, 2, 3, 4]);
  });

  it('stores thousands of messages in publish order through a small window', async () => {
    const w = openWindow(64);
    for (let n = 0; n < 3_000; n++) {
      const full = w.publish(message(n));
      if (full !== undefined) await full;
    }
    const tally = await w.acknowledged();
    expect(tally.published).toBe(3_000);
    expect(tally.lastSequence).toBe(3_000);
    const stored = await storedNumbers('WINDOW');
    expect(stored).toEqual(Array.from({ length: 3_000 }, (_, n) => n));
  });

  it('answers a barrier for the messages before it, counting neither later messages nor control messages', async () => {
    const w = openWindow(1_024);
    for (let n = 0; n < 10; n++) w.publish(message(n));
    const first = w.acknowledged();
    w.publish(message(100, true)); // a checkpoint: stored, not counted
    for (let n = 10; n < 15; n++) w.publish(message(n));
    const second = w.acknowledged();
    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual({ published: 10, duplicates: 0, lastSequence: 10, reordered: false });
    // The tally is cumulative: the second barrier covers all 15 events (and the control message's sequence).
    expect(b).toEqual({ published: 15, duplicates: 0, lastSequence: 16, reordered: false });
  });

  it('counts the messages the broker already had as duplicates, with the sequence they were stored at', async () => {
    const w = openWindow(16);
    for (let n = 0; n < 5; n++) w.publish(message(n));
    await w.acknowledged();
    for (let n = 3; n < 8; n++) w.publish(message(n)); // 3 and 4 again (same ids)
    const tally = await w.acknowledged();
    expect(tally).toEqual({ published: 8, duplicates: 2, lastSequence: 8, reordered: false });
    expect(await storedNumbers('WINDOW')).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('answers a barrier with nothing before it at once', async () => {
    const w = openWindow(8);
    await expect(w.acknowledged()).resolves.toEqual({ published: 0, duplicates: 0, lastSequence: 0, reordered: false });
  });

  it('resends what no stream answered, once the stream exists, and says the order may have changed', async () => {
    await jsm.streams.delete('WINDOW');
    const w = new PublishWindow({ nc, size: 8, timeoutMs: 400, fatal: () => undefined, retrying: () => undefined });
    window = w;
    w.publish(message(0));
    const tally = w.acknowledged();
    // "No responders" until the stream is back: the window sends the message again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await jsm.streams.add({ name: 'WINDOW', subjects: [SUBJECTS] });
    await expect(tally).resolves.toEqual({ published: 1, duplicates: 0, lastSequence: 1, reordered: true });
    expect(await storedNumbers('WINDOW')).toEqual([0]);
  });

  it('never lets a message be stored after one published later: a refused message holds back the rest until it is stored', async () => {
    // The stream refuses messages above 64 bytes until the test raises its limit: message 1
    // is refused for a while (as a message lost by a restarting broker is never stored),
    // while the messages after it could be stored at once.
    await jsm.streams.delete('WINDOW');
    await jsm.streams.add({ name: 'WINDOW', subjects: [SUBJECTS], duplicate_window: 60_000_000_000, max_msg_size: 64 });
    const w = new PublishWindow({ nc, size: 16, timeoutMs: 2_000, fatal: () => undefined, retrying: () => undefined });
    window = w;
    const big = (n: number): OutgoingMessage => ({ ...message(n), data: JSON.stringify({ n, pad: 'x'.repeat(100) }) });
    w.publish(message(0));
    w.publish(big(1));
    for (let n = 2; n < 10; n++) w.publish(message(n));
    const tally = w.acknowledged();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await storedNumbers('WINDOW')).toEqual([0]);

    await jsm.streams.update('WINDOW', { max_msg_size: -1 });
    await expect(tally).resolves.toMatchObject({ published: 10, duplicates: 0, lastSequence: 10 });
    expect(await storedNumbers('WINDOW')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('fails publishes and pending barriers with the error `fatal` makes of a refused message', async () => {
    const refused = new Error('refused');
    const w = new PublishWindow({
      nc,
      size: 8,
      timeoutMs: 5_000,
      // Any failure is fatal here: "no responders" for a subject no stream holds.
      fatal: () => refused,
      retrying: () => undefined,
    });
    window = w;
    w.publish({ ...message(0), subject: 'nowhere.0' });
    await expect(w.acknowledged()).rejects.toBe(refused);
    expect(() => w.publish(message(1))).toThrow(refused);
    await expect(w.acknowledged()).rejects.toBe(refused);
  });
});
