import { InvalidOptionError, OgpuEventsError, rpcFromProvider, toAsyncIterable } from 'ogpu-events';
import { of } from 'rxjs';

/** Calls `fn` and returns what it threw. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('public entry points reject bad arguments at the call', () => {
  it.each([undefined, null, 42, 'stream', {}, { subscribe: 'no' }, [1, 2]])(
    'toAsyncIterable(%p) throws an InvalidOptionError naming the value',
    (value) => {
      const error = thrownBy(() => toAsyncIterable(value as never));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toBeInstanceOf(OgpuEventsError);
      expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'toAsyncIterable source', value });
      expect((error as Error).message).toContain('an Observable');
    },
  );

  it('toAsyncIterable accepts any subscribable', async () => {
    const values: number[] = [];
    for await (const value of toAsyncIterable(of(1, 2, 3))) values.push(value);
    expect(values).toEqual([1, 2, 3]);
  });

  it.each([undefined, null, 'http://127.0.0.1:8545', {}, { send: 'eth_getLogs' }])(
    'rpcFromProvider(%p) throws an InvalidOptionError naming the value',
    (value) => {
      const error = thrownBy(() => rpcFromProvider(value as never));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'provider', value });
      expect((error as InvalidOptionError).shortMessage).toContain('send(method, params)');
    },
  );
});
