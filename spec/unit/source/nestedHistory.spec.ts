import { getAddress } from 'ethers';
import { type Subscription } from 'rxjs';
import { createNexusEvents } from 'ogpu-events';
import { NEXUS_ADDRESS, hash32 } from '../helpers/logs';
import { runMarbles } from '../helpers/marbles';
import { MemoryChain } from '../helpers/memoryChain';

const SOURCE = getAddress(`0x${'50'.repeat(20)}`);

describe('streams subscribed from inside another stream’s delivery', () => {
  it('a stream started in the callback of a stream that was itself started in a callback still gets its history (three levels, no new block)', () => {
    const got: string[] = [];
    runMarbles((_, scheduler) => {
      const chain = new MemoryChain(scheduler);
      for (let n = 1; n <= 30; n += 1) {
        const task = getAddress(hash32(0x7a00n + BigInt(n)).slice(0, 42));
        chain.mine(n % 10 === 0 ? [{ hash: hash32(0x7000n + BigInt(n)), task, source: SOURCE }] : []);
      }
      const nexus = createNexusEvents({ rpc: chain.rpc, address: NEXUS_ADDRESS, pollInterval: 10 });
      const subscriptions: Subscription[] = [];
      subscriptions.push(
        nexus.taskPublished$(SOURCE, { fromBlock: 1 }).subscribe((a) => {
          subscriptions.push(
            nexus.taskPublished$(SOURCE, { fromBlock: a.blockNumber }).subscribe((b) => {
              subscriptions.push(
                nexus.taskPublished$(SOURCE, { fromBlock: b.blockNumber }).subscribe((c) => {
                  got.push(`${a.blockNumber}/${b.blockNumber}/${c.blockNumber}`);
                }),
              );
            }),
          );
        }),
      );
      scheduler.schedule(() => subscriptions.forEach((s) => s.unsubscribe()), 100);
    }, 200);
    // every path a ≤ b ≤ c over the three events of blocks 10, 20 and 30
    const expected: string[] = [];
    for (const a of [10, 20, 30])
      for (const b of [10, 20, 30]) for (const c of [10, 20, 30]) if (a <= b && b <= c) expected.push(`${a}/${b}/${c}`);
    expect([...got].sort()).toEqual(expected.sort());
  });
});
