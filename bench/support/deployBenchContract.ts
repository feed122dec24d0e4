import { join } from 'node:path';
import { ContractFactory, Interface } from 'ethers';
import { compileContract } from '../../spec/support/compileContract';
import { minedReceipt } from '../../spec/support/minedReceipt';
import type { TestChain } from '../../spec/support/testChain';

/** A bench contract deployed on a test chain: its address (EIP-55) and its ABI's encoder. */
export interface DeployedBenchContract {
  readonly address: string;
  readonly iface: Interface;
}

/**
 * Compiles `bench/support/<name>.sol` (contract `name`) and deploys it on `chain` (beside its
 * MockNexus), waiting for it to be mined.
 *
 * @example
 * const { address, iface } = await deployBenchContract(chain, 'FanOutNexus');
 */
export async function deployBenchContract(chain: TestChain, name: string): Promise<DeployedBenchContract> {
  const { abi, bytecode } = compileContract(join(__dirname, `${name}.sol`), name);
  const signer = await chain.provider.getSigner(0);
  const contract = await new ContractFactory(abi as never[], bytecode, signer).deploy();
  const deployment = contract.deploymentTransaction();
  if (deployment === null) throw new Error(`${name} deployment sent no transaction`);
  await minedReceipt(chain.provider, deployment.hash);
  return { address: await contract.getAddress(), iface: new Interface(abi as never[]) };
}
