/**
 * What `relayToJetStream` emits after each range of blocks it published (and acknowledged,
 * and checkpointed when there was anything to checkpoint).
 *
 * @example
 * ```ts
 * import type { RelayProgress } from 'ogpu-events/jetstream';
 *
 * const line = (p: RelayProgress) =>
 *   `blocks ${p.fromBlock}-${p.toBlock}: ${p.published} stored, ${p.duplicates} duplicates dropped, ${p.lag} behind`;
 * ```
 */
export interface RelayProgress {
  /** First block of the range. */
  readonly fromBlock: number;
  /** Last block of the range: every event up to here is stored. */
  readonly toBlock: number;
  /** Messages the broker stored for this range (events and removals). */
  readonly published: number;
  /** Of those, removals (retractions of events a reorg took back). */
  readonly removals: number;
  /** Messages the broker dropped as duplicates of ones it already had (a republish after a crash or a lost acknowledgement). */
  readonly duplicates: number;
  /** The chain's head block as last seen. */
  readonly head: number;
  /** Blocks between `toBlock` and the head. */
  readonly lag: number;
}
