import { getAddress } from 'ethers';
import fc from 'fast-check';
import {
  AttemptedEvent,
  Environment,
  type EnvironmentMask,
  type LogPosition,
  type NexusEvents,
  RegisteredEvent,
  ResponseStatus,
  ResponseStatusChangedEvent,
  ResponseSubmittedEvent,
  type StreamOptions,
  TaskPublishedEvent,
  TaskStatus,
  TaskStatusChangedEvent,
} from 'ogpu-events';
import { EMPTY, Observable, Subject, type Subscriber, from, lastValueFrom, toArray } from 'rxjs';
import {
  type BoardEvent,
  type TaskBoard,
  type TaskRow,
  applyEvent,
  boardEvents$,
  describeChange,
  emptyBoard,
  taskBoard$,
} from '../../../examples/taskBoard';
import { removalOf } from '../../../src/events/removalOf';
import { blockHashOf, hash32, txHashOf } from '../helpers/logs';

// ---- fixtures -------------------------------------------------------------------------

const address = (n: number): string => getAddress(`0x${n.toString(16).padStart(40, '0')}`);

const SOURCE = address(0x5005);
const PROVIDER = address(0xf1);
const OTHER_PROVIDER = address(0xf2);
const TASK = address(0x7a51);
const OTHER_TASK = address(0x7a52);
const UNKNOWN_TASK = address(0x7a5f);
const RESPONSE = address(0x2e51);
const OTHER_RESPONSE = address(0x2e52);
const UNKNOWN_RESPONSE = address(0x2e5f);

/** Log `index` of block `block`, emitted by its own transaction unless `transactionHash` says otherwise. */
function at(block: number, index: number, transactionHash = txHashOf(block, index)): LogPosition {
  return { blockNumber: block, blockHash: blockHashOf(block), transactionHash, logIndex: index };
}

/** Where `event`'s log sits. */
const positionOf = ({ blockNumber, blockHash, transactionHash, logIndex }: BoardEvent): LogPosition => ({
  blockNumber,
  blockHash,
  transactionHash,
  logIndex,
});

const registered = (
  provider: string,
  registrantId: bigint,
  p: LogPosition,
  preferredEnvironment: EnvironmentMask = Environment.CPU,
): RegisteredEvent => new RegisteredEvent({ provider, registrantId, source: SOURCE, preferredEnvironment, ...p });
const published = (task: string, p: LogPosition): TaskPublishedEvent =>
  new TaskPublishedEvent({ task, source: SOURCE, ...p });
const taskStatus = (task: string, status: TaskStatus, p: LogPosition): TaskStatusChangedEvent =>
  new TaskStatusChangedEvent({ task, status, ...p });
const attempted = (task: string, provider: string, suggestedPayment: bigint, p: LogPosition): AttemptedEvent =>
  new AttemptedEvent({ task, provider, suggestedPayment, ...p });
const submitted = (task: string, response: string, p: LogPosition): ResponseSubmittedEvent =>
  new ResponseSubmittedEvent({ task, response, ...p });
const responseStatus = (response: string, status: ResponseStatus, p: LogPosition): ResponseStatusChangedEvent =>
  new ResponseStatusChangedEvent({ response, status, ...p });

/** The board after `events`, applied one by one to `board` (an empty board by default). */
function fold(events: readonly BoardEvent[], board: TaskBoard = emptyBoard(SOURCE)): TaskBoard {
  return events.reduce((b, e) => applyEvent(b, e), board);
}

function rowOf(board: TaskBoard, task: string): TaskRow {
  const row = board.tasks.find((r) => r.task === task);
  if (row === undefined) throw new Error(`no row for task ${task}`);
  return row;
}

/** The same event decoded again from the same log: equal fields, another object (what a replay delivers). */
function redecoded<E extends BoardEvent>(event: E): E {
  const fields = { ...event };
  switch (event.eventName) {
    case 'Registered':
      return new RegisteredEvent(fields as unknown as RegisteredEvent) as E;
    case 'TaskPublished':
      return new TaskPublishedEvent(fields as unknown as TaskPublishedEvent) as E;
    case 'TaskStatusChanged':
      return new TaskStatusChangedEvent(fields as unknown as TaskStatusChangedEvent) as E;
    case 'Attempted':
      return new AttemptedEvent(fields as unknown as AttemptedEvent) as E;
    case 'ResponseSubmitted':
      return new ResponseSubmittedEvent(fields as unknown as ResponseSubmittedEvent) as E;
    case 'ResponseStatusChanged':
      return new ResponseStatusChangedEvent(fields as unknown as ResponseStatusChangedEvent) as E;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * A scripted lifecycle shaped like the contract's (see spec/contracts/MockNexus.sol):
 * TASK is published, attempted, answered twice and has its first response confirmed;
 * OTHER_TASK is published in between and stays NEW.
 */
const LIFECYCLE: readonly BoardEvent[] = [
  registered(PROVIDER, 0n, at(9, 0)),
  published(TASK, at(10, 0)),
  taskStatus(TASK, TaskStatus.NEW, at(10, 1, txHashOf(10, 0))),
  published(OTHER_TASK, at(10, 2)),
  taskStatus(OTHER_TASK, TaskStatus.NEW, at(10, 3, txHashOf(10, 2))),
  attempted(TASK, PROVIDER, 10n ** 18n, at(11, 0)),
  taskStatus(TASK, TaskStatus.ATTEMPTED, at(11, 1, txHashOf(11, 0))),
  submitted(TASK, RESPONSE, at(12, 0)),
  responseStatus(RESPONSE, ResponseStatus.SUBMITTED, at(12, 1, txHashOf(12, 0))),
  taskStatus(TASK, TaskStatus.RESPONDED, at(12, 2, txHashOf(12, 0))),
  submitted(TASK, OTHER_RESPONSE, at(13, 0)),
  responseStatus(OTHER_RESPONSE, ResponseStatus.SUBMITTED, at(13, 1, txHashOf(13, 0))),
  taskStatus(TASK, TaskStatus.RESPONDED, at(13, 2, txHashOf(13, 0))),
  responseStatus(RESPONSE, ResponseStatus.CONFIRMED, at(14, 0)),
  taskStatus(TASK, TaskStatus.FINALIZED, at(14, 1, txHashOf(14, 0))),
];

// ---- the specification ----------------------------------------------------------------

describe('emptyBoard', () => {
  it('is the board of `source` with no provider, no task and no event yet', () => {
    expect(emptyBoard(SOURCE)).toEqual({ source: SOURCE, providers: [], tasks: [], lastEvent: undefined });
  });
});

describe('applyEvent', () => {
  describe('Registered', () => {
    it('appends a provider row with its registrant id, preferred environments and position', () => {
      const event = registered(PROVIDER, 7n, at(5, 2), Environment.NVIDIA | Environment.AMD);
      const board = applyEvent(emptyBoard(SOURCE), event);

      expect(board.providers).toEqual([
        {
          provider: PROVIDER,
          registrantId: 7n,
          preferredEnvironment: Environment.NVIDIA | Environment.AMD,
          at: at(5, 2),
        },
      ]);
      expect(board.tasks).toEqual([]);
      expect(board.source).toBe(SOURCE);
      expect(board.lastEvent).toBe(event);
    });

    it('keeps providers in the order their registrations arrive, one row per Registered log', () => {
      const board = fold([
        registered(OTHER_PROVIDER, 1n, at(6, 0)),
        registered(PROVIDER, 0n, at(5, 0)),
        registered(PROVIDER, 2n, at(7, 0)),
      ]);
      expect(board.providers.map((p) => [p.provider, p.registrantId])).toEqual([
        [OTHER_PROVIDER, 1n],
        [PROVIDER, 0n],
        [PROVIDER, 2n],
      ]);
    });

    it('keeps two registrations logged by one transaction as two rows', () => {
      const tx = txHashOf(5, 0);
      const board = fold([registered(PROVIDER, 0n, at(5, 0, tx)), registered(OTHER_PROVIDER, 1n, at(5, 1, tx))]);
      expect(board.providers.map((p) => p.provider)).toEqual([PROVIDER, OTHER_PROVIDER]);
    });
  });

  describe('TaskPublished', () => {
    it('appends a task row with no status, no attempt and no response yet', () => {
      const event = published(TASK, at(10, 4));
      const board = applyEvent(emptyBoard(SOURCE), event);

      expect(board.tasks).toEqual([
        {
          task: TASK,
          publishedIn: 10,
          publishedAt: at(10, 4),
          status: undefined,
          statusAt: undefined,
          statuses: [],
          attempts: [],
          responses: [],
        },
      ]);
      expect(board.lastEvent).toBe(event);
    });

    it('keeps tasks in the order their publications arrive', () => {
      const board = fold([published(OTHER_TASK, at(11, 0)), published(TASK, at(10, 0))]);
      expect(board.tasks.map((row) => [row.task, row.publishedIn])).toEqual([
        [OTHER_TASK, 11],
        [TASK, 10],
      ]);
    });
  });

  describe('TaskStatusChanged', () => {
    it('sets the status and its position on that task only, and keeps its log among the statuses', () => {
      const before = fold([published(TASK, at(10, 0)), published(OTHER_TASK, at(10, 1))]);
      const event = taskStatus(TASK, TaskStatus.ATTEMPTED, at(11, 3));
      const after = applyEvent(before, event);

      expect(rowOf(after, TASK)).toEqual({
        ...rowOf(before, TASK),
        status: TaskStatus.ATTEMPTED,
        statusAt: at(11, 3),
        statuses: [{ status: TaskStatus.ATTEMPTED, at: at(11, 3) }],
      });
      expect(rowOf(after, OTHER_TASK)).toEqual({ ...rowOf(before, OTHER_TASK), status: undefined });
      expect(after.lastEvent).toBe(event);
    });
  });

  describe('Attempted', () => {
    it("appends an attempt with its provider, suggested payment and position to that task's attempts", () => {
      const before = fold([published(TASK, at(10, 0)), published(OTHER_TASK, at(10, 1))]);
      const first = attempted(TASK, PROVIDER, 123n, at(11, 0));
      const second = attempted(TASK, OTHER_PROVIDER, 2n ** 200n, at(12, 5));
      const after = fold([first, second], before);

      expect(rowOf(after, TASK).attempts).toEqual([
        { provider: PROVIDER, suggestedPayment: 123n, at: at(11, 0) },
        { provider: OTHER_PROVIDER, suggestedPayment: 2n ** 200n, at: at(12, 5) },
      ]);
      expect(rowOf(after, OTHER_TASK).attempts).toEqual([]);
      expect(rowOf(after, TASK).status).toBeUndefined();
      expect(after.lastEvent).toBe(second);
    });

    it('keeps two attempts by the same provider (two logs) as two rows', () => {
      const board = fold([
        published(TASK, at(10, 0)),
        attempted(TASK, PROVIDER, 1n, at(11, 0)),
        attempted(TASK, PROVIDER, 1n, at(12, 0)),
      ]);
      expect(rowOf(board, TASK).attempts).toHaveLength(2);
    });

    it('keeps two attempts logged by one transaction as two rows', () => {
      const tx = txHashOf(11, 0);
      const board = fold([
        published(TASK, at(10, 0)),
        attempted(TASK, PROVIDER, 1n, at(11, 0, tx)),
        attempted(TASK, OTHER_PROVIDER, 2n, at(11, 1, tx)),
      ]);
      expect(rowOf(board, TASK).attempts.map((a) => a.provider)).toEqual([PROVIDER, OTHER_PROVIDER]);
    });
  });

  describe('ResponseSubmitted', () => {
    it("appends the response, with no status yet, to its task's responses", () => {
      const before = fold([published(TASK, at(10, 0)), published(OTHER_TASK, at(10, 1))]);
      const event = submitted(OTHER_TASK, RESPONSE, at(12, 0));
      const after = applyEvent(before, event);

      expect(rowOf(after, OTHER_TASK).responses).toEqual([
        { response: RESPONSE, submittedAt: at(12, 0), status: undefined, statusAt: undefined, statuses: [] },
      ]);
      expect(rowOf(after, TASK).responses).toEqual([]);
      expect(after.lastEvent).toBe(event);
    });
  });

  describe('ResponseStatusChanged', () => {
    it('updates the status of that response, found through whichever task holds it', () => {
      const before = fold([
        published(TASK, at(10, 0)),
        published(OTHER_TASK, at(10, 1)),
        submitted(TASK, OTHER_RESPONSE, at(11, 0)),
        submitted(OTHER_TASK, address(0x2e60), at(12, 0)),
        submitted(OTHER_TASK, RESPONSE, at(12, 1)),
      ]);
      const event = responseStatus(RESPONSE, ResponseStatus.CONFIRMED, at(13, 0));
      const after = applyEvent(before, event);

      expect(rowOf(after, OTHER_TASK).responses).toEqual([
        { response: address(0x2e60), submittedAt: at(12, 0), status: undefined, statusAt: undefined, statuses: [] },
        {
          response: RESPONSE,
          submittedAt: at(12, 1),
          status: ResponseStatus.CONFIRMED,
          statusAt: at(13, 0),
          statuses: [{ status: ResponseStatus.CONFIRMED, at: at(13, 0) }],
        },
      ]);
      expect(rowOf(after, TASK).responses).toEqual([
        { response: OTHER_RESPONSE, submittedAt: at(11, 0), status: undefined, statusAt: undefined, statuses: [] },
      ]);
      expect(rowOf(after, OTHER_TASK).status).toBeUndefined();
      expect(after.lastEvent).toBe(event);
    });
  });

  it('folds a whole lifecycle into the board it describes', () => {
    const board = fold(LIFECYCLE);
    expect(board).toEqual({
      source: SOURCE,
      providers: [{ provider: PROVIDER, registrantId: 0n, preferredEnvironment: Environment.CPU, at: at(9, 0) }],
      tasks: [
        {
          task: TASK,
          publishedIn: 10,
          publishedAt: at(10, 0),
          status: TaskStatus.FINALIZED,
          statusAt: at(14, 1, txHashOf(14, 0)),
          statuses: [
            { status: TaskStatus.NEW, at: at(10, 1, txHashOf(10, 0)) },
            { status: TaskStatus.ATTEMPTED, at: at(11, 1, txHashOf(11, 0)) },
            { status: TaskStatus.RESPONDED, at: at(12, 2, txHashOf(12, 0)) },
            { status: TaskStatus.RESPONDED, at: at(13, 2, txHashOf(13, 0)) },
            { status: TaskStatus.FINALIZED, at: at(14, 1, txHashOf(14, 0)) },
          ],
          attempts: [{ provider: PROVIDER, suggestedPayment: 10n ** 18n, at: at(11, 0) }],
          responses: [
            {
              response: RESPONSE,
              submittedAt: at(12, 0),
              status: ResponseStatus.CONFIRMED,
              statusAt: at(14, 0),
              statuses: [
                { status: ResponseStatus.SUBMITTED, at: at(12, 1, txHashOf(12, 0)) },
                { status: ResponseStatus.CONFIRMED, at: at(14, 0) },
              ],
            },
            {
              response: OTHER_RESPONSE,
              submittedAt: at(13, 0),
              status: ResponseStatus.SUBMITTED,
              statusAt: at(13, 1, txHashOf(13, 0)),
              statuses: [{ status: ResponseStatus.SUBMITTED, at: at(13, 1, txHashOf(13, 0)) }],
            },
          ],
        },
        {
          task: OTHER_TASK,
          publishedIn: 10,
          publishedAt: at(10, 2),
          status: TaskStatus.NEW,
          statusAt: at(10, 3, txHashOf(10, 2)),
          statuses: [{ status: TaskStatus.NEW, at: at(10, 3, txHashOf(10, 2)) }],
          attempts: [],
          responses: [],
        },
      ],
      lastEvent: LIFECYCLE.at(-1),
    });
  });

  it('is pure: it never modifies the board or the event it is given', () => {
    // Every intermediate board is deep-frozen: a write to it would throw (this module is strict).
    let board = deepFreeze(emptyBoard(SOURCE));
    for (const event of LIFECYCLE) board = deepFreeze(applyEvent(board, event));
    expect(board).toEqual(fold(LIFECYCLE));
  });

  // ---- idempotence ------------------------------------------------------------------

  describe('idempotence: the same event twice returns the very same board', () => {
    const publishedTask = (): TaskBoard => fold([published(TASK, at(10, 0))]);
    const cases: readonly [string, () => TaskBoard, BoardEvent][] = [
      ['Registered', () => emptyBoard(SOURCE), registered(PROVIDER, 0n, at(9, 0))],
      ['TaskPublished', () => emptyBoard(SOURCE), published(TASK, at(10, 0))],
      ['TaskStatusChanged', publishedTask, taskStatus(TASK, TaskStatus.NEW, at(10, 1))],
      ['Attempted', publishedTask, attempted(TASK, PROVIDER, 5n, at(11, 0))],
      ['ResponseSubmitted', publishedTask, submitted(TASK, RESPONSE, at(12, 0))],
      [
        'ResponseStatusChanged',
        () => fold([published(TASK, at(10, 0)), submitted(TASK, RESPONSE, at(12, 0))]),
        responseStatus(RESPONSE, ResponseStatus.SUBMITTED, at(12, 1)),
      ],
    ];

    it.each(cases)('%s', (_kind, boardBefore, event) => {
      const before = boardBefore();
      const once = applyEvent(before, event);
      expect(once).not.toBe(before);
      expect(once.lastEvent).toBe(event);

      expect(applyEvent(once, event)).toBe(once);
      // A replay delivers a new object decoded from the same log: still nothing changes.
      expect(applyEvent(once, redecoded(event))).toBe(once);
    });

    it('a whole lifecycle delivered twice over is the board of one delivery, object for object', () => {
      const board = fold(LIFECYCLE);
      expect(fold(LIFECYCLE, board)).toBe(board);
      expect(fold(LIFECYCLE.map(redecoded), board)).toBe(board);
    });
  });

  // ---- events that change nothing ---------------------------------------------------

  describe('an event that changes nothing returns the same board, and keeps its lastEvent', () => {
    const last = attempted(TASK, PROVIDER, 1n, at(11, 0));
    const base = (): TaskBoard =>
      fold([
        registered(PROVIDER, 0n, at(9, 0)),
        published(TASK, at(10, 0)),
        submitted(TASK, RESPONSE, at(10, 5)),
        taskStatus(TASK, TaskStatus.ATTEMPTED, at(11, 1)),
        responseStatus(RESPONSE, ResponseStatus.CONFIRMED, at(11, 2)),
        last,
      ]);

    it.each<[string, BoardEvent]>([
      ['a status for a task not on the board', taskStatus(UNKNOWN_TASK, TaskStatus.CANCELED, at(20, 0))],
      ['an attempt on a task not on the board', attempted(UNKNOWN_TASK, PROVIDER, 9n, at(20, 0))],
      ['a response to a task not on the board', submitted(UNKNOWN_TASK, address(0x2e70), at(20, 0))],
      [
        'a status for a response not on the board',
        responseStatus(UNKNOWN_RESPONSE, ResponseStatus.CONFIRMED, at(20, 0)),
      ],
      ['another publication of a task already on the board', published(TASK, at(20, 0))],
      ['another submission of a response already on the board', submitted(TASK, RESPONSE, at(20, 0))],
    ])('%s', (_what, event) => {
      const before = base();
      const after = applyEvent(before, event);
      expect(after).toBe(before);
      expect(after.lastEvent).toBe(last);
    });

    it('lastEvent names the event behind the latest change, not the latest event', () => {
      const change = taskStatus(TASK, TaskStatus.RESPONDED, at(21, 0));
      const board = fold([change, taskStatus(UNKNOWN_TASK, TaskStatus.NEW, at(22, 0)), change], base());
      expect(board.lastEvent).toBe(change);
    });
  });

  // ---- order ------------------------------------------------------------------------

  describe('order: a status replaces the one shown only if it comes later on the chain; an earlier one is kept behind it', () => {
    // The status shown is at block 20, log index 5.
    const positions: readonly [string, 'replaces' | 'stays behind', number, number][] = [
      ['a lower block, even with a higher log index,', 'stays behind', 19, 9],
      ['the same block and a lower log index', 'stays behind', 20, 4],
      ['the same block and a higher log index', 'replaces', 20, 6],
      ['a higher block, even with a lower log index,', 'replaces', 21, 0],
    ];

    it.each(positions)('task status: one from %s %s it', (_where, outcome, block, index) => {
      const shown = taskStatus(TASK, TaskStatus.RESPONDED, at(20, 5));
      const before = fold([published(TASK, at(10, 0)), shown]);
      const after = applyEvent(before, taskStatus(TASK, TaskStatus.EXPIRED, at(block, index)));

      const [earlier, later] =
        outcome === 'replaces'
          ? [
              { status: TaskStatus.RESPONDED, at: at(20, 5) },
              { status: TaskStatus.EXPIRED, at: at(block, index) },
            ]
          : [
              { status: TaskStatus.EXPIRED, at: at(block, index) },
              { status: TaskStatus.RESPONDED, at: at(20, 5) },
            ];
      expect(rowOf(after, TASK)).toMatchObject({
        status: later.status,
        statusAt: later.at,
        statuses: [earlier, later],
      });
    });

    it.each(positions)('response status: one from %s %s it', (_where, outcome, block, index) => {
      const shown = responseStatus(RESPONSE, ResponseStatus.CONFIRMED, at(20, 5));
      const before = fold([published(TASK, at(10, 0)), submitted(TASK, RESPONSE, at(11, 0)), shown]);
      const after = applyEvent(before, responseStatus(RESPONSE, ResponseStatus.SUBMITTED, at(block, index)));

      const [earlier, later] =
        outcome === 'replaces'
          ? [
              { status: ResponseStatus.CONFIRMED, at: at(20, 5) },
              { status: ResponseStatus.SUBMITTED, at: at(block, index) },
            ]
          : [
              { status: ResponseStatus.SUBMITTED, at: at(block, index) },
              { status: ResponseStatus.CONFIRMED, at: at(20, 5) },
            ];
      expect(rowOf(after, TASK).responses).toEqual([
        {
          response: RESPONSE,
          submittedAt: at(11, 0),
          status: later.status,
          statusAt: later.at,
          statuses: [earlier, later],
        },
      ]);
    });

    it("ends on the latest status whatever order a task's statuses arrive in", () => {
      const statuses = [
        taskStatus(TASK, TaskStatus.NEW, at(10, 1)),
        taskStatus(TASK, TaskStatus.ATTEMPTED, at(11, 1)),
        taskStatus(TASK, TaskStatus.RESPONDED, at(12, 2)),
        taskStatus(TASK, TaskStatus.FINALIZED, at(14, 1)),
      ];
      for (const order of [
        statuses,
        [...statuses].reverse(),
        [statuses[2]!, statuses[3]!, statuses[0]!, statuses[1]!],
      ]) {
        const board = fold([published(TASK, at(10, 0)), ...order]);
        expect(rowOf(board, TASK)).toMatchObject({ status: TaskStatus.FINALIZED, statusAt: at(14, 1) });
      }
    });

    it("shows both the task's FINALIZED and the response's CONFIRMED of one transaction, whichever arrives first", () => {
      const start = fold([published(TASK, at(10, 0)), submitted(TASK, RESPONSE, at(12, 0))]);
      const confirmed = responseStatus(RESPONSE, ResponseStatus.CONFIRMED, at(14, 0));
      const finalized = taskStatus(TASK, TaskStatus.FINALIZED, at(14, 1, txHashOf(14, 0)));

      for (const board of [fold([confirmed, finalized], start), fold([finalized, confirmed], start)]) {
        expect(rowOf(board, TASK).status).toBe(TaskStatus.FINALIZED);
        expect(rowOf(board, TASK).responses[0]!.status).toBe(ResponseStatus.CONFIRMED);
      }
    });

    // What a child event does when it arrives before its parent. boardEvents$ never
    // delivers that order (each child stream is subscribed after, and starts with, its
    // parent event; see the last describe): the fold does not hold such events back.
    it('drops a response status that arrives before its ResponseSubmitted: it is not kept for later', () => {
      const start = fold([published(TASK, at(10, 0))]);
      const early = applyEvent(start, responseStatus(RESPONSE, ResponseStatus.CONFIRMED, at(12, 1)));
      expect(early).toBe(start);

      const board = applyEvent(early, submitted(TASK, RESPONSE, at(12, 0)));
      expect(rowOf(board, TASK).responses).toEqual([
        { response: RESPONSE, submittedAt: at(12, 0), status: undefined, statusAt: undefined, statuses: [] },
      ]);
    });

    it('drops a task status or attempt that arrives before its TaskPublished', () => {
      const early = fold([
        taskStatus(TASK, TaskStatus.NEW, at(10, 1)),
        attempted(TASK, PROVIDER, 1n, at(11, 0)),
        submitted(TASK, RESPONSE, at(12, 0)),
      ]);
      expect(early).toEqual(emptyBoard(SOURCE));

      expect(rowOf(applyEvent(early, published(TASK, at(10, 0))), TASK)).toMatchObject({
        status: undefined,
        attempts: [],
        responses: [],
      });
    });
  });

  // ---- retractions -------------------------------------------------------------------

  describe('retractions (removed: true): what a reorg took back leaves the board', () => {
    /** `p` in the block that replaced block `p.blockNumber` (same height, another hash). */
    const replaced = (p: LogPosition): LogPosition => ({ ...p, blockHash: hash32(0xf00 + p.blockNumber) });

    const NEW = taskStatus(TASK, TaskStatus.NEW, at(10, 1, txHashOf(10, 0)));
    const ATTEMPT = attempted(TASK, PROVIDER, 10n ** 18n, at(11, 0));
    const ATTEMPTED = taskStatus(TASK, TaskStatus.ATTEMPTED, at(11, 1, txHashOf(11, 0)));
    const RESPONDED = taskStatus(TASK, TaskStatus.RESPONDED, at(12, 2));
    const history = (): TaskBoard => fold([published(TASK, at(10, 0)), NEW, ATTEMPT, ATTEMPTED, RESPONDED]);

    it('retracting the status shown brings back the latest one still held, down to none', () => {
      const board = applyEvent(history(), removalOf(RESPONDED));
      expect(rowOf(board, TASK)).toMatchObject({
        status: TaskStatus.ATTEMPTED,
        statusAt: positionOf(ATTEMPTED),
        statuses: [
          { status: TaskStatus.NEW, at: positionOf(NEW) },
          { status: TaskStatus.ATTEMPTED, at: positionOf(ATTEMPTED) },
        ],
      });
      expect(board.lastEvent).toEqual(removalOf(RESPONDED));

      const none = fold([removalOf(NEW), removalOf(ATTEMPTED)], board);
      expect(rowOf(none, TASK)).toMatchObject({ status: undefined, statusAt: undefined, statuses: [] });
    });

    it('retracting an earlier status keeps the one shown', () => {
      const board = applyEvent(history(), removalOf(ATTEMPTED));
      expect(rowOf(board, TASK)).toMatchObject({ status: TaskStatus.RESPONDED, statusAt: positionOf(RESPONDED) });
      expect(rowOf(board, TASK).statuses.map((entry) => entry.status)).toEqual([TaskStatus.NEW, TaskStatus.RESPONDED]);
    });

    it('an attempt taken back by a reorg: the task is back at NEW with no attempt, as if it had never been seen', () => {
      const before = fold([published(TASK, at(10, 0)), NEW]);
      const seen = fold([ATTEMPT, ATTEMPTED], before);
      expect(rowOf(seen, TASK)).toMatchObject({ status: TaskStatus.ATTEMPTED, attempts: [expect.anything()] });

      for (const removals of [
        [removalOf(ATTEMPT), removalOf(ATTEMPTED)],
        [removalOf(ATTEMPTED), removalOf(ATTEMPT)],
      ]) {
        const undone = fold(removals, seen);
        expect(undone).toEqual({ ...before, lastEvent: removals[1] });
        expect(rowOf(undone, TASK)).toEqual(rowOf(before, TASK));
      }
    });

    it("the same for a response's status: its retraction brings back the one before", () => {
      const confirmed = responseStatus(RESPONSE, ResponseStatus.CONFIRMED, at(14, 0));
      const board = fold([
        published(TASK, at(10, 0)),
        submitted(TASK, RESPONSE, at(12, 0)),
        responseStatus(RESPONSE, ResponseStatus.SUBMITTED, at(12, 1, txHashOf(12, 0))),
        confirmed,
        removalOf(confirmed),
      ]);
      expect(rowOf(board, TASK).responses).toEqual([
        {
          response: RESPONSE,
          submittedAt: at(12, 0),
          status: ResponseStatus.SUBMITTED,
          statusAt: at(12, 1, txHashOf(12, 0)),
          statuses: [{ status: ResponseStatus.SUBMITTED, at: at(12, 1, txHashOf(12, 0)) }],
        },
      ]);
    });

    it('retracting an attempt or a registration takes its row off, and the other rows keep their objects', () => {
      const other = attempted(TASK, OTHER_PROVIDER, 2n, at(13, 0));
      const registration = registered(PROVIDER, 0n, at(9, 0));
      const board = fold([registration, registered(OTHER_PROVIDER, 1n, at(9, 1)), other], history());

      const withoutAttempt = applyEvent(board, removalOf(ATTEMPT));
      expect(rowOf(withoutAttempt, TASK).attempts).toEqual([rowOf(board, TASK).attempts[1]]);
      expect(rowOf(withoutAttempt, TASK).attempts[0]).toBe(rowOf(board, TASK).attempts[1]);
      expect(withoutAttempt.providers).toBe(board.providers);

      const withoutProvider = applyEvent(board, removalOf(registration));
      expect(withoutProvider.providers.map((p) => p.provider)).toEqual([OTHER_PROVIDER]);
      expect(withoutProvider.providers[0]).toBe(board.providers[1]);
      expect(withoutProvider.tasks).toBe(board.tasks);
    });

    it('retracting a publication takes the task off the board with everything on it; mined again, it comes back from its new block', () => {
      const publication = published(TASK, at(10, 0));
      const board = fold(
        [published(OTHER_TASK, at(10, 5)), submitted(TASK, RESPONSE, at(12, 0))],
        fold([publication], history()),
      );
      const gone = applyEvent(board, removalOf(publication));
      expect(gone.tasks.map((row) => row.task)).toEqual([OTHER_TASK]);
      expect(gone.tasks[0]).toBe(board.tasks[1]);

      const again = published(TASK, replaced(at(11, 3, publication.transactionHash)));
      const back = applyEvent(gone, again);
      expect(rowOf(back, TASK)).toEqual({
        task: TASK,
        publishedIn: 11,
        publishedAt: positionOf(again),
        status: undefined,
        statusAt: undefined,
        statuses: [],
        attempts: [],
        responses: [],
      });
    });

    it('retracting a submission takes the response, with its statuses, off its task', () => {
      const submission = submitted(TASK, RESPONSE, at(12, 0));
      const board = fold([
        published(TASK, at(10, 0)),
        submission,
        responseStatus(RESPONSE, ResponseStatus.SUBMITTED, at(12, 1, txHashOf(12, 0))),
        submitted(TASK, OTHER_RESPONSE, at(13, 0)),
      ]);
      const after = applyEvent(board, removalOf(submission));
      expect(rowOf(after, TASK).responses.map((r) => r.response)).toEqual([OTHER_RESPONSE]);
      expect(rowOf(after, TASK).responses[0]).toBe(rowOf(board, TASK).responses[1]);
    });

    it('a log mined again into another block (same transaction and log index) moves there, in place: status, attempt, registration, publication, submission', () => {
      const registration = registered(PROVIDER, 3n, at(11, 2));
      const submission = submitted(TASK, RESPONSE, at(12, 0));
      const board = fold([registration, submission], history());
      const moved = [
        taskStatus(TASK, TaskStatus.RESPONDED, replaced(positionOf(RESPONDED))),
        attempted(TASK, PROVIDER, 10n ** 18n, replaced(positionOf(ATTEMPT))),
        registered(PROVIDER, 3n, replaced(positionOf(registration))),
        published(TASK, replaced(at(10, 0))),
        submitted(TASK, RESPONSE, replaced(positionOf(submission))),
      ];
      const after = fold(moved, board);

      const row = rowOf(after, TASK);
      expect(row.statusAt).toEqual(replaced(positionOf(RESPONDED)));
      expect(row.statuses).toHaveLength(3);
      expect(row.attempts).toEqual([
        { provider: PROVIDER, suggestedPayment: 10n ** 18n, at: replaced(positionOf(ATTEMPT)) },
      ]);
      expect(after.providers).toEqual([
        {
          provider: PROVIDER,
          registrantId: 3n,
          preferredEnvironment: Environment.CPU,
          at: replaced(positionOf(registration)),
        },
      ]);
      expect(row.publishedAt).toEqual(replaced(at(10, 0)));
      expect(row.responses.map((r) => r.submittedAt)).toEqual([replaced(positionOf(submission))]);
      // The retractions of the replaced block's logs, late, change nothing: the entries come from the new block.
      expect(
        fold([RESPONDED, ATTEMPT, registration, published(TASK, at(10, 0)), submission].map(removalOf), after),
      ).toBe(after);
    });

    it('an attempt mined again at another position shows once there, whichever of its retraction and its new log comes first', () => {
      const again = attempted(TASK, PROVIDER, 10n ** 18n, replaced(at(13, 4, ATTEMPT.transactionHash)));
      for (const order of [
        [removalOf(ATTEMPT), again],
        [again, removalOf(ATTEMPT)],
      ]) {
        expect(rowOf(fold(order, history()), TASK).attempts).toEqual([
          { provider: PROVIDER, suggestedPayment: 10n ** 18n, at: positionOf(again) },
        ]);
      }
    });

    describe('a retraction that matches nothing on the board returns the same board, and keeps its lastEvent', () => {
      const elsewhere = (p: LogPosition): LogPosition => ({ ...p, blockHash: hash32(0xe00 + p.blockNumber) });
      it.each<[string, BoardEvent]>([
        ['of a status never held', taskStatus(TASK, TaskStatus.CANCELED, at(20, 0))],
        [
          'of a status held from another block',
          taskStatus(TASK, TaskStatus.RESPONDED, elsewhere(positionOf(RESPONDED))),
        ],
        ['of a status of a task not on the board', taskStatus(UNKNOWN_TASK, TaskStatus.NEW, at(20, 0))],
        ['of an attempt never held', attempted(TASK, OTHER_PROVIDER, 1n, at(20, 0))],
        ['of a registration never held', registered(OTHER_PROVIDER, 1n, at(20, 0))],
        ['of a publication of a task not on the board', published(UNKNOWN_TASK, at(20, 0))],
        ['of a publication held from another block', published(TASK, elsewhere(at(10, 0)))],
        ['of another publication of a task on the board', published(TASK, at(20, 0))],
        ['of a submission not on the board', submitted(TASK, UNKNOWN_RESPONSE, at(20, 0))],
        [
          'of a status of a response not on the board',
          responseStatus(UNKNOWN_RESPONSE, ResponseStatus.CONFIRMED, at(20, 0)),
        ],
      ])('%s', (_what, event) => {
        const before = history();
        const after = applyEvent(before, removalOf(event));
        expect(after).toBe(before);
        expect(after.lastEvent).toBe(RESPONDED);
      });
    });

    it('is idempotent: the same retraction twice returns the very same board', () => {
      const once = applyEvent(history(), removalOf(ATTEMPT));
      expect(applyEvent(once, removalOf(ATTEMPT))).toBe(once);
    });

    it('is pure with retractions too', () => {
      let board = deepFreeze(emptyBoard(SOURCE));
      const events = [...LIFECYCLE, ...LIFECYCLE.slice(5).map(removalOf)];
      for (const event of events) board = deepFreeze(applyEvent(board, event));
      expect(board).toEqual(fold(events));
      expect(contents(board)).toEqual(contents(fold(LIFECYCLE.slice(0, 5))));
    });

    it('describeChange says when the latest change is a retraction', () => {
      expect(describeChange(ATTEMPT)).toBe('Attempted in block 11');
      expect(describeChange(removalOf(ATTEMPT))).toBe('Attempted in block 11 (taken back by a reorg)');
    });
  });

  // ---- identity -----------------------------------------------------------------------

  describe('identity: what an event does not touch keeps its object', () => {
    // The dashboard caches a card per TaskRow object and redraws only rows that are new objects.
    const start = (): TaskBoard =>
      fold([
        registered(PROVIDER, 0n, at(9, 0)),
        published(TASK, at(10, 0)),
        published(OTHER_TASK, at(10, 1)),
        submitted(TASK, RESPONSE, at(11, 0)),
        submitted(TASK, OTHER_RESPONSE, at(11, 1)),
      ]);

    it.each<[string, BoardEvent]>([
      ['TaskStatusChanged', taskStatus(TASK, TaskStatus.ATTEMPTED, at(12, 0))],
      ['Attempted', attempted(TASK, PROVIDER, 3n, at(12, 0))],
      ['ResponseSubmitted', submitted(TASK, address(0x2e70), at(12, 0))],
      ['ResponseStatusChanged', responseStatus(RESPONSE, ResponseStatus.CONFIRMED, at(12, 0))],
    ])('%s on one task: the other task rows and the providers keep theirs', (_kind, event) => {
      const before = start();
      const after = applyEvent(before, event);

      expect(rowOf(after, TASK)).not.toBe(rowOf(before, TASK));
      expect(rowOf(after, OTHER_TASK)).toBe(rowOf(before, OTHER_TASK));
      expect(after.providers).toBe(before.providers);
    });

    it('TaskPublished: the rows already there and the providers keep theirs', () => {
      const before = start();
      const after = applyEvent(before, published(UNKNOWN_TASK, at(12, 0)));
      expect(after.tasks).toHaveLength(3);
      expect(after.tasks[0]).toBe(before.tasks[0]);
      expect(after.tasks[1]).toBe(before.tasks[1]);
      expect(after.providers).toBe(before.providers);
    });

    it('Registered: the tasks keep theirs', () => {
      const before = start();
      const after = applyEvent(before, registered(OTHER_PROVIDER, 1n, at(12, 0)));
      expect(after.tasks).toBe(before.tasks);
      expect(after.providers[0]).toBe(before.providers[0]);
    });

    it("ResponseStatusChanged: the task's other responses and its attempts keep theirs", () => {
      const before = start();
      const after = applyEvent(before, responseStatus(OTHER_RESPONSE, ResponseStatus.CONFIRMED, at(12, 0)));
      const [response, otherResponse] = rowOf(after, TASK).responses;
      expect(response).toBe(rowOf(before, TASK).responses[0]);
      expect(otherResponse).not.toBe(rowOf(before, TASK).responses[1]);
      expect(rowOf(after, TASK).attempts).toBe(rowOf(before, TASK).attempts);
    });
  });
});

// ---- any order the streams can deliver ------------------------------------------------

/** One step of a random task lifecycle, after its publication. */
type Step =
  | { readonly kind: 'attempt'; readonly provider: number; readonly payment: bigint }
  | { readonly kind: 'respond' }
  | { readonly kind: 'responseStatus'; readonly response: number; readonly status: ResponseStatus }
  | { readonly kind: 'taskStatus'; readonly status: TaskStatus };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('attempt' as const), provider: fc.nat(2), payment: fc.bigInt(0n, 10n ** 20n) }),
  fc.record({ kind: fc.constant('respond' as const) }),
  fc.record({
    kind: fc.constant('responseStatus' as const),
    response: fc.nat(),
    status: fc.constantFrom(...Object.values(ResponseStatus)),
  }),
  // Any status, not only the next one of a lifecycle: only the chain position may decide.
  fc.record({ kind: fc.constant('taskStatus' as const), status: fc.constantFrom(...Object.values(TaskStatus)) }),
);

/** A random chain: providers registering, and tasks each going through their steps. */
interface Lifecycle {
  readonly registrations: number;
  readonly tasks: readonly (readonly Step[])[];
  /** Which queue (registrations, then each task) sends the next transaction. */
  readonly interleaving: readonly number[];
  /** Whether each transaction shares the block of the one before. */
  readonly sameBlock: readonly boolean[];
}

const lifecycleArb: fc.Arbitrary<Lifecycle> = fc.record({
  registrations: fc.nat(3),
  tasks: fc.array(fc.array(stepArb, { maxLength: 6 }), { minLength: 1, maxLength: 4 }),
  interleaving: fc.array(fc.nat(), { maxLength: 40 }),
  sameBlock: fc.array(fc.boolean(), { maxLength: 40 }),
});

/** A transaction: its logs, each built for the position it is mined at. */
type Tx = readonly ((p: LogPosition) => BoardEvent)[];

/** The transactions of a lifecycle, in the order they are sent (one per action, as the contract does). */
function transactionsOf({ registrations, tasks, interleaving }: Lifecycle): Tx[] {
  const queues: Tx[][] = [
    Array.from({ length: registrations }, (_, i): Tx => [(p) => registered(address(0xf00 + i), BigInt(i), p)]),
    ...tasks.map((steps, t) => {
      const task = address(0x7000 + t);
      const responses: string[] = [];
      const txs: Tx[] = [[(p) => published(task, p), (p) => taskStatus(task, TaskStatus.NEW, p)]];
      for (const step of steps) {
        if (step.kind === 'attempt') {
          const provider = address(0xf00 + step.provider);
          txs.push([
            (p) => attempted(task, provider, step.payment, p),
            (p) => taskStatus(task, TaskStatus.ATTEMPTED, p),
          ]);
        } else if (step.kind === 'respond') {
          const response = address(0x20000 + 0x100 * t + responses.length);
          responses.push(response);
          txs.push([
            (p) => submitted(task, response, p),
            (p) => responseStatus(response, ResponseStatus.SUBMITTED, p),
            (p) => taskStatus(task, TaskStatus.RESPONDED, p),
          ]);
        } else if (step.kind === 'responseStatus' && responses.length > 0) {
          const response = responses[step.response % responses.length]!;
          txs.push([(p) => responseStatus(response, step.status, p)]);
        } else if (step.kind === 'taskStatus') {
          txs.push([(p) => taskStatus(task, step.status, p)]);
        }
      }
      return txs;
    }),
  ];
  const sent: Tx[] = [];
  for (let n = 0; queues.some((q) => q.length > 0); n++) {
    const open = queues.filter((q) => q.length > 0);
    sent.push(open[(interleaving[n] ?? 0) % open.length]!.shift()!);
  }
  return sent;
}

/** The hash of the `n`th transaction sent: the same wherever it is mined. */
const txHash = (n: number): string => hash32(0x7e_0000_0000n + BigInt(n));

/**
 * The events of `txs` (numbered from `firstTx`, in order) mined from block `firstBlock` on,
 * each in the block of the one before when `sameBlock` says so.
 */
function mine(
  txs: readonly (readonly [number, Tx])[],
  sameBlock: readonly boolean[],
  firstBlock: number,
  blockHash: (block: number) => string,
): BoardEvent[] {
  const chain: BoardEvent[] = [];
  let [block, index] = [firstBlock, 0];
  txs.forEach(([n, tx], i) => {
    if (i > 0 && !(sameBlock[i] ?? false)) [block, index] = [block + 1, 0];
    for (const log of tx) {
      chain.push(
        log({ blockNumber: block, blockHash: blockHash(block), transactionHash: txHash(n), logIndex: index++ }),
      );
    }
  });
  return chain;
}

const numbered = (txs: readonly Tx[]): (readonly [number, Tx])[] => txs.map((tx, n) => [n, tx] as const);

/** A chain of events, in chain order, shaped like the contract's. */
function chainOf(lifecycle: Lifecycle): BoardEvent[] {
  return mine(numbered(transactionsOf(lifecycle)), lifecycle.sameBlock, 100, blockHashOf);
}

/** What a reorg does to a lifecycle's transactions. */
interface Reorg {
  /** How many transactions are mined before the fork (modulo their number + 1). */
  readonly fork: number;
  /** Each later transaction: mined on the replaced branch only, on the new one only, or on both (mined again). */
  readonly fates: readonly ('replaced' | 'new' | 'both')[];
  /** How the new branch groups its transactions into blocks. */
  readonly sameBlock: readonly boolean[];
  /** Empty blocks that start the new branch: with none, its first block has the height of the replaced one's. */
  readonly emptyBlocks: number;
}

const reorgArb: fc.Arbitrary<Reorg> = fc.record({
  fork: fc.nat(),
  fates: fc.array(fc.constantFrom('replaced' as const, 'new' as const, 'both' as const), { maxLength: 40 }),
  sameBlock: fc.array(fc.boolean(), { maxLength: 40 }),
  emptyBlocks: fc.nat(2),
});

/** The block hashes of the new branch (the replaced one has those of blockHashOf). */
const newBranchHash = (block: number): string => hash32(0xcc_0000_0000n + BigInt(block));

/**
 * The chain before the reorg and the canonical chain after it: both share the blocks
 * below the fork; above it, each mines its transactions in their order, into its own blocks.
 */
function reorgOf(lifecycle: Lifecycle, reorg: Reorg): { replaced: BoardEvent[]; canonical: BoardEvent[] } {
  const txs = numbered(transactionsOf(lifecycle));
  const fork = reorg.fork % (txs.length + 1);
  const common = mine(txs.slice(0, fork), lifecycle.sameBlock, 100, blockHashOf);
  const above = (common.at(-1)?.blockNumber ?? 99) + 1;
  const later = txs.slice(fork);
  const fate = (i: number): Reorg['fates'][number] => reorg.fates[i] ?? 'both';
  return {
    replaced: [
      ...common,
      ...mine(
        later.filter((_, i) => fate(i) !== 'new'),
        lifecycle.sameBlock.slice(fork),
        above,
        blockHashOf,
      ),
    ],
    canonical: [
      ...common,
      ...mine(
        later.filter((_, i) => fate(i) !== 'replaced'),
        reorg.sameBlock,
        above + reorg.emptyBlocks,
        newBranchHash,
      ),
    ],
  };
}

/** The event each event's stream is started by: its task's TaskPublished, or its response's ResponseSubmitted. */
function parentsIn(chain: readonly BoardEvent[]): Map<BoardEvent, BoardEvent | undefined> {
  const publications = new Map<string, BoardEvent>();
  const submissions = new Map<string, BoardEvent>();
  const parents = new Map<BoardEvent, BoardEvent | undefined>();
  for (const e of chain) {
    if (e.eventName === 'TaskPublished') publications.set(e.task, e);
    if (e.eventName === 'ResponseSubmitted') submissions.set(e.response, e);
    parents.set(
      e,
      e.eventName === 'Registered' || e.eventName === 'TaskPublished'
        ? undefined
        : e.eventName === 'ResponseStatusChanged'
          ? submissions.get(e.response)
          : publications.get(e.task),
    );
  }
  return parents;
}

/**
 * `chain` plus the `repeats` (indexes into it), in an order picked by `choices` among those
 * where every event comes after (some delivery of) its parent.
 */
function deliveryOf(
  chain: readonly BoardEvent[],
  repeats: readonly number[],
  choices: readonly number[],
): BoardEvent[] {
  const parents = parentsIn(chain);
  const pending = [...chain, ...repeats.map((i) => chain[i % chain.length]!)];
  const delivered: BoardEvent[] = [];
  for (let n = 0; pending.length > 0; n++) {
    const ready = pending.flatMap((e, i) => {
      const parent = parents.get(e);
      return parent === undefined || delivered.includes(parent) ? [i] : [];
    });
    const [next] = pending.splice(ready[(choices[n] ?? 0) % ready.length]!, 1);
    delivered.push(next!);
  }
  return delivered;
}

const positionKey = (p: LogPosition): string => `${p.blockNumber}:${p.logIndex}@${p.blockHash}/${p.transactionHash}`;

/** What a board shows (everything but lastEvent), with rows sorted so that arrival order does not matter. */
function contents(board: TaskBoard) {
  return {
    providers: board.providers.map((p) => `${p.provider}#${p.registrantId}@${positionKey(p.at)}`).sort(),
    tasks: [...board.tasks]
      .sort((a, b) => a.task.localeCompare(b.task))
      .map((row) => ({
        ...row,
        attempts: row.attempts.map((a) => `${a.provider}:${a.suggestedPayment}@${positionKey(a.at)}`).sort(),
        responses: [...row.responses].sort((a, b) => a.response.localeCompare(b.response)),
      })),
  };
}

describe('applyEvent, for any order the streams can deliver', () => {
  it('chain order shows, for every task and response, the status of its last log on the chain', () => {
    fc.assert(
      fc.property(lifecycleArb, (lifecycle) => {
        const chain = chainOf(lifecycle);
        const board = fold(chain);
        const lastTaskStatus = new Map<string, TaskStatus>();
        const lastResponseStatus = new Map<string, ResponseStatus>();
        for (const e of chain) {
          if (e.eventName === 'TaskStatusChanged') lastTaskStatus.set(e.task, e.status);
          if (e.eventName === 'ResponseStatusChanged') lastResponseStatus.set(e.response, e.status);
        }
        expect(board.tasks.map((row) => row.task).sort()).toEqual([...lastTaskStatus.keys()].sort());
        for (const row of board.tasks) {
          expect(row.status).toBe(lastTaskStatus.get(row.task));
          for (const response of row.responses) expect(response.status).toBe(lastResponseStatus.get(response.response));
        }
      }),
    );
  });

  it('any order with each child after its parent (and repeats) yields the board of chain order', () => {
    fc.assert(
      fc.property(
        lifecycleArb,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 120 }),
        (lifecycle, repeats, choices) => {
          const chain = chainOf(lifecycle);
          const delivered = deliveryOf(chain, repeats, choices);
          expect(contents(fold(delivered))).toEqual(contents(fold(chain)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---- the order boardEvents$ delivers ----------------------------------------------------

/**
 * A client whose streams replay `chain` (from `fromBlock` on) synchronously on subscribe:
 * each child stream emits at the earliest moment it can, right as it is subscribed.
 */
function replayingNexus(chain: readonly BoardEvent[]): NexusEvents {
  type Of<K extends BoardEvent['eventName']> = Extract<BoardEvent, { eventName: K }>;
  const replay =
    <K extends BoardEvent['eventName']>(name: K, scopeOf: (e: Of<K>) => string) =>
    (scope: string, options?: StreamOptions): Observable<Of<K>> =>
      from(
        chain.filter(
          (e): e is Of<K> =>
            e.eventName === name && scopeOf(e as Of<K>) === scope && e.blockNumber >= (options?.fromBlock ?? 0),
        ),
      );
  return {
    registered$: replay('Registered', (e) => e.source),
    taskPublished$: replay('TaskPublished', (e) => e.source),
    taskStatusChanged$: replay('TaskStatusChanged', (e) => e.task),
    attempted$: replay('Attempted', (e) => e.task),
    responseSubmitted$: replay('ResponseSubmitted', (e) => e.task),
    responseStatusChanged$: replay('ResponseStatusChanged', (e) => e.response),
    diagnostics$: EMPTY,
  };
}

describe('boardEvents$ (the order applyEvent relies on)', () => {
  it('delivers every event once, each after the event its stream was started by', async () => {
    await fc.assert(
      fc.asyncProperty(lifecycleArb, async (lifecycle) => {
        const chain = chainOf(lifecycle);
        const delivered = await lastValueFrom(
          boardEvents$(replayingNexus(chain), SOURCE, { fromBlock: 0 }).pipe(toArray()),
        );

        expect(new Set(delivered)).toEqual(new Set(chain));
        expect(delivered).toHaveLength(chain.length);
        for (const [event, parent] of parentsIn(chain)) {
          if (parent !== undefined) expect(delivered.indexOf(parent)).toBeLessThan(delivered.indexOf(event));
        }
        const board = await lastValueFrom(taskBoard$(replayingNexus(chain), SOURCE, { fromBlock: 0 }));
        expect(contents(board)).toEqual(contents(fold(chain)));
      }),
      { numRuns: 50 },
    );
  });
});

// ---- through reorgs ---------------------------------------------------------------------

/** Which stream delivers each kind of event. */
const STREAM_OF = {
  registered$: 'Registered',
  taskPublished$: 'TaskPublished',
  taskStatusChanged$: 'TaskStatusChanged',
  attempted$: 'Attempted',
  responseSubmitted$: 'ResponseSubmitted',
  responseStatusChanged$: 'ResponseStatusChanged',
} as const;
type StreamMethod = keyof typeof STREAM_OF;

/** The address that scopes the stream of `event`'s kind. */
function scopeOf(event: BoardEvent): string {
  switch (event.eventName) {
    case 'Registered':
    case 'TaskPublished':
      return event.source;
    case 'TaskStatusChanged':
    case 'Attempted':
    case 'ResponseSubmitted':
      return event.task;
    case 'ResponseStatusChanged':
      return event.response;
  }
}

/** A client whose six streams are opened by `open`. */
function nexusOf(
  open: (method: StreamMethod, scope: string, options: StreamOptions | undefined) => Observable<BoardEvent>,
): NexusEvents {
  const stream = (method: StreamMethod) => (scope: string, options?: StreamOptions) => open(method, scope, options);
  return {
    registered$: stream('registered$') as NexusEvents['registered$'],
    taskPublished$: stream('taskPublished$') as NexusEvents['taskPublished$'],
    taskStatusChanged$: stream('taskStatusChanged$') as NexusEvents['taskStatusChanged$'],
    attempted$: stream('attempted$') as NexusEvents['attempted$'],
    responseSubmitted$: stream('responseSubmitted$') as NexusEvents['responseSubmitted$'],
    responseStatusChanged$: stream('responseStatusChanged$') as NexusEvents['responseStatusChanged$'],
    diagnostics$: EMPTY,
  };
}

const sameLogInBlock = (a: LogPosition, b: LogPosition): boolean =>
  a.transactionHash === b.transactionHash && a.logIndex === b.logIndex && a.blockHash === b.blockHash;

/** `b` is the log at `a` (or another log of its transaction) mined again into another block. */
const movedTo = (a: LogPosition, b: LogPosition): boolean =>
  a.transactionHash === b.transactionHash && a.blockHash !== b.blockHash;

/**
 * A client on a chain that reorgs from `replaced` to `canonical`. Each stream, as it is
 * subscribed, gets what the contract of `withRemovals` lets it deliver: some of its events
 * of the replaced chain (how many: from `picks`), then the retraction of those the canonical
 * chain does not hold in the same block (in either order), then the canonical chain's events
 * it has not delivered yet. `drive()` then delivers them one at a time, from whichever open
 * stream `picks` says, until every open stream has delivered all of its events.
 */
function reorgingNexus(replaced: readonly BoardEvent[], canonical: readonly BoardEvent[], picks: readonly number[]) {
  let n = 0;
  const pick = (): number => (picks.length === 0 ? 0 : picks[n++ % picks.length]!);
  const open: { queue: BoardEvent[]; subscriber: Subscriber<BoardEvent> }[] = [];
  const subscriptions: [StreamMethod, string, StreamOptions | undefined][] = [];
  const delivered: BoardEvent[] = [];

  const nexus = nexusOf(
    (method, scope, options) =>
      new Observable<BoardEvent>((subscriber) => {
        subscriptions.push([method, scope, options]);
        const ofStream = (chain: readonly BoardEvent[]): BoardEvent[] =>
          chain.filter(
            (e) =>
              e.eventName === STREAM_OF[method] && scopeOf(e) === scope && e.blockNumber >= (options?.fromBlock ?? 0),
          );
        const before = ofStream(replaced);
        const after = ofStream(canonical);
        const seen = before.slice(0, pick() % (before.length + 1));
        const retractions =
          options?.withRemovals === true
            ? seen.filter((e) => !after.some((c) => sameLogInBlock(c, e))).map((e) => removalOf(e))
            : [];
        if (pick() % 2 === 1) retractions.reverse();
        const unseen = after.filter((c) => !seen.some((e) => sameLogInBlock(e, c)));
        const reading = { queue: [...seen, ...retractions, ...unseen], subscriber };
        open.push(reading);
        return () => {
          open.splice(open.indexOf(reading), 1);
        };
      }),
  );

  const drive = (): void => {
    for (;;) {
      const ready = open.filter((reading) => reading.queue.length > 0);
      if (ready.length === 0) return;
      const reading = ready[pick() % ready.length]!;
      const event = reading.queue.shift()!;
      delivered.push(event);
      reading.subscriber.next(event);
    }
  };
  return { nexus, drive, subscriptions, delivered };
}

describe('taskBoard$ through a reorg (streams subscribed withRemovals)', () => {
  it('ends on the board of the canonical chain alone, whatever each stream read before the reorg and however the streams interleave', () => {
    const runs = { total: 0, withRetractions: 0, withMinedAgain: 0 };
    fc.assert(
      fc.property(lifecycleArb, reorgArb, fc.array(fc.nat(), { maxLength: 200 }), (lifecycle, reorg, picks) => {
        const { replaced, canonical } = reorgOf(lifecycle, reorg);
        const { nexus, drive, subscriptions, delivered } = reorgingNexus(replaced, canonical, picks);
        let board = emptyBoard(SOURCE);
        const subscription = taskBoard$(nexus, SOURCE, { fromBlock: 0 }).subscribe((next) => (board = next));
        drive();
        subscription.unsubscribe();

        expect(subscriptions.filter(([, , options]) => options?.withRemovals !== true)).toEqual([]);
        expect(contents(board)).toEqual(contents(fold(canonical)));

        runs.total += 1;
        if (delivered.some((e) => e.removed)) runs.withRetractions += 1;
        if (delivered.some((e) => !e.removed && replaced.some((r) => movedTo(r, e)))) runs.withMinedAgain += 1;
      }),
      { numRuns: 400 },
    );
    // The property is not vacuous: most runs retract something, many deliver a log mined again elsewhere.
    expect(runs.withRetractions).toBeGreaterThan(runs.total / 2);
    expect(runs.withMinedAgain).toBeGreaterThan(runs.total / 4);
  });
});

describe('boardEvents$ and retractions', () => {
  /** A client whose streams are Subjects, one per stream and scope, and the subscriptions it was asked for. */
  function subjectNexus() {
    const subjects = new Map<string, Subject<BoardEvent>>();
    const subject = (method: StreamMethod, scope: string): Subject<BoardEvent> => {
      const key = `${method} ${scope}`;
      if (!subjects.has(key)) subjects.set(key, new Subject<BoardEvent>());
      return subjects.get(key)!;
    };
    const subscriptions: [StreamMethod, string, StreamOptions | undefined][] = [];
    const nexus = nexusOf((method, scope, options) => {
      subscriptions.push([method, scope, options]);
      return subject(method, scope);
    });
    return { nexus, subject, subscriptions, subjects };
  }

  it('subscribes every stream with withRemovals: true, each child stream from the block of its parent event', () => {
    const { nexus, subject, subscriptions } = subjectNexus();
    const subscription = boardEvents$(nexus, SOURCE, { fromBlock: 5 }).subscribe();
    subject('taskPublished$', SOURCE).next(published(TASK, at(10, 0)));
    subject('responseSubmitted$', TASK).next(submitted(TASK, RESPONSE, at(11, 0)));
    subscription.unsubscribe();

    expect(subscriptions).toEqual([
      ['taskPublished$', SOURCE, { fromBlock: 5, withRemovals: true }],
      ['registered$', SOURCE, { fromBlock: 5, withRemovals: true }],
      ['taskStatusChanged$', TASK, { fromBlock: 10, withRemovals: true }],
      ['attempted$', TASK, { fromBlock: 10, withRemovals: true }],
      ['responseSubmitted$', TASK, { fromBlock: 10, withRemovals: true }],
      ['responseStatusChanged$', RESPONSE, { fromBlock: 11, withRemovals: true }],
    ]);
    // Without fromBlock: live only, still with removals.
    const live = subjectNexus();
    boardEvents$(live.nexus, SOURCE).subscribe().unsubscribe();
    expect(live.subscriptions.map(([, , options]) => options)).toEqual([
      { withRemovals: true },
      { withRemovals: true },
    ]);
  });

  it('a retraction ends the streams its event started before it is passed on; mined again, the event starts them anew from its new block', () => {
    const { nexus, subject, subscriptions, subjects } = subjectNexus();
    const observed = (): string[] => [...subjects].filter(([, s]) => s.observed).map(([key]) => key);
    const seen: [BoardEvent, string[]][] = [];
    const subscription = boardEvents$(nexus, SOURCE, { fromBlock: 5 }).subscribe((e) => seen.push([e, observed()]));

    const publication = published(TASK, at(10, 0));
    const submission = submitted(TASK, RESPONSE, at(11, 0));
    subject('taskPublished$', SOURCE).next(publication);
    subject('responseSubmitted$', TASK).next(submission);
    const everything = [
      `taskPublished$ ${SOURCE}`,
      `registered$ ${SOURCE}`,
      `taskStatusChanged$ ${TASK}`,
      `attempted$ ${TASK}`,
      `responseSubmitted$ ${TASK}`,
      `responseStatusChanged$ ${RESPONSE}`,
    ];
    expect(observed()).toEqual(everything);

    subject('responseSubmitted$', TASK).next(removalOf(submission));
    expect(observed()).toEqual(everything.slice(0, 5));

    subject('taskPublished$', SOURCE).next(removalOf(publication));
    expect(observed()).toEqual(everything.slice(0, 2));
    // How many streams were open as each event was passed on: a parent event comes before
    // the streams it starts, its retraction after they have ended.
    expect(seen.map(([event, streams]) => [event.eventName, event.removed, streams.length])).toEqual([
      ['TaskPublished', false, 2],
      ['ResponseSubmitted', false, 5],
      ['ResponseSubmitted', true, 5],
      ['TaskPublished', true, 2],
    ]);

    const again = published(TASK, { ...at(12, 3), transactionHash: publication.transactionHash });
    subject('taskPublished$', SOURCE).next(again);
    expect(observed()).toEqual(everything.slice(0, 5));
    expect(subscriptions.slice(-3)).toEqual([
      ['taskStatusChanged$', TASK, { fromBlock: 12, withRemovals: true }],
      ['attempted$', TASK, { fromBlock: 12, withRemovals: true }],
      ['responseSubmitted$', TASK, { fromBlock: 12, withRemovals: true }],
    ]);

    // A retraction of another publication of the task (another log) leaves them running.
    subject('taskPublished$', SOURCE).next(removalOf(publication));
    expect(observed()).toEqual(everything.slice(0, 5));
    subscription.unsubscribe();
    expect(observed()).toEqual([]);
  });
});
