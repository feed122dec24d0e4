import { join } from 'node:path';
import { type CompiledContract, compileContract } from './compileContract';

export type { CompiledContract } from './compileContract';

/** Compiles spec/contracts/MockNexus.sol with the solc npm package (once per process). */
export function compileMockNexus(): CompiledContract {
  return compileContract(join(__dirname, '..', 'contracts', 'MockNexus.sol'), 'MockNexus');
}
