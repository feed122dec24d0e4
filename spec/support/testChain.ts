import {
  Contract,
  ContractFactory,
  JsonRpcProvider,
  Network,
  type Signer,
  getAddress,
  hexlify,
  randomBytes,
} from 'ethers';
import { type AnvilNode, startAnvil } from './anvil';
import { compileMockNexus } from './compileMockNexus';
import { minedReceipt } from './minedReceipt';

/** A deployed MockNexus and a helper that drives it. */
export interface DeployedNexus {
  readonly contract: Contract;
  /** EIP-55 checksummed. */
  readonly address: string;
  /** Sends a transaction of this contract and waits for it to be mined; returns its receipt's block number and hash. */
  send(method: string, ...args: unknown[]): Promise<{ blockNumber: number; hash: string }>;
}

/** Anvil with a deployed MockNexus, and helpers that drive it. */
export interface TestChain {
  readonly anvil: AnvilNode;
  readonly url: string;
  readonly provider: JsonRpcProvider;
  /** The deployed MockNexus (same six event signatures as the real Nexus). */
  readonly nexus: Contract;
  readonly nexusAddress: string;
  /** Sends a MockNexus transaction and waits for it to be mined; returns its receipt's block number and hash. */
  send(method: string, ...args: unknown[]): Promise<{ blockNumber: number; hash: string }>;
  /** Deploys another MockNexus (same events, another address) on the same chain. */
  deployNexus(): Promise<DeployedNexus>;
  /** Mines `blocks` empty blocks. */
  mine(blocks?: number): Promise<void>;
  /** The node's head block number now (never cached). */
  head(): Promise<number>;
  stop(): Promise<void>;
}

/** A fresh random address, EIP-55 checksummed. */
export function randomAddress(): string {
  return getAddress(hexlify(randomBytes(20)));
}

/** Deploys MockNexus with `signer` and waits for it to be mined. */
async function deployMockNexus(provider: JsonRpcProvider, signer: Signer): Promise<DeployedNexus> {
  const { abi, bytecode } = compileMockNexus();
  const deployed = await new ContractFactory(abi as never[], bytecode, signer).deploy();
  const deployment = deployed.deploymentTransaction();
  if (deployment === null) throw new Error('MockNexus deployment sent no transaction');
  await minedReceipt(provider, deployment.hash);
  const address = await deployed.getAddress();
  const contract = new Contract(address, abi as never[], signer);
  return {
    contract,
    address,
    send: async (method, ...args) => {
      const fn = contract.getFunction(method);
      const tx = (await fn(...args)) as { hash: string };
      const { blockNumber, hash } = await minedReceipt(provider, tx.hash);
      return { blockNumber, hash };
    },
  };
}

/** Starts anvil on a free loopback port and deploys MockNexus on it. */
export async function startTestChain(anvilArgs: readonly string[] = []): Promise<TestChain> {
  const anvil = await startAnvil(anvilArgs);
  const network = Network.from(31337);
  const provider = new JsonRpcProvider(anvil.url, network, { staticNetwork: network, pollingInterval: 50 });
  try {
    const signer = await provider.getSigner(0);
    const nexus = await deployMockNexus(provider, signer);
    return {
      anvil,
      url: anvil.url,
      provider,
      nexus: nexus.contract,
      nexusAddress: nexus.address,
      send: nexus.send,
      deployNexus: () => deployMockNexus(provider, signer),
      mine: async (blocks = 1) => {
        await provider.send('anvil_mine', [`0x${blocks.toString(16)}`]);
      },
      // Asked of the node each time: ethers' getBlockNumber may answer from a cache of its last
      // 250 ms, which a revert makes wrong.
      head: async () => Number(await provider.send('eth_blockNumber', [])),
      stop: async () => {
        provider.destroy();
        await anvil.stop();
      },
    };
  } catch (error) {
    provider.destroy();
    await anvil.stop();
    throw error;
  }
}
