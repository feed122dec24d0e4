import { from, of } from 'rxjs';
import type { GetLogsFilter, NexusRpc } from 'ogpu-events';
import { shareBlockNumberRequests } from '../../../src/rpc/shareBlockNumberRequests';
import { runMarbles } from '../helpers/marbles';

describe('shareBlockNumberRequests', () => {
  it('makes concurrent getBlockNumber calls share one request in flight, all receiving its answer', () => {
    let requests = 0;
    runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold('---(a|)', { a: '0x10' });
      const rpc = shareBlockNumberRequests({
        getBlockNumber: () => {
          requests += 1;
          return answer;
        },
        getLogs: () => of([]),
      });
      expectObservable(from(rpc.getBlockNumber()), '^').toBe('---(a|)', { a: '0x10' });
      expectObservable(from(rpc.getBlockNumber()), '-^').toBe('---(a|)', { a: '0x10' });
      expectObservable(from(rpc.getBlockNumber()), '--^').toBe('---(a|)', { a: '0x10' });
      expectSubscriptions(answer.subscriptions).toBe('^--!');
    });

    expect(requests).toBe(1);
  });

  it('makes a new request for a call after the previous request completed', () => {
    let requests = 0;
    runMarbles(({ cold, expectObservable }) => {
      const rpc = shareBlockNumberRequests({
        getBlockNumber: () => {
          requests += 1;
          return cold('-(a|)', { a: requests });
        },
        getLogs: () => of([]),
      });
      expectObservable(from(rpc.getBlockNumber()), '^').toBe('-(a|)', { a: 1 });
      expectObservable(from(rpc.getBlockNumber()), '-----^').toBe('------(b|)', { b: 2 });
    });

    expect(requests).toBe(2);
  });

  it('makes a new request after a failed one, and shares the failure with the calls that were waiting', () => {
    let requests = 0;
    const failure = new Error('timeout');
    runMarbles(({ cold, expectObservable }) => {
      const rpc = shareBlockNumberRequests({
        getBlockNumber: () => {
          requests += 1;
          return requests === 1 ? cold('--#', undefined, failure) : cold('-(a|)', { a: '0x11' });
        },
        getLogs: () => of([]),
      });
      expectObservable(from(rpc.getBlockNumber()), '^').toBe('--#', undefined, failure);
      expectObservable(from(rpc.getBlockNumber()), '-^').toBe('--#', undefined, failure);
      expectObservable(from(rpc.getBlockNumber()), '----^').toBe('-----(a|)', { a: '0x11' });
    });

    expect(requests).toBe(2);
  });

  it('cancels the request when every caller has unsubscribed, and the next call requests anew', () => {
    let requests = 0;
    runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold('-----(a|)', { a: '0x10' });
      const rpc = shareBlockNumberRequests({
        getBlockNumber: () => {
          requests += 1;
          return answer;
        },
        getLogs: () => of([]),
      });
      expectObservable(from(rpc.getBlockNumber()), '^-!').toBe('');
      expectObservable(from(rpc.getBlockNumber()), '---^').toBe('--------(a|)', { a: '0x10' });
      expectSubscriptions(answer.subscriptions).toBe(['^-!', '---^----!']);
    });

    expect(requests).toBe(2);
  });

  it('makes no request until an answer is subscribed to', () => {
    let requests = 0;
    const rpc = shareBlockNumberRequests({
      getBlockNumber: () => {
        requests += 1;
        return of('0x1');
      },
      getLogs: () => of([]),
    });
    rpc.getBlockNumber();
    rpc.getBlockNumber();
    expect(requests).toBe(0);
  });

  it('passes getLogs through unshared, with the filter unchanged', () => {
    const filters: GetLogsFilter[] = [];
    const inner: NexusRpc = {
      getBlockNumber: () => of('0x1'),
      getLogs: (filter) => {
        filters.push(filter);
        return of([filter.fromBlock]);
      },
    };
    const rpc = shareBlockNumberRequests(inner);
    const filter: GetLogsFilter = {
      address: `0x${'11'.repeat(20)}`,
      topics: [[`0x${'22'.repeat(32)}`]],
      fromBlock: 3,
      toBlock: 9,
    };
    const answers: unknown[] = [];
    from(rpc.getLogs(filter)).subscribe((a) => answers.push(a));
    from(rpc.getLogs(filter)).subscribe((a) => answers.push(a));

    expect(filters).toEqual([filter, filter]);
    expect(filters[0]).toBe(filter);
    expect(answers).toEqual([[3], [3]]);
  });
});
