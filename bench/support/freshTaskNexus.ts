import type { TestChain } from '../../spec/support/testChain';
import { deployBenchContract } from './deployBenchContract';

/** A deployed FreshTaskNexus: its address (EIP-55) and the encoder of its one function. */
export interface FreshTaskNexus {
  readonly address: string;
  /** Calldata of `publishMany(source, salt, count)`: `count` TaskPublished of `source`, each task new. */
  publishMany(source: string, salt: string, count: number): string;
}

/** Deploys FreshTaskNexus on `chain` (beside its MockNexus) and waits for it to be mined. */
export async function deployFreshTaskNexus(chain: TestChain): Promise<FreshTaskNexus> {
  const { address, iface } = await deployBenchContract(chain, 'FreshTaskNexus');
  return {
    address,
    publishMany: (source, salt, count) => iface.encodeFunctionData('publishMany', [source, salt, count]),
  };
}
