import type { JetStreamManager } from '@nats-io/jetstream';
import * as t from 'io-ts';
import { Hash32 } from '../codecs/hex.js';
import { checkpointSubjectOf } from './subjects.js';

/**
 * The relay's cursor, stored as the last message of `ogpu.<chainId>._checkpoint` in the
 * stream itself: every event of blocks up to `block` is stored (acknowledged), and every
 * message of a later block lies above `lastSequence` (the highest sequence among the
 * messages before the checkpoint, or the previous checkpoint's when one of them was sent
 * again and may have landed after later ones). A resuming relay reads back everything
 * above it as published.
 */
export const RelayCheckpoint = t.type({
  block: t.number,
  /** `block`'s hash when the relay knew it. */
  hash: t.union([Hash32, t.null]),
  lastSequence: t.number,
});
export type RelayCheckpoint = t.TypeOf<typeof RelayCheckpoint>;

/** The stream's latest checkpoint, or `undefined` when it has none (or an unreadable one). */
export async function readCheckpoint(
  jsm: JetStreamManager,
  stream: string,
  chainId: bigint,
): Promise<RelayCheckpoint | undefined> {
  const stored = await jsm.streams.getMessage(stream, { last_by_subj: checkpointSubjectOf(chainId) });
  if (stored === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(stored.string());
  } catch {
    return undefined;
  }
  const decoded = RelayCheckpoint.decode(json);
  return decoded._tag === 'Right' ? decoded.right : undefined;
}
