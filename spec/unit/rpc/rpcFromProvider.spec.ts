import { rpcFromProvider } from 'ogpu-events';

describe('rpcFromProvider', () => {
  function recordingProvider(answer: unknown) {
    const sent: [string, unknown[]][] = [];
    return {
      sent,
      provider: {
        send: (method: string, params: unknown[]) => {
          sent.push([method, params]);
          return Promise.resolve(answer);
        },
      },
    };
  }

  it('sends eth_blockNumber with no params and returns the raw answer', async () => {
    const { sent, provider } = recordingProvider('0x1a');
    await expect(rpcFromProvider(provider).getBlockNumber()).resolves.toBe('0x1a');
    expect(sent).toEqual([['eth_blockNumber', []]]);
  });

  it('sends eth_getLogs with the block range as hex quantities and the filter otherwise unchanged', async () => {
    const logs = [{ any: 'thing' }];
    const { sent, provider } = recordingProvider(logs);
    const topics = [[`0x${'ab'.repeat(32)}`, `0x${'cd'.repeat(32)}`]];
    const address = `0x${'12'.repeat(20)}`;

    await expect(rpcFromProvider(provider).getLogs({ address, topics, fromBlock: 0, toBlock: 4_095 })).resolves.toBe(
      logs,
    );
    expect(sent).toEqual([['eth_getLogs', [{ address, topics, fromBlock: '0x0', toBlock: '0xfff' }]]]);
  });

  it('calls nothing until a method is called', () => {
    const { sent, provider } = recordingProvider(null);
    rpcFromProvider(provider);
    expect(sent).toEqual([]);
  });
});
