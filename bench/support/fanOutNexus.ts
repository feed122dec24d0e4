import type { TestChain } from '../../spec/support/testChain';
import { deployBenchContract } from './deployBenchContract';

/** A deployed FanOutNexus: its address (EIP-55) and the encoder of its one function. */
export interface FanOutNexus {
  readonly address: string;
  /** Calldata of `changeStatuses(tasks, status)`: one TaskStatusChanged per task, in one transaction. */
  changeStatuses(tasks: readonly string[], status: number): string;
}

/** Deploys FanOutNexus on `chain` (beside its MockNexus) and waits for it to be mined. */
export async function deployFanOutNexus(chain: TestChain): Promise<FanOutNexus> {
  const { address, iface } = await deployBenchContract(chain, 'FanOutNexus');
  return {
    address,
    changeStatuses: (tasks, status) => iface.encodeFunctionData('changeStatuses', [tasks, status]),
  };
}
