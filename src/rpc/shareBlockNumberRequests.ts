import { type Observable, defer, finalize, from, share } from 'rxjs';
import type { NexusRpc } from './NexusRpc.js';

/**
 * Wraps an RPC so that concurrent `getBlockNumber` calls share one request in flight.
 *
 * The shared poller and every stream that starts at the head ask for the head at the
 * same moment; sharing both saves requests and gives them the same answer, so that
 * where the poller starts and where a stream draws its start line agree exactly.
 */
export function shareBlockNumberRequests(rpc: NexusRpc): NexusRpc {
  let inFlight: Observable<unknown> | undefined;
  return {
    getLogs: (filter) => rpc.getLogs(filter),
    getBlockNumber: () => {
      inFlight ??= defer(() => from(rpc.getBlockNumber())).pipe(
        finalize(() => {
          inFlight = undefined;
        }),
        share(),
      );
      return inFlight;
    },
  };
}
