import type { NexusDiagnostic } from 'ogpu-events';
import { routeLogBatch } from '../../../src/streams/routeLogBatch';
import * as descriptors from '../../../src/streams/nexusEventDescriptors';
import { rpcLog } from '../helpers/logs';
import { nexusLog } from '../helpers/nexusLogs';

const TASK_A = '0x' + 'a1'.repeat(20);
const TASK_B = '0x' + 'b2'.repeat(20);
const SOURCE = '0x' + 'c3'.repeat(20);
const hex40 = (address: string): string => address.slice(2);

const status = (task: string, value: number, block: number, index: number) =>
  rpcLog(nexusLog('TaskStatusChanged', [task, value], block, index));
const published = (task: string, source: string, block: number, index: number) =>
  rpcLog(nexusLog('TaskPublished', [task, source], block, index));

describe('routeLogBatch', () => {
  const logs = [
    status(TASK_A, 1, 10, 0),
    published(TASK_A, SOURCE, 10, 1),
    status(TASK_B, 1, 11, 0),
    status(TASK_A, 2, 12, 0),
    published(TASK_B, SOURCE, 12, 1),
  ];

  it('groups the logs of the six events by topic0, in chain order', () => {
    const batch = routeLogBatch({ fromBlock: 10, toBlock: 12, logs }, () => undefined);

    expect(batch.byTopic.get(descriptors.taskStatusChanged.topic0)).toEqual([logs[0], logs[2], logs[3]]);
    expect(batch.byTopic.get(descriptors.taskPublished.topic0)).toEqual([logs[1], logs[4]]);
    expect(batch.byTopic.get(descriptors.attempted.topic0)).toBeUndefined();
  });

  describe('inScope(topic0, word, hex40)', () => {
    const batch = routeLogBatch({ fromBlock: 10, toBlock: 12, logs }, () => undefined);
    const { taskStatusChanged, taskPublished } = descriptors;

    it('gives the logs of one topic whose scope word holds the address, in chain order', () => {
      expect(batch.inScope(taskStatusChanged.topic0, taskStatusChanged.scope.word, hex40(TASK_A))).toEqual([
        logs[0],
        logs[3],
      ]);
      expect(batch.inScope(taskStatusChanged.topic0, taskStatusChanged.scope.word, hex40(TASK_B))).toEqual([logs[2]]);
      expect(batch.inScope(taskPublished.topic0, taskPublished.scope.word, hex40(SOURCE))).toEqual([logs[1], logs[4]]);
    });

    it('gives nothing for an address, or a topic, without logs', () => {
      expect(batch.inScope(taskStatusChanged.topic0, taskStatusChanged.scope.word, hex40(SOURCE))).toEqual([]);
      expect(batch.inScope(descriptors.registered.topic0, descriptors.registered.scope.word, hex40(SOURCE))).toEqual(
        [],
      );
    });

    it('answers the first asker (a scan of the topic) and later ones (the index) alike, whichever address comes first', () => {
      const { topic0, scope } = taskStatusChanged;
      for (const first of [TASK_A, TASK_B, SOURCE]) {
        const fresh = routeLogBatch({ fromBlock: 10, toBlock: 12, logs }, () => undefined);
        const scanned = fresh.inScope(topic0, scope.word, hex40(first));
        expect(fresh.inScope(topic0, scope.word, hex40(first))).toEqual(scanned);
        expect(fresh.inScope(topic0, scope.word, hex40(TASK_A))).toEqual([logs[0], logs[3]]);
        expect(fresh.inScope(topic0, scope.word, hex40(TASK_B))).toEqual([logs[2]]);
      }
    });

    it('agrees with a scan of the topic for every address (the index is only a shortcut)', () => {
      for (const address of [TASK_A, TASK_B, SOURCE]) {
        for (const descriptor of [taskStatusChanged, taskPublished]) {
          const start = 2 + 64 * descriptor.scope.word + 24;
          const scanned = (batch.byTopic.get(descriptor.topic0) ?? []).filter((log) =>
            log.data.startsWith(hex40(address), start),
          );
          expect(batch.inScope(descriptor.topic0, descriptor.scope.word, hex40(address))).toEqual(scanned);
        }
      }
    });
  });

  it('reports a misshapen log of a watched event once and leaves it out', () => {
    const reports: NexusDiagnostic[] = [];
    const truncated = { ...status(TASK_A, 1, 13, 0), data: status(TASK_A, 1, 13, 0).data.slice(0, 66) };
    const batch = routeLogBatch({ fromBlock: 13, toBlock: 13, logs: [truncated] }, (d) => reports.push(d));

    expect(batch.byTopic.get(descriptors.taskStatusChanged.topic0)).toBeUndefined();
    expect(reports).toEqual([expect.objectContaining({ kind: 'undecodable-log', event: 'TaskStatusChanged' })]);
  });
});
