import { from, tap } from 'rxjs';
import type { NexusRpc } from './NexusRpc.js';

/**
 * `rpc`, telling `onHead` the number of every head block (`getBlock('latest')`) it answers.
 *
 * @example
 * ```ts
 * let head = 0;
 * const watched = watchHead(rpc, (n) => (head = Math.max(head, n)));
 * ```
 */
export function watchHead(rpc: NexusRpc, onHead: (n: number) => void): NexusRpc {
  return {
    getLogs: (filter) => rpc.getLogs(filter),
    getCode: (address) => rpc.getCode(address),
    getBlock: (block) =>
      block !== 'latest'
        ? rpc.getBlock(block)
        : from(rpc.getBlock(block)).pipe(
            tap((result) => {
              const number = (result as { number?: unknown } | null)?.number;
              if (typeof number === 'string' && /^0x[0-9a-fA-F]+$/.test(number)) onHead(Number.parseInt(number, 16));
              else if (typeof number === 'number') onHead(number);
            }),
          ),
  };
}
