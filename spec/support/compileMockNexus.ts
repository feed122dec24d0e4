import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// solc ships without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string): string };

/** ABI and creation bytecode of a compiled contract. */
export interface CompiledContract {
  readonly abi: readonly unknown[];
  readonly bytecode: string;
}

const SOURCE_PATH = join(__dirname, '..', 'contracts', 'MockNexus.sol');
let cached: CompiledContract | undefined;

/** Compiles spec/contracts/MockNexus.sol with the solc npm package (once per process). */
export function compileMockNexus(): CompiledContract {
  if (cached !== undefined) return cached;
  const input = {
    language: 'Solidity',
    sources: { 'MockNexus.sol': { content: readFileSync(SOURCE_PATH, 'utf8') } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0)
    throw new Error(`MockNexus.sol does not compile:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contract = output.contracts['MockNexus.sol']?.['MockNexus'];
  if (contract === undefined) throw new Error('solc produced no MockNexus contract');
  cached = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  return cached;
}
