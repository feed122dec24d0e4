import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** A message as stored in a JetStream stream. */
export interface StoredMessage {
  readonly sequence: number;
  readonly subject: string;
  /** `Nats-Msg-Id`, when it has one. */
  readonly id: string | undefined;
  /** Whether it carries `Ogpu-Removed: true`. */
  readonly removed: boolean;
  readonly json: Record<string, unknown>;
}

/** Every message stored in `stream` now, in stream order (read with a connection of its own). */
export async function readStream(
  url: string,
  stream: string,
  auth: { readonly user: string; readonly pass: string } | undefined = undefined,
): Promise<StoredMessage[]> {
  const nc = await connect({ servers: url, ...auth });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out: StoredMessage[] = [];
    const sequences: number[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) sequences.push(seq);
    for (let i = 0; i < sequences.length; i += 128) {
      const chunk = await Promise.all(
        sequences.slice(i, i + 128).map((seq) => jsm.streams.getMessage(stream, { seq }).catch(() => null)),
      );
      for (const message of chunk) {
        if (message === null) continue;
        out.push({
          sequence: message.seq,
          subject: message.subject,
          id: message.header.get('Nats-Msg-Id') || undefined,
          removed: message.header.get('Ogpu-Removed') === 'true',
          json: message.json<Record<string, unknown>>(),
        });
      }
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** The event messages of `messages` (the relay's checkpoints left out). */
export const eventMessages = (messages: readonly StoredMessage[]): StoredMessage[] =>
  messages.filter((m) => !m.subject.endsWith('._checkpoint'));
