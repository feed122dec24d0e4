import * as t from 'io-ts';
import { Hash32, HexString, Quantity } from './hex.js';

/** A block's 2048-bit logs bloom filter. */
export const LogsBloom = HexString('LogsBloom', 256);

/**
 * The part of an `eth_getBlockByNumber` answer the poller uses: where the block is, what
 * it builds on, and (when the node sends it) the bloom filter of its logs. Other fields
 * of the block are ignored.
 */
export const RpcBlockHeader = t.intersection(
  [
    t.type({
      number: Quantity,
      hash: Hash32,
      parentHash: Hash32,
    }),
    t.partial({ logsBloom: LogsBloom }),
  ],
  'RpcBlockHeader',
);

/** A block's number, hash, parent hash and logs bloom (lower-case hex). */
export type RpcBlockHeader = t.TypeOf<typeof RpcBlockHeader>;
