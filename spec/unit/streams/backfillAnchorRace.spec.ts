import { getAddress } from 'ethers';
import { concatMap, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { type NexusRpc, type TaskPublishedEvent, createNexusEvents } from 'ogpu-events';
import { NEXUS_ADDRESS, hash32 } from '../helpers/logs';
import { MemoryChain } from '../helpers/memoryChain';

const SOURCE = getAddress(`0x${'50'.repeat(20)}`);

/**
 * The window of issue 10 §3: a stream whose history read starts in the same round trip as a
 * fresh poller's first anchor, with confirmations. If the poller's anchor (the confirmed
 * block's header) is fetched after the stream read the logs below it, a reorg deeper than
 * the confirmations in between leaves the stream with the replaced chain's events and the
 * poller anchored on the new chain: nothing ever notices.
 */
describe('a history read started beside a fresh poller, with confirmations, and a reorg deeper than them in between', () => {
  it.each([false, true])(
    'the stream still ends up with exactly the new chain’s events (withRemovals: %s)',
    (withRemovals) => {
      const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
      const held = new Map<string, TaskPublishedEvent>();
      const delivered: TaskPublishedEvent[] = [];
      let chain!: MemoryChain;
      scheduler.run(() => {
        chain = new MemoryChain(scheduler);
        let n = 0;
        const tx = (): { hash: string; task: string; source: string } => ({
          hash: hash32(0x7000n + BigInt(++n)),
          task: getAddress(hash32(0x7a00n + BigInt(n)).slice(0, 42)),
          source: SOURCE,
        });
        for (let i = 0; i < 6; i += 1) chain.mine([tx()]);
        // Numbered headers answer slowly (3 frames), logs and the head quickly (1 frame):
        // what was read first and what was anchored first can differ.
        const rpc: NexusRpc = {
          ...chain.rpc,
          getBlock: (block) =>
            block === 'latest' ? chain.rpc.getBlock(block) : timer(2).pipe(concatMap(() => chain.rpc.getBlock(block))),
        };
        const nexus = createNexusEvents({ rpc, address: NEXUS_ADDRESS, pollInterval: 10, confirmations: 2 });
        const subscription = nexus
          .taskPublished$(SOURCE, withRemovals ? { fromBlock: 0, withRemovals } : { fromBlock: 0 })
          .subscribe((event) => {
            delivered.push(event);
            const key = `${event.transactionHash}:${event.logIndex}`;
            if (event.removed) held.delete(key);
            else held.set(key, event);
          });
        // At frame 3 (after a history read made right after the head would have been answered,
        // before the confirmed block's header comes back), blocks 3..6 are replaced by a chain
        // of other events, one block longer.
        scheduler.schedule(() => {
          chain.reorg(4);
          for (let i = 0; i < 5; i += 1) chain.mine([tx()]);
        }, 3);
        scheduler.schedule(() => chain.mine(), 60);
        scheduler.schedule(() => subscription.unsubscribe(), 200);
      });

      const confirmed = chain.head.number - 2;
      const canonical = chain
        .logs()
        .filter((log) => log.blockNumber <= confirmed)
        .map((log) => `${log.transactionHash}@${log.blockHash}`);
      const view = [...held.values()].map((e) => `${e.transactionHash}@${e.blockHash}`);
      expect(view).toEqual(canonical);
      if (!withRemovals) {
        // Without retractions the stream cannot take back what it delivered: it must never have
        // delivered anything of the replaced chain in the first place.
        expect(delivered.map((e) => `${e.transactionHash}@${e.blockHash}`)).toEqual(canonical);
      }
    },
  );
});
