/**
 * A known OpenGPU network: its chain id, Nexus address and public JSON-RPC URL.
 *
 * @example
 * ```ts
 * import { NETWORKS } from 'ogpu-events';
 *
 * const { chainId, nexusAddress, rpcUrl } = NETWORKS.mainnet;
 * ```
 */
export interface NetworkPreset {
  /** Human-readable name. */
  readonly name: string;
  /** EIP-155 chain id. */
  readonly chainId: bigint;
  /** The deployed Nexus contract, EIP-55 checksummed. */
  readonly nexusAddress: string;
  /** A public JSON-RPC endpoint of the network. */
  readonly rpcUrl: string;
}

/**
 * Presets for `network: 'mainnet' | 'testnet'` in {@link createNexusEvents}'s options.
 *
 * @example
 * ```ts
 * import { NETWORKS, createNexusEvents } from 'ogpu-events';
 *
 * console.log(NETWORKS.testnet.nexusAddress);
 * const nexus = createNexusEvents({ network: 'testnet' });
 * ```
 */
export const NETWORKS: {
  /** OpenGPU mainnet (chain 1071). */
  readonly mainnet: NetworkPreset;
  /** OpenGPU testnet (chain 200820172034). */
  readonly testnet: NetworkPreset;
} = Object.freeze({
  mainnet: Object.freeze({
    name: 'OGPU mainnet',
    chainId: 1071n,
    nexusAddress: '0x2b0cC6058313801D5feb184a539e3a0C5A87a6a1',
    rpcUrl: 'https://mainnet-rpc.ogpuscan.io',
  }),
  testnet: Object.freeze({
    name: 'OGPU testnet',
    chainId: 200820172034n,
    nexusAddress: '0xF87bb2f3edB991a998992f14d35fE142e6Bb50b1',
    rpcUrl: 'https://testnetrpc.ogpuscan.io',
  }),
});

/**
 * Name of a built-in network preset.
 *
 * @example
 * ```ts
 * import type { NetworkName } from 'ogpu-events';
 *
 * const network: NetworkName = 'mainnet';
 * ```
 */
export type NetworkName = keyof typeof NETWORKS;
