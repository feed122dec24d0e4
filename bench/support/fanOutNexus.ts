import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractFactory, Interface } from 'ethers';
import { minedReceipt } from '../../spec/support/minedReceipt';
import type { TestChain } from '../../spec/support/testChain';
// solc ships without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string): string };

const SOURCE = 'FanOutNexus.sol';

/** Compiles bench/support/FanOutNexus.sol with the solc npm package. */
function compile(): { readonly abi: readonly unknown[]; readonly bytecode: string } {
  const input = {
    language: 'Solidity',
    sources: { [SOURCE]: { content: readFileSync(join(__dirname, SOURCE), 'utf8') } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0)
    throw new Error(`${SOURCE} does not compile:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contract = output.contracts?.[SOURCE]?.['FanOutNexus'];
  if (contract === undefined) throw new Error('solc produced no FanOutNexus contract');
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

/** A deployed FanOutNexus: its address (EIP-55) and the encoder of its one function. */
export interface FanOutNexus {
  readonly address: string;
  /** Calldata of `changeStatuses(tasks, status)`: one TaskStatusChanged per task, in one transaction. */
  changeStatuses(tasks: readonly string[], status: number): string;
}

/** Deploys FanOutNexus on `chain` (beside its MockNexus) and waits for it to be mined. */
export async function deployFanOutNexus(chain: TestChain): Promise<FanOutNexus> {
  const { abi, bytecode } = compile();
  const signer = await chain.provider.getSigner(0);
  const contract = await new ContractFactory(abi as never[], bytecode, signer).deploy();
  const deployment = contract.deploymentTransaction();
  if (deployment === null) throw new Error('FanOutNexus deployment sent no transaction');
  await minedReceipt(chain.provider, deployment.hash);
  const iface = new Interface(abi as never[]);
  return {
    address: await contract.getAddress(),
    changeStatuses: (tasks, status) => iface.encodeFunctionData('changeStatuses', [tasks, status]),
  };
}
