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
  const problem = shapeProblem(descriptor, log);
  if (problem !== undefined) return { ok: false, reason: [problem] };
  return decodeShapedLog(descriptor, log);
}

/**
 * {@link decodeNexusLog} for a log whose shape (topic count, data length) was already
 * checked, as the client does once per batch: the per-event hot path. The words are read
 * straight into the event; only a log with a non-canonical word goes through the io-ts
 * codec, which names the bad field.
 */
export function decodeShapedLog<E extends NexusEvent>(
  descriptor: NexusEventDescriptor<E>,
  log: RpcLog,
): DecodeResult<E> {
  const event = descriptor.decode(log.data, log);
  if (event !== undefined) return { ok: true, event };
  return { ok: false, reason: whyNotDecoded(descriptor, log) };
}

/**
 * Why the word reader refused `log`, in the io-ts codec's words (it names the bad field).
 * The codec applies the same rules as the reader; should it accept what the reader
 * refused, the log is still refused.
 */
function whyNotDecoded(descriptor: NexusEventDescriptor<NexusEvent>, log: RpcLog): readonly string[] {
  const payload = descriptor.data.validate(log.data, descriptor.context);
  return payload._tag === 'Left' ? reportErrors(payload.left) : ['a data word is not canonical'];
}

/**
 * The per-log decoder of a stream, for logs whose shape was already checked: the event,
 * or `undefined` after telling `onUndecodable` why the log does not decode. The same as
 * {@link decodeShapedLog} without a result object per log.
 *
 * @example
 * const decode = shapedLogDecoder(descriptor, (log, reason) => report({ kind: 'undecodable-log', ... }));
 * const event = decode(log);
 */
export function shapedLogDecoder<E extends NexusEvent>(
  descriptor: NexusEventDescriptor<E>,
  onUndecodable: (log: RpcLog, reason: readonly string[]) => void,
): (log: RpcLog) => E | undefined {
  return (log) => {
    const event = descriptor.decode(log.data, log);
    if (event !== undefined) return event;
    onUndecodable(log, whyNotDecoded(descriptor, log));
    return undefined;
  };
}

/**
 * Why a log of the descriptor's topic cannot be its event, judged by shape alone (no
 * decoding): Nexus events index nothing, so a log has exactly one topic, and every
 * parameter is static, so the data is exactly one 32-byte word per parameter.
 */
export function shapeProblem(descriptor: NexusEventDescriptor<NexusEvent>, log: RpcLog): string | undefined {
  if (log.topics.length !== 1) {
    return `${descriptor.name} has no indexed parameter, but the log has ${log.topics.length} topics`;
  }
  const bytes = (log.data.length - 2) / 2;
  if (bytes !== 32 * descriptor.words) {
    return `${descriptor.name} data must be ${descriptor.words} words (${32 * descriptor.words} bytes), got ${bytes} bytes`;
  }
  return undefined;
}

/** Whether the log's scope word holds `hex40`: compared on the raw data, before decoding. */
export function isInScope(log: RpcLog, word: number, hex40: string): boolean {
  return log.data.startsWith(hex40, 2 + 64 * word + 24);
}
