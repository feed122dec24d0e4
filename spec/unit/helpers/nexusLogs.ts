import { Interface } from 'ethers';
import type { LogPosition, NexusEventName } from 'ogpu-events';
import abi from '../../fixtures/NexusAbi.json';
import { type LogSpec, blockHashOf, txHashOf } from './logs';

/** The Nexus ABI, as ethers reads it: the reference encoder and decoder of the tests. */
export const nexusAbi = new Interface(abi);

/** A log of the Nexus event `name` with `args`, encoded by ethers, at (block, index). */
export function nexusLog(name: NexusEventName, args: readonly unknown[], block: number, index: number): LogSpec {
  const { topics, data } = nexusAbi.encodeEventLog(name, [...args]);
  return { block, index, topics, data };
}

/** The position fields an event decoded from `log` carries. */
export function positionOf(log: LogSpec): LogPosition {
  return {
    blockNumber: log.block,
    blockHash: blockHashOf(log.block),
    transactionHash: log.transactionHash ?? txHashOf(log.block, log.index),
    logIndex: log.index,
  };
}
