import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
// solc ships without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string): string };

/** ABI and creation bytecode of a compiled contract. */
export interface CompiledContract {
  readonly abi: readonly unknown[];
  readonly bytecode: string;
}

const compiled = new Map<string, CompiledContract>();

/**
 * Compiles contract `name` of the Solidity file at `path` with the solc npm package (the
 * optimizer on, 200 runs), once per process. Throws with solc's messages when it does not compile.
 *
 * @example
 * const { abi, bytecode } = compileContract(join(__dirname, 'MockNexus.sol'), 'MockNexus');
 */
export function compileContract(path: string, name: string): CompiledContract {
  const key = `${path}:${name}`;
  const cached = compiled.get(key);
  if (cached !== undefined) return cached;
  const file = basename(path);
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: readFileSync(path, 'utf8') } },
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
    throw new Error(`${file} does not compile:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contract = output.contracts?.[file]?.[name];
  if (contract === undefined) throw new Error(`solc produced no ${name} contract from ${file}`);
  const result = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  compiled.set(key, result);
  return result;
}
