import type { RpcLog } from '../codecs/RpcLog.js';
import type { LogBatch } from '../source/LogBatch.js';
import type { NexusDiagnostic } from '../source/NexusDiagnostic.js';
import { shapeProblem } from './decodeNexusLog.js';
import { DESCRIPTORS_BY_TOPIC } from './nexusEventDescriptors.js';

/** A live batch with its logs grouped by topic0, computed once for all streams of a client. */
export interface IndexedLogBatch extends LogBatch {
  readonly byTopic: ReadonlyMap<string, readonly RpcLog[]>;
  /**
   * The logs of `topic0` whose scope word (data word `word`) holds `hex40`. The first
   * stream to ask filters the topic's logs on the raw word; from the second on, an index
   * of the topic by scope is built and shared by every stream of the client, so that a
   * thousand streams of one event cost two passes over its logs per batch, not a
   * thousand, and a lone stream builds no index at all.
   */
  inScope(topic0: string, word: number, hex40: string): readonly RpcLog[];
}

const NONE: readonly RpcLog[] = Object.freeze([]);

/**
 * Groups a batch's logs by topic0 for the streams, once per batch. Logs of other Nexus
 * events are left out; logs of the six events with the wrong shape (topic count, data
 * length) are reported once here and left out, so that no stream has to look at them.
 */
export function routeLogBatch<B extends LogBatch>(
  batch: B,
  report: (diagnostic: NexusDiagnostic) => void,
): B & IndexedLogBatch {
  const byTopic = new Map<string, RpcLog[]>();
  for (const log of batch.logs) {
    const topic0 = log.topics[0];
    const descriptor = topic0 === undefined ? undefined : DESCRIPTORS_BY_TOPIC.get(topic0);
    if (topic0 === undefined || descriptor === undefined) continue;
    const problem = shapeProblem(descriptor, log);
    if (problem !== undefined) {
      report({ kind: 'undecodable-log', event: descriptor.name, reason: [problem], log });
      continue;
    }
    const group = byTopic.get(topic0);
    if (group === undefined) byTopic.set(topic0, [log]);
    else group.push(log);
  }
  const indexes = new Map<string, Map<string, RpcLog[]> | 'asked once'>();
  const inScope = (topic0: string, word: number, hex40: string): readonly RpcLog[] => {
    const logs = byTopic.get(topic0);
    if (logs === undefined) return NONE;
    const key = `${topic0}:${word}`;
    const start = 2 + 64 * word + 24;
    let index = indexes.get(key);
    if (index === undefined) {
      indexes.set(key, 'asked once');
      const found = logs.filter((log) => log.data.startsWith(hex40, start));
      return found.length === 0 ? NONE : found;
    }
    if (index === 'asked once') {
      index = new Map();
      for (const log of logs) {
        const scope = log.data.slice(start, start + 40);
        const group = index.get(scope);
        if (group === undefined) index.set(scope, [log]);
        else group.push(log);
      }
      indexes.set(key, index);
    }
    return index.get(hex40) ?? NONE;
  };
  return { ...batch, byTopic, inScope };
}
