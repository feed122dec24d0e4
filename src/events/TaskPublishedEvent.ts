import { NexusEvent, type NexusEventFieldsBase } from './NexusEvent.js';

/**
 * Fields of a {@link TaskPublishedEvent}.
 *
 * @example
 * ```ts
 * import type { TaskPublishedEventFields } from 'ogpu-events';
 *
 * const pick = ({ task, source }: TaskPublishedEventFields) => ({ task, source });
 * ```
 */
export interface TaskPublishedEventFields extends NexusEventFieldsBase {
  /** The new Task contract (EIP-55 checksummed). */
  readonly task: string;
  /** The source the task was published to: the stream's scope. */
  readonly source: string;
}

/**
 * A task was published to a source. Emitted by `taskPublished$(source)`.
 *
 * @example
 * ```ts
 * nexus.taskPublished$(source).subscribe((e: TaskPublishedEvent) => console.log('new task', e.task));
 * ```
 */
export class TaskPublishedEvent extends NexusEvent implements TaskPublishedEventFields {
  readonly eventName = 'TaskPublished' as const;
  readonly task: string;
  readonly source: string;

  constructor(fields: TaskPublishedEventFields) {
    super(fields);
    this.task = fields.task;
    this.source = fields.source;
    Object.freeze(this);
  }
}
