import { TaskStatus, TaskStatusChangedEvent, AttemptedEvent } from 'ogpu-events';
import { reachesUntilStatus } from '../../../src/cli/untilStatus';
import { removalOf } from '../../../src/events/removalOf';

const TASK = '0xAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa';
const at = { blockNumber: 7, blockHash: `0x${'b1'.repeat(32)}`, transactionHash: `0x${'c2'.repeat(32)}`, logIndex: 0 };
const FINALIZED = { name: 'FINALIZED', value: TaskStatus.FINALIZED };
const finalized = new TaskStatusChangedEvent({ task: TASK, status: TaskStatus.FINALIZED, ...at });

describe('reachesUntilStatus (when --until-status stops the command)', () => {
  it('holds for an event with the awaited status', () => {
    expect(reachesUntilStatus(finalized, FINALIZED)).toBe(true);
  });

  it('never holds for a removal, even of an event with that status', () => {
    expect(reachesUntilStatus(removalOf(finalized), FINALIZED)).toBe(false);
  });

  it('does not hold for another status, an event without a status, or without --until-status', () => {
    expect(
      reachesUntilStatus(new TaskStatusChangedEvent({ task: TASK, status: TaskStatus.NEW, ...at }), FINALIZED),
    ).toBe(false);
    expect(
      reachesUntilStatus(new AttemptedEvent({ task: TASK, provider: TASK, suggestedPayment: 5n, ...at }), FINALIZED),
    ).toBe(false);
    expect(reachesUntilStatus(finalized, undefined)).toBe(false);
  });
});
