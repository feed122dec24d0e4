import type { RpcFailureClass } from '../rpc/classifyRpcFailure.js';

/** Consecutive full-span successes after which the span grows. */
export const GROW_AFTER_SUCCESSES = 4;

/** What to ask after a refusal, and why. */
export interface SpanAfterRefusal {
  readonly span: number;
  readonly basis: 'suggested' | 'stated-limit' | 'halved';
}

/**
 * The number of blocks an `eth_getLogs` may cover, learnt from the node and shared by
 * every read of a client. It starts at `maxBlockRange`; a refusal shrinks it (to the
 * node's suggested range, its stated limit, or by half); successes grow it back slowly
 * (×1.25 after every {@link GROW_AFTER_SUCCESSES} successful reads of a full span), but
 * never above a block limit the node stated (even alongside a suggested range).
 */
export class BlockSpan {
  #current: number;
  #ceiling: number;
  #successes = 0;

  constructor(readonly max: number) {
    this.#current = max;
    this.#ceiling = max;
  }

  /** Blocks the next read may cover. */
  get current(): number {
    return this.#current;
  }

  /** The node refused `[fromBlock, toBlock]`; returns the span to ask for instead (≥ 1). */
  refused(
    fromBlock: number,
    toBlock: number,
    refusal: Extract<RpcFailureClass, { kind: 'range' }>,
  ): SpanAfterRefusal | undefined {
    const span = toBlock - fromBlock + 1;
    if (span <= 1) return undefined;
    this.#successes = 0;
    let next: SpanAfterRefusal;
    const { suggested, limit } = refusal;
    // A stated block limit is a ceiling even when the node also suggests a range.
    if (limit !== undefined) this.#ceiling = Math.max(1, Math.min(this.#ceiling, limit));
    if (suggested !== undefined && suggested.fromBlock === fromBlock && suggested.toBlock < toBlock) {
      next = { span: suggested.toBlock - fromBlock + 1, basis: 'suggested' };
    } else if (limit !== undefined && limit < span) {
      next = { span: limit, basis: 'stated-limit' };
    } else {
      next = { span: Math.floor(span / 2), basis: 'halved' };
    }
    this.#current = Math.min(this.#current, next.span);
    return next;
  }

  /** A read of `span` blocks succeeded. */
  succeeded(span: number): void {
    if (span < this.#current || this.#current >= this.#ceiling) return;
    this.#successes += 1;
    if (this.#successes < GROW_AFTER_SUCCESSES) return;
    this.#successes = 0;
    this.#current = Math.min(this.#ceiling, this.#current + Math.max(1, Math.floor(this.#current / 4)));
  }
}
