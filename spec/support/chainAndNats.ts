import type { Subscription } from 'rxjs';
import { type RelayOptions, type RelayProgress, relayToJetStream } from 'ogpu-events/jetstream';
import { type NatsServer, type NatsServerOptions, startNatsServer } from './natsServer';
import { waitFor } from './streams';
import { type TestChain, startTestChain } from './testChain';

/** The relay a suite runs, and how far it has published. */
export interface SuiteRelay {
  readonly subscription: Subscription;
  /** The highest block its progress reached (−1 before the first). */
  readonly relayed: () => number;
  /** Resolves once its progress reached `block` (every event up to it stored). */
  readonly reached: (block: number, timeoutMs?: number) => Promise<void>;
  /** The error it ended with, if it did. */
  readonly failure: () => unknown;
}

/** An anvil chain (MockNexus deployed) and a nats-server shared by the tests of one suite. */
export interface ChainAndNats {
  readonly chain: TestChain;
  readonly nats: NatsServer;
  /**
   * Runs `relayToJetStream` on this chain and server for the rest of the suite (stopped
   * before they are): from the block after the head unless `fromBlock` is given, polling
   * every 50 ms unless `pollInterval` is.
   */
  startRelay(options?: Partial<RelayOptions>): Promise<SuiteRelay>;
  /** Runs `teardown` once the suite's tests are done, before the chain and the server stop. */
  beforeStopping(teardown: () => unknown): void;
}

/**
 * Starts a test chain and a nats-server (with `options`) before the suite's tests and stops
 * them after, once the relays it started and the teardowns it was given are done. Call it
 * in the body of a `describe`; `chain` and `nats` can be read from its tests and hooks.
 *
 * @example
 * ```ts
 * describeWithNats('a relay', () => {
 *   const suite = useChainAndNats();
 *   it('relays', async () => {
 *     const relay = await suite.startRelay({ stream: 'RELAYED' });
 *     await suite.chain.send('emitTaskStatusChanged', randomAddress(), TaskStatus.NEW);
 *   });
 * });
 * ```
 */
export function useChainAndNats(options: NatsServerOptions = {}): ChainAndNats {
  let started: { readonly chain: TestChain; readonly nats: NatsServer } | undefined;
  const teardowns: (() => unknown)[] = [];
  const running = (): NonNullable<typeof started> => {
    if (started === undefined) throw new Error('the chain and the nats-server start in beforeAll: read them in a test');
    return started;
  };

  beforeAll(async () => {
    const [chain, nats] = await Promise.allSettled([startTestChain(), startNatsServer(options)]);
    if (chain.status === 'fulfilled' && nats.status === 'fulfilled') {
      started = { chain: chain.value, nats: nats.value };
      return;
    }
    // Whichever started is stopped again: a failed start leaves no process behind.
    if (chain.status === 'fulfilled') await chain.value.stop();
    if (nats.status === 'fulfilled') await nats.value.stop();
    throw chain.status === 'rejected' ? chain.reason : (nats as PromiseRejectedResult).reason;
  });
  afterAll(async () => {
    for (const teardown of teardowns.splice(0).reverse()) await teardown();
    await Promise.all([started?.chain.stop(), started?.nats.stop()]);
  });

  return {
    get chain() {
      return running().chain;
    },
    get nats() {
      return running().nats;
    },
    startRelay: async (relayOptions = {}) => {
      const { chain, nats } = running();
      let relayed = -1;
      let failure: unknown;
      const subscription = relayToJetStream({
        rpcUrl: chain.url,
        address: chain.nexusAddress,
        servers: nats.url,
        // From the next block: a relay still connecting when the first event is mined must not skip it.
        fromBlock: (await chain.head()) + 1,
        pollInterval: 50,
        ...relayOptions,
      }).subscribe({
        next: (progress: RelayProgress) => {
          relayed = Math.max(relayed, progress.toBlock);
        },
        error: (error: unknown) => (failure = error),
      });
      teardowns.push(() => subscription.unsubscribe());
      return {
        subscription,
        relayed: () => relayed,
        reached: (block, timeoutMs = 20_000) =>
          waitFor(
            () => {
              if (failure !== undefined) throw failure;
              return relayed >= block;
            },
            timeoutMs,
            `the relay to reach block ${block}`,
          ),
        failure: () => failure,
      };
    },
    beforeStopping: (teardown) => {
      teardowns.push(teardown);
    },
  };
}
