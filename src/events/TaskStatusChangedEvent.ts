import type { TaskStatus } from '../enums/TaskStatus.js';
import { NexusEvent, type NexusEventFieldsBase } from './NexusEvent.js';

/**
 * Fields of a {@link TaskStatusChangedEvent}.
 *
 * @example
 * ```ts
 * import { TaskStatus, type TaskStatusChangedEventFields } from 'ogpu-events';
 *
 * const finished = (e: TaskStatusChangedEventFields) => e.status === TaskStatus.FINALIZED;
 * ```
 */
export interface TaskStatusChangedEventFields extends NexusEventFieldsBase {
  /** The task: the stream's scope (EIP-55 checksummed). */
  readonly task: string;
  /** Its new status. */
  readonly status: TaskStatus;
}

/**
 * A task changed status (NEW → ATTEMPTED → RESPONDED → FINALIZED, or CANCELED / EXPIRED).
 * Emitted by `taskStatusChanged$(task)`.
 *
 * @example
 * ```ts
 * nexus
 *   .taskStatusChanged$(task)
 *   .pipe(takeWhile((e: TaskStatusChangedEvent) => e.status !== TaskStatus.FINALIZED, true))
 *   .subscribe((e) => console.log(enumKey(TaskStatus, e.status)));
 * ```
 */
export class TaskStatusChangedEvent extends NexusEvent implements TaskStatusChangedEventFields {
  readonly eventName = 'TaskStatusChanged' as const;
  readonly task: string;
  readonly status: TaskStatus;

  constructor(fields: TaskStatusChangedEventFields) {
    super(fields);
    this.task = fields.task;
    this.status = fields.status;
    Object.freeze(this);
  }
}
