import type { RpcLog } from '../codecs/RpcLog.js';
import type { LogBatch } from '../source/LogBatch.js';
import type { NexusDiagnostic } from '../source/NexusDiagnostic.js';
import { shapeProblem } from './decodeNexusLog.js';
import { DESCRIPTORS_BY_TOPIC } from './nexusEventDescriptors.js';

/** A live batch with its logs grouped by topic0, computed once for all streams of a client. */
export interface IndexedLogBatch extends LogBatch {
  readonly byTopic: ReadonlyMap<string, readonly RpcLog[]>;
}

/**
 * Groups a batch's logs by topic0 for the streams, once per batch. Logs of other Nexus
 * events are left out; logs of the six events with the wrong shape (topic count, data
 * length) are reported once here and left out, so that no stream has to look at them.
 */
export function routeLogBatch(batch: LogBatch, report: (diagnostic: NexusDiagnostic) => void): IndexedLogBatch {
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
  return { ...batch, byTopic };
}
