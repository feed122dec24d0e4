import {
  Environment,
  type LogPosition,
  RegisteredEvent,
  ResponseStatus,
  ResponseStatusChangedEvent,
  TaskStatus,
  TaskStatusChangedEvent,
} from 'ogpu-events';
import { formatEvent } from '../../../src/cli/formatEvent';
import { removalOf } from '../../../src/events/removalOf';

const TASK = '0xAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa';
const SOURCE = '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB';
const at: LogPosition = {
  blockNumber: 105,
  blockHash: `0x${'b1'.repeat(32)}`,
  transactionHash: `0x${'c2'.repeat(32)}`,
  logIndex: 3,
};
const TX = `tx=${at.transactionHash}:3`;

const status = new TaskStatusChangedEvent({ task: TASK, status: TaskStatus.ATTEMPTED, ...at });

describe('formatEvent, human lines', () => {
  it('names the event, its block, its own fields (statuses by name) and tx:logIndex, and not removed=false', () => {
    expect(formatEvent(status, false)).toBe(`TaskStatusChanged block 105 task=${TASK} status=ATTEMPTED ${TX}`);
    expect(
      formatEvent(new ResponseStatusChangedEvent({ response: TASK, status: ResponseStatus.CONFIRMED, ...at }), false),
    ).toBe(`ResponseStatusChanged block 105 response=${TASK} status=CONFIRMED ${TX}`);
  });

  it('shows environments by name and bigints in decimal', () => {
    const registered = new RegisteredEvent({
      provider: TASK,
      registrantId: 2n ** 70n,
      source: SOURCE,
      preferredEnvironment: Environment.CPU | Environment.AMD,
      ...at,
    });
    expect(formatEvent(registered, false)).toBe(
      `Registered block 105 provider=${TASK} registrantId=${2n ** 70n} source=${SOURCE} preferredEnvironment=CPU|AMD ${TX}`,
    );
  });

  it('prefixes a removal with REMOVED, and is otherwise the line of the event it retracts', () => {
    expect(formatEvent(removalOf(status), false)).toBe(`REMOVED ${formatEvent(status, false)}`);
  });
});

describe('formatEvent, --json', () => {
  it("is the event's toJSON() on one line: removed false on an event, true on its removal", () => {
    const line = formatEvent(status, true);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      eventName: 'TaskStatusChanged',
      ...at,
      removed: false,
      task: TASK,
      status: TaskStatus.ATTEMPTED,
    });
    expect(JSON.parse(formatEvent(removalOf(status), true))).toEqual({ ...JSON.parse(line), removed: true });
  });
});
