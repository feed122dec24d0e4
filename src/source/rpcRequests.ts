import { type Observable, type ObservableInput, catchError, defer, from, map, throwError } from 'rxjs';
import { Quantity } from '../codecs/hex.js';
import { reportErrors } from '../codecs/reportErrors.js';
import { InvalidRpcResponseError } from '../errors/InvalidRpcResponseError.js';
import { OgpuEventsError } from '../errors/OgpuEventsError.js';
import { RpcRequestError } from '../errors/RpcRequestError.js';
import type { GetLogsFilter, NexusRpc } from '../rpc/NexusRpc.js';

/** Runs one RPC call lazily; any failure that is not already ours becomes an {@link RpcRequestError}. */
function request<T>(method: string, call: () => ObservableInput<T>): Observable<T> {
  return defer(() => from(call())).pipe(
    catchError((error: unknown) =>
      throwError(() => (error instanceof OgpuEventsError ? error : new RpcRequestError(method, error))),
    ),
  );
}

/** `eth_blockNumber`, validated to a safe integer. */
export function requestBlockNumber(rpc: NexusRpc): Observable<number> {
  return request('eth_blockNumber', () => rpc.getBlockNumber()).pipe(
    map((result) => {
      const head = Quantity.decode(result);
      if (head._tag === 'Left') throw new InvalidRpcResponseError('eth_blockNumber', result, reportErrors(head.left));
      return head.right;
    }),
  );
}

/** `eth_getLogs`, unvalidated: {@link validateRpcLogs} checks the result. */
export function requestLogs(rpc: NexusRpc, filter: GetLogsFilter): Observable<unknown> {
  return request('eth_getLogs', () => rpc.getLogs(filter));
}
