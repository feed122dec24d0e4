import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import type { NexusEvent } from '../events/NexusEvent.js';
import { decodeEventMessage } from './eventMessageCodec.js';
import { SCOPE_FIELDS, parseEventSubject } from './eventMessage.js';
import type { RelayCheckpoint } from './relayCheckpoint.js';
import { REMOVED_HEADER } from './subjects.js';

/** Where a relay starts, and what it had published beyond its checkpoint. */
export interface ResumePoint {
  /** First block to read; `undefined`: new blocks only. */
  readonly fromBlock: number | undefined;
  /**
   * Events and removals stored above the checkpoint, in stream order: the relay treats
   * them as delivered, so it publishes none of them again (whatever the duplicate window)
   * and retracts those a reorg replaced meanwhile.
   */
  readonly delivered: readonly NexusEvent[];
  /** Whether the checkpoint's block was replaced while the relay was away. */
  readonly checkpointReplaced: boolean;
}

export interface ResumeParams {
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly chainId: bigint;
  /** The stream's last sequence now. */
  readonly lastSequence: number;
  readonly checkpoint: RelayCheckpoint | undefined;
  /** The `fromBlock` option: where to start without a checkpoint. */
  readonly fromBlock: number | undefined;
  /** The chain's hash of block `n` now, `undefined` without such a block. */
  readonly hashAt: (n: number) => Promise<string | undefined>;
}

/**
 * Finds where a relay resumes, from the stream alone:
 * - with a checkpoint whose block is still on the chain: the block after it, with the
 *   messages stored above its `lastSequence` (the blocks that were in flight);
 * - with a checkpoint whose block a reorg replaced while the relay was away: back through
 *   the stored messages to the newest event whose block is still on the chain; the relay
 *   resumes above it, and what it published above is treated as delivered (so what the
 *   reorg took back is retracted);
 * - without a checkpoint: the lowest block of whatever was stored (a relay that died
 *   before its first checkpoint), else the `fromBlock` option.
 */
export async function findResumePoint(p: ResumeParams): Promise<ResumePoint> {
  const read = (from: number, to: number): Promise<readonly Stored[]> =>
    readEvents(p.jsm, p.stream, p.chainId, from, to);
  if (p.checkpoint === undefined) {
    const stored = await read(1, p.lastSequence);
    const lowest = stored.reduce((low, s) => Math.min(low, s.event.blockNumber), Number.POSITIVE_INFINITY);
    return {
      fromBlock: stored.length > 0 ? lowest : p.fromBlock,
      delivered: stored.map((s) => s.event),
      checkpointReplaced: false,
    };
  }
  const cp = p.checkpoint;
  const above = await read(cp.lastSequence + 1, p.lastSequence);
  if (cp.hash === null || (await p.hashAt(cp.block)) === cp.hash) {
    return { fromBlock: cp.block + 1, delivered: above.map((s) => s.event), checkpointReplaced: false };
  }
  // Walk back from the checkpoint to the newest event whose block is still canonical.
  const hashes = new Map<number, string | undefined>();
  const canonical = async (event: NexusEvent): Promise<boolean> => {
    if (!hashes.has(event.blockNumber)) hashes.set(event.blockNumber, await p.hashAt(event.blockNumber));
    return hashes.get(event.blockNumber) === event.blockHash;
  };
  const walked: Stored[] = [];
  const CHUNK = 64;
  for (let to = cp.lastSequence; to >= 1; to -= CHUNK) {
    const chunk = await read(Math.max(1, to - CHUNK + 1), to);
    for (let i = chunk.length - 1; i >= 0; i--) {
      const stored = chunk[i];
      if (stored === undefined) continue;
      if (!stored.event.removed && (await canonical(stored.event))) {
        return {
          fromBlock: stored.event.blockNumber + 1,
          delivered: [...walked.reverse(), ...above].map((s) => s.event),
          checkpointReplaced: true,
        };
      }
      walked.push(stored);
    }
  }
  // Nothing stored is still canonical: start over from the lowest block stored.
  const all = [...walked.reverse(), ...above];
  const lowest = all.reduce((low, s) => Math.min(low, s.event.blockNumber), cp.block + 1);
  return { fromBlock: Math.max(0, lowest), delivered: all.map((s) => s.event), checkpointReplaced: true };
}

interface Stored {
  readonly sequence: number;
  readonly event: NexusEvent;
}

/** The valid event messages with sequences in `[from, to]`, in order (others are skipped). */
async function readEvents(
  jsm: JetStreamManager,
  stream: string,
  chainId: bigint,
  from: number,
  to: number,
): Promise<readonly Stored[]> {
  const out: Stored[] = [];
  const PARALLEL = 64;
  for (let start = from; start <= to; start += PARALLEL) {
    const sequences = Array.from({ length: Math.min(PARALLEL, to - start + 1) }, (_, i) => start + i);
    const messages = await Promise.all(
      sequences.map((seq) => jsm.streams.getMessage(stream, { seq }).catch((): StoredMsg | null => null)),
    );
    for (const message of messages) {
      if (message === null) continue;
      const event = decodeStored(message, chainId);
      if (event !== undefined) out.push({ sequence: message.seq, event });
    }
  }
  return out;
}

function decodeStored(message: StoredMsg, chainId: bigint): NexusEvent | undefined {
  const subject = parseEventSubject(message.subject);
  if (subject === undefined || subject.chainId !== chainId) return undefined;
  const decoded = decodeEventMessage(
    {
      eventName: subject.eventName,
      scopeField: SCOPE_FIELDS.get(subject.eventName) ?? '',
      scope: subject.scope,
      removedHeader: message.header.get(REMOVED_HEADER) === 'true',
    },
    message.string(),
  );
  return decoded.ok ? decoded.event : undefined;
}
