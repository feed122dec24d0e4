import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractFactory, Interface } from 'ethers';
import type { TestChain } from '../../spec/support/testChain';
// solc ships without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string): string };

const SOURCE = 'FreshTaskNexus.sol';

let compiled: { readonly abi: readonly unknown[]; readonly bytecode: string } | undefined;

/** Compiles bench/support/FreshTaskNexus.sol with the solc npm package (once per process). */
function compile(): { readonly abi: readonly unknown[]; readonly bytecode: string } {
  if (compiled !== undefined) return compiled;
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
  const contract = output.contracts?.[SOURCE]?.['FreshTaskNexus'];
  if (contract === undefined) throw new Error(`solc produced no FreshTaskNexus contract`);
  compiled = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  return compiled;
}

/** A deployed FreshTaskNexus: its address (EIP-55) and the encoder of its one function. */
export interface FreshTaskNexus {
  readonly address: string;
  /** Calldata of `publishMany(source, salt, count)`: `count` TaskPublished of `source`, each task new. */
  publishMany(source: string, salt: string, count: number): string;
}

/** Deploys FreshTaskNexus on `chain` (beside its MockNexus) and waits for it to be mined. */
export async function deployFreshTaskNexus(chain: TestChain): Promise<FreshTaskNexus> {
  const { abi, bytecode } = compile();
  const signer = await chain.provider.getSigner(0);
  const contract = await new ContractFactory(abi as never[], bytecode, signer).deploy();
  await contract.waitForDeployment();
  const iface = new Interface(abi as never[]);
  return {
    address: await contract.getAddress(),
    publishMany: (source, salt, count) => iface.encodeFunctionData('publishMany', [source, salt, count]),
  };
}
