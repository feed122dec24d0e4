import * as t from 'io-ts';
import { Hash32, Quantity } from './hex.js';

/**
 * The part of an `eth_getBlockByNumber` answer the poller uses: where the block is and
 * what it builds on. Other fields of the block are ignored.
 */
export const RpcBlockHeader = t.type(
  {
    number: Quantity,
    hash: Hash32,
    parentHash: Hash32,
  },
  'RpcBlockHeader',
);

/** A block's number, hash and parent hash (lower-case hex). */
export type RpcBlockHeader = t.TypeOf<typeof RpcBlockHeader>;
