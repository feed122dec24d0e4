import { type Observable, defer, finalize, from, share } from 'rxjs';
import type { NexusRpc } from './NexusRpc.js';

/**
 * Wraps an RPC so that concurrent `getBlock` calls for the same block (`'latest'` or a
 * number) share one request in flight.
 *
 * Every stream asks for the head when it is subscribed, and the shared poller asks on
 * each tick: many streams subscribed together (or with a tick in flight) cost one request.
 * With `confirmations`, a fresh poller and the streams starting with it then also ask for
 * the same confirmed block: sharing that answer anchors the poller on exactly the block
 * the streams' history reads end at, so a reorg racing those reads is seen by the poller.
 */
export function shareBlockRequests(rpc: NexusRpc): NexusRpc {
  const inFlight = new Map<number | 'latest', Observable<unknown>>();
  return {
    getLogs: (filter) => rpc.getLogs(filter),
    getCode: (address) => rpc.getCode(address),
    getBlock: (block) => {
      let request = inFlight.get(block);
      if (request === undefined) {
        request = defer(() => from(rpc.getBlock(block))).pipe(
          finalize(() => inFlight.delete(block)),
          share(),
        );
        inFlight.set(block, request);
      }
      return request;
    },
  };
}
