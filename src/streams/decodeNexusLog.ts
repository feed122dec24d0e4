import type { RpcLog } from '../codecs/RpcLog.js';
import { reportErrors } from '../codecs/reportErrors.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import type { NexusEventDescriptor } from './nexusEventDescriptors.js';

/** Either the decoded event, or why the log does not decode. */
export type DecodeResult<E> =
  { readonly ok: true; readonly event: E } | { readonly ok: false; readonly reason: readonly string[] };

/**
 * Decodes and validates one log of the descriptor's topic into its event class.
 * Nexus events index nothing, so a valid log has exactly one topic.
 */
export function decodeNexusLog<E extends NexusEvent>(
  descriptor: NexusEventDescriptor<E>,
  log: RpcLog,
): DecodeResult<E> {
  if (log.topics.length !== 1) {
    return {
      ok: false,
      reason: [`${descriptor.name} has no indexed parameter, but the log has ${log.topics.length} topics`],
    };
  }
  const payload = descriptor.data.decode(log.data);
  if (payload._tag === 'Left') return { ok: false, reason: reportErrors(payload.left) };
  return {
    ok: true,
    event: descriptor.create(payload.right, {
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      transactionHash: log.transactionHash,
      logIndex: log.logIndex,
    }),
  };
}

/** Whether the log's scope word holds `hex40`: compared on the raw data, before decoding. */
export function isInScope(log: RpcLog, word: number, hex40: string): boolean {
  return log.data.startsWith(hex40, 2 + 64 * word + 24);
}
