import { type Observable, defer, finalize, from, share } from 'rxjs';
import type { NexusRpc } from './NexusRpc.js';

/**
 * Wraps an RPC so that concurrent `getBlock('latest')` calls share one request in flight.
 *
 * Every stream asks for the head when it is subscribed, and the shared poller asks on
 * each tick: many streams subscribed together (or with a tick in flight) cost one request.
 */
export function shareLatestBlockRequests(rpc: NexusRpc): NexusRpc {
  let inFlight: Observable<unknown> | undefined;
  return {
    getLogs: (filter) => rpc.getLogs(filter),
    getCode: (address) => rpc.getCode(address),
    getBlock: (block) => {
      if (block !== 'latest') return rpc.getBlock(block);
      inFlight ??= defer(() => from(rpc.getBlock('latest'))).pipe(
        finalize(() => {
          inFlight = undefined;
        }),
        share(),
      );
      return inFlight;
    },
  };
}
