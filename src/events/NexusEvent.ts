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

  protected constructor(position: LogPosition) {
    this.blockNumber = position.blockNumber;
    this.blockHash = position.blockHash;
    this.transactionHash = position.transactionHash;
    this.logIndex = position.logIndex;
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
