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
  /** Published, waiting for providers. */
  NEW: 0,
  /** At least one provider attempts it. */
  ATTEMPTED: 1,
  /** A response was submitted. */
  RESPONDED: 2,
  /** Cancelled by its source. */
  CANCELED: 3,
  /** Its deadline passed without a confirmed response. */
  EXPIRED: 4,
  /** A response was confirmed: the task is done. */
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
