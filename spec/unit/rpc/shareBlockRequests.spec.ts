import { from, of } from 'rxjs';
import type { GetLogsFilter, NexusRpc } from 'ogpu-events';
import { shareBlockRequests } from '../../../src/rpc/shareBlockRequests';
import { runMarbles } from '../helpers/marbles';

/** A header as the node answers it; only its number matters here. */
const header = (n: number) => ({ number: `0x${n.toString(16)}`, hash: `0x${n.toString(16).padStart(64, '0')}` });

/** An rpc with the given getBlock; its getLogs and getCode answer at once. */
const rpcWithHead = (getBlock: NexusRpc['getBlock']): NexusRpc => ({
  getBlock,
  getLogs: () => of([]),
  getCode: () => of('0x60'),
});

describe('shareBlockRequests', () => {
  it("makes concurrent getBlock('latest') calls share one request in flight, all receiving its answer", () => {
    let requests = 0;
    runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold('---(a|)', { a: header(16) });
      const rpc = shareBlockRequests(
        rpcWithHead(() => {
          requests += 1;
          return answer;
        }),
      );
      expectObservable(from(rpc.getBlock('latest')), '^').toBe('---(a|)', { a: header(16) });
      expectObservable(from(rpc.getBlock('latest')), '-^').toBe('---(a|)', { a: header(16) });
      expectObservable(from(rpc.getBlock('latest')), '--^').toBe('---(a|)', { a: header(16) });
      expectSubscriptions(answer.subscriptions).toBe('^--!');
    });

    expect(requests).toBe(1);
  });

  it('makes a new request for a call after the previous request completed', () => {
    let requests = 0;
    runMarbles(({ cold, expectObservable }) => {
      const rpc = shareBlockRequests(
        rpcWithHead(() => {
          requests += 1;
          return cold('-(a|)', { a: requests });
        }),
      );
      expectObservable(from(rpc.getBlock('latest')), '^').toBe('-(a|)', { a: 1 });
      expectObservable(from(rpc.getBlock('latest')), '-----^').toBe('------(b|)', { b: 2 });
    });

    expect(requests).toBe(2);
  });

  it('makes a new request after a failed one, and shares the failure with the calls that were waiting', () => {
    let requests = 0;
    const failure = new Error('timeout');
    runMarbles(({ cold, expectObservable }) => {
      const rpc = shareBlockRequests(
        rpcWithHead(() => {
          requests += 1;
          return requests === 1 ? cold('--#', undefined, failure) : cold('-(a|)', { a: header(17) });
        }),
      );
      expectObservable(from(rpc.getBlock('latest')), '^').toBe('--#', undefined, failure);
      expectObservable(from(rpc.getBlock('latest')), '-^').toBe('--#', undefined, failure);
      expectObservable(from(rpc.getBlock('latest')), '----^').toBe('-----(a|)', { a: header(17) });
    });

    expect(requests).toBe(2);
  });

  it('cancels the request when every caller has unsubscribed, and the next call requests anew', () => {
    let requests = 0;
    runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold('-----(a|)', { a: header(16) });
      const rpc = shareBlockRequests(
        rpcWithHead(() => {
          requests += 1;
          return answer;
        }),
      );
      expectObservable(from(rpc.getBlock('latest')), '^-!').toBe('');
      expectObservable(from(rpc.getBlock('latest')), '---^').toBe('--------(a|)', { a: header(16) });
      expectSubscriptions(answer.subscriptions).toBe(['^-!', '---^----!']);
    });

    expect(requests).toBe(2);
  });

  it('makes no request until an answer is subscribed to', () => {
    let requests = 0;
    const rpc = shareBlockRequests(
      rpcWithHead(() => {
        requests += 1;
        return of(header(1));
      }),
    );
    rpc.getBlock('latest');
    rpc.getBlock('latest');
    expect(requests).toBe(0);
  });

  it('shares concurrent requests for the same numbered block, and keeps different blocks and the head apart', () => {
    const requested: (number | 'latest')[] = [];
    runMarbles(({ cold, expectObservable }) => {
      const rpc = shareBlockRequests(
        rpcWithHead((block) => {
          requested.push(block);
          return cold('--(a|)', { a: block === 'latest' ? header(20) : header(block) });
        }),
      );
      expectObservable(from(rpc.getBlock('latest')), '^').toBe('--(a|)', { a: header(20) });
      expectObservable(from(rpc.getBlock(12)), '^').toBe('--(a|)', { a: header(12) });
      // joins the request for 12 in flight: answered with it
      expectObservable(from(rpc.getBlock(12)), '-^').toBe('--(a|)', { a: header(12) });
      expectObservable(from(rpc.getBlock(13)), '-^').toBe('---(a|)', { a: header(13) });
      // after the first request for 12 completed: a new one
      expectObservable(from(rpc.getBlock(12)), '---^').toBe('-----(a|)', { a: header(12) });
    });

    expect(requested).toEqual(['latest', 12, 13, 12]);
  });

  it('passes getLogs and getCode through unshared, with their arguments unchanged', () => {
    const filters: GetLogsFilter[] = [];
    const addresses: string[] = [];
    const inner: NexusRpc = {
      getBlock: () => of(header(1)),
      getLogs: (filter) => {
        filters.push(filter);
        return of([filter.fromBlock]);
      },
      getCode: (address) => {
        addresses.push(address);
        return of('0x60');
      },
    };
    const rpc = shareBlockRequests(inner);
    const filter: GetLogsFilter = {
      address: `0x${'11'.repeat(20)}`,
      topics: [[`0x${'22'.repeat(32)}`]],
      fromBlock: 3,
      toBlock: 9,
    };
    const answers: unknown[] = [];
    from(rpc.getLogs(filter)).subscribe((a) => answers.push(a));
    from(rpc.getLogs(filter)).subscribe((a) => answers.push(a));
    from(rpc.getCode(filter.address)).subscribe((a) => answers.push(a));
    from(rpc.getCode(filter.address)).subscribe((a) => answers.push(a));

    expect(filters).toEqual([filter, filter]);
    expect(filters[0]).toBe(filter);
    expect(addresses).toEqual([filter.address, filter.address]);
    expect(answers).toEqual([[3], [3], '0x60', '0x60']);
  });
});
