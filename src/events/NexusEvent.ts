import type { NexusEventName } from '../nexus/nexusEventTopics.js';

/**
 * Where a log sits on the chain: the fields every event carries.
 *
 * @example
 * ```ts
 * import type { LogPosition } from 'ogpu-events';
 *
 * const key = (p: LogPosition) => `${p.transactionHash}:${p.logIndex}`;
 * ```
 */
export interface LogPosition {
  /** Block the event was emitted in. */
  readonly blockNumber: number;
  /** Hash of that block (0x hex, lower case). */
  readonly blockHash: string;
  /** Hash of the transaction that emitted the event (0x hex, lower case). */
  readonly transactionHash: string;
  /** Position of the log within its block. */
  readonly logIndex: number;
}

/**
 * What every event's fields have besides the event's own parameters: where its log sits,
 * and whether this is a retraction.
 *
 * @example
 * ```ts
 * import type { NexusEventFieldsBase } from 'ogpu-events';
 *
 * const where = (e: NexusEventFieldsBase) => `${e.blockNumber}/${e.logIndex}${e.removed === true ? ' (removed)' : ''}`;
 * ```
 */
export interface NexusEventFieldsBase extends LogPosition {
  /** `true` for a retraction (see {@link NexusEvent.removed}). @default false */
  readonly removed?: boolean | undefined;
}

/**
 * Base class of the six event classes. Instances are immutable: every subclass freezes
 * itself at the end of its constructor.
 *
 * @example
 * ```ts
 * import { NexusEvent } from 'ogpu-events';
 *
 * merge(nexus.attempted$(task), nexus.taskStatusChanged$(task)).subscribe((e: NexusEvent) =>
 *   console.log(e.eventName, e.blockNumber, e.logIndex),
 * );
 * ```
 */
export abstract class NexusEvent implements LogPosition {
  /** Which Nexus event this is: a discriminant for merged streams. */
  abstract readonly eventName: NexusEventName;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly transactionHash: string;
  readonly logIndex: number;
  /**
   * `false` on an ordinary event. `true` on a retraction, which only streams subscribed
   * with `withRemovals: true` emit: the event (same fields) was delivered from a block
   * that a reorg replaced, and the new chain does not hold it there. A consumer that
   * keeps events by `(transactionHash, logIndex)` deletes the entry. If the transaction
   * was mined again elsewhere, the event follows again with its new block.
   */
  readonly removed: boolean;

  protected constructor(fields: NexusEventFieldsBase) {
    this.blockNumber = fields.blockNumber;
    this.blockHash = fields.blockHash;
    this.transactionHash = fields.transactionHash;
    this.logIndex = fields.logIndex;
    this.removed = fields.removed ?? false;
  }

  /** A plain JSON-safe copy: bigints become decimal strings. */
  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this)) {
      json[key] = typeof value === 'bigint' ? value.toString() : value;
    }
    return json;
  }
}
