/**
 * Lifecycle states of an OpenGPU task, with their uint8 wire values.
 *
 * @example
 * ```ts
 * import { TaskStatus } from 'ogpu-events';
 *
 * nexus.taskStatusChanged$(task).pipe(takeWhile((e) => e.status !== TaskStatus.FINALIZED, true));
 * ```
 */
export const TaskStatus = Object.freeze({
  NEW: 0,
  ATTEMPTED: 1,
  RESPONDED: 2,
  CANCELED: 3,
  EXPIRED: 4,
  FINALIZED: 5,
} as const);

/**
 * A task status wire value: `0` (NEW) to `5` (FINALIZED).
 *
 * @example
 * ```ts
 * import { TaskStatus } from 'ogpu-events';
 *
 * const done = (status: TaskStatus) => status === TaskStatus.FINALIZED;
 * ```
 */
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];
