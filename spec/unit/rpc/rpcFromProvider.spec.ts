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

  it("asks for the head with eth_getBlockByNumber('latest', false) and returns the raw answer", async () => {
    const head = { number: '0x1a', hash: `0x${'11'.repeat(32)}`, parentHash: `0x${'10'.repeat(32)}` };
    const { sent, provider } = recordingProvider(head);
    await expect(rpcFromProvider(provider).getBlock('latest')).resolves.toBe(head);
    expect(sent).toEqual([['eth_getBlockByNumber', ['latest', false]]]);
  });

  it.each([
    [0, '0x0'],
    [26, '0x1a'],
    [4_096, '0x1000'],
  ])('asks for block %p with eth_getBlockByNumber(%p, false), without transactions', async (block, quantity) => {
    const { sent, provider } = recordingProvider(null);
    await expect(rpcFromProvider(provider).getBlock(block)).resolves.toBeNull();
    expect(sent).toEqual([['eth_getBlockByNumber', [quantity, false]]]);
  });

  it("asks for the code with eth_getCode(address, 'latest') and returns the raw answer", async () => {
    const { sent, provider } = recordingProvider('0x6080');
    const address = `0x${'12'.repeat(20)}`;
    await expect(rpcFromProvider(provider).getCode(address)).resolves.toBe('0x6080');
    expect(sent).toEqual([['eth_getCode', [address, 'latest']]]);
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
