import {
  InvalidAddressError,
  InvalidOptionError,
  NETWORKS,
  type NexusEvents,
  type NexusEventsOptions,
  createNexusEvents,
  logPoller$,
} from 'ogpu-events';
import {
  DEFAULT_CONFIRMATIONS,
  DEFAULT_MAX_BLOCK_RANGE,
  DEFAULT_POLL_INTERVAL,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_RETRY_INITIAL_DELAY,
  DEFAULT_RETRY_MAX_DELAY,
  resolveOptions,
} from '../../../src/client/resolveOptions';
import { NEXUS_ADDRESS } from '../helpers/logs';
import { untouchableRpc } from '../helpers/marbles';

import { baseOptions as base, thrown, untyped } from '../helpers/options';

describe('client options', () => {
  describe.each([
    ['createNexusEvents', (o: NexusEventsOptions): unknown => createNexusEvents(o)],
    ['logPoller$', (o: NexusEventsOptions): unknown => logPoller$(o)],
  ])('%s throws at the call', (_factory, create) => {
    it.each([
      ['pollInterval', -1, '-1'],
      ['pollInterval', 0, '0'],
      ['pollInterval', 0.5, '0.5'],
      ['pollInterval', Number.NaN, 'NaN'],
      ['pollInterval', Number.POSITIVE_INFINITY, 'Infinity'],
      ['pollInterval', '1000', '"1000"'],
      ['confirmations', 1.5, '1.5'],
      ['confirmations', -1, '-1'],
      ['confirmations', Number.NaN, 'NaN'],
      ['confirmations', 2 ** 53, '9007199254740992'],
      ['maxBlockRange', 0, '0'],
      ['maxBlockRange', 2.5, '2.5'],
      ['maxBlockRange', -100, '-100'],
      ['maxBlockRange', null, 'null'],
      ['network', 'goerli', '"goerli"'],
      ['network', 1071, '1071'],
    ])('an InvalidOptionError (INVALID_OPTION) for %s: %p, naming it and the value', (option, value, shown) => {
      const error = thrown(() => create(untyped({ ...base(), [option]: value })));

      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error.code).toBe('INVALID_OPTION');
      expect((error as InvalidOptionError).option).toBe(option);
      expect((error as InvalidOptionError).value).toBe(value);
      expect(error.message).toContain(`${option}: ${shown};`);
    });

    it('an InvalidOptionError for an unknown option, so that a typo never falls back to a default', () => {
      const error = thrown(() => create(untyped({ ...base(), pollIntervall: 500 })));

      expect(error.code).toBe('INVALID_OPTION');
      expect((error as InvalidOptionError).option).toBe('pollIntervall');
      expect(error.message).toMatch(/pollIntervall: 500;/);
    });

    it.each([[['rpcUrl', 'rpc']], [['rpcUrl', 'provider']], [['provider', 'rpc']], [['rpcUrl', 'provider', 'rpc']]])(
      'an InvalidOptionError when %j are given together',
      (keys) => {
        const node = {
          rpcUrl: 'http://127.0.0.1:8545',
          provider: { send: () => Promise.resolve(null) },
          rpc: untouchableRpc(),
        };
        const options: Record<string, unknown> = { address: NEXUS_ADDRESS };
        for (const key of keys) options[key] = node[key as keyof typeof node];
        const error = thrown(() => create(untyped(options)));

        expect(error.code).toBe('INVALID_OPTION');
        expect((error as InvalidOptionError).option).toBe(keys.join(' and '));
        expect(error.message).toMatch(/only one of rpcUrl, provider and rpc/);
        if (keys.includes('rpcUrl')) expect(error.message).toContain('http://127.0.0.1:8545');
      },
    );

    it.each(['ftp://example.com', 'ws://127.0.0.1:8546', 'not a url', '127.0.0.1:8545', ''])(
      'an InvalidOptionError for rpcUrl %p, which is not http(s)',
      (rpcUrl) => {
        const error = thrown(() => create({ rpcUrl, address: NEXUS_ADDRESS }));

        expect(error.code).toBe('INVALID_OPTION');
        expect((error as InvalidOptionError).option).toBe('rpcUrl');
        expect(error.message).toContain(JSON.stringify(rpcUrl));
      },
    );

    it('an InvalidOptionError when no node is given at all', () => {
      const error = thrown(() => create({ address: NEXUS_ADDRESS }));
      expect(error.code).toBe('INVALID_OPTION');
      expect((error as InvalidOptionError).option).toBe('rpcUrl');
    });

    it.each([
      ['only getLogs', { getLogs: () => [] }],
      ['the former getBlockNumber and getLogs', { getBlockNumber: () => '0x1', getLogs: () => [] }],
      ['getBlock and getLogs but no getCode', { getBlock: (): null => null, getLogs: () => [] }],
      [
        'getBlock, getLogs and a getCode that is not a function',
        { getBlock: (): null => null, getLogs: () => [], getCode: '0x' },
      ],
    ])('an InvalidOptionError for an rpc with %s, naming the three methods it needs', (_what, rpc) => {
      const error = thrown(() => create(untyped({ address: NEXUS_ADDRESS, rpc })));

      expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'rpc', value: rpc });
      expect(error.message).toContain('getBlock(block), getLogs(filter) and getCode(address)');
    });

    it('an InvalidOptionError for a provider without send', () => {
      const provider = thrown(() => create(untyped({ address: NEXUS_ADDRESS, provider: {} })));

      expect(provider).toMatchObject({ code: 'INVALID_OPTION', option: 'provider' });
    });

    it('an InvalidOptionError when the address is missing and no network supplies it', () => {
      const error = thrown(() => create({ rpc: untouchableRpc() }));

      expect(error.code).toBe('INVALID_OPTION');
      expect((error as InvalidOptionError).option).toBe('address');
      expect(error.message).toMatch(/address: undefined;/);
    });

    it.each(['0x12', 'nexus', `0x${'5A'.repeat(10)}${'5a'.repeat(10)}`])(
      'an InvalidAddressError (INVALID_ADDRESS) for the address %p',
      (address) => {
        const error = thrown(() => create({ rpc: untouchableRpc(), address }));

        expect(error).toBeInstanceOf(InvalidAddressError);
        expect(error.code).toBe('INVALID_ADDRESS');
        expect((error as InvalidAddressError).parameter).toBe('address');
        expect(error.message).toContain(JSON.stringify(address));
      },
    );

    it.each([undefined, null, 'testnet', 42])(
      'an InvalidOptionError for options %p that are not an object',
      (options) => {
        const error = thrown(() => create(options as unknown as NexusEventsOptions));
        expect(error.code).toBe('INVALID_OPTION');
        expect((error as InvalidOptionError).option).toBe('options');
      },
    );
  });

  describe('logPoller$ options of its own', () => {
    it.each([
      [-1, '-1'],
      [1.5, '1.5'],
      [Number.NaN, 'NaN'],
      ['0', '"0"'],
    ])('rejects fromBlock %p at the call', (fromBlock, shown) => {
      const error = thrown(() => logPoller$(untyped({ ...base(), fromBlock })));

      expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'fromBlock' });
      expect(error.message).toContain(`fromBlock: ${shown};`);
    });

    it('rejects an onDiagnostic that is not a function', () => {
      const error = thrown(() => logPoller$(untyped({ ...base(), onDiagnostic: 'console' })));
      expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'onDiagnostic' });
    });

    it('createNexusEvents does not take the logPoller$ options', () => {
      expect(thrown(() => createNexusEvents(untyped({ ...base(), fromBlock: 0 })))).toMatchObject({
        code: 'INVALID_OPTION',
        option: 'fromBlock',
      });
      expect(thrown(() => createNexusEvents(untyped({ ...base(), onDiagnostic: () => 0 })))).toMatchObject({
        code: 'INVALID_OPTION',
        option: 'onDiagnostic',
      });
    });

    it('accepts valid options without calling the node', () => {
      const rpc = untouchableRpc();
      expect(() =>
        logPoller$({ rpc, address: NEXUS_ADDRESS, fromBlock: 0, onDiagnostic: () => undefined, pollInterval: 1 }),
      ).not.toThrow();
      expect(rpc.calls).toEqual([]);
    });
  });

  describe('resolveOptions', () => {
    it('fills in the defaults', () => {
      const rpc = untouchableRpc();
      expect(resolveOptions({ rpc, address: NEXUS_ADDRESS })).toEqual({
        rpc,
        address: expect.objectContaining({ lower: NEXUS_ADDRESS }),
        pollInterval: DEFAULT_POLL_INTERVAL,
        confirmations: DEFAULT_CONFIRMATIONS,
        maxBlockRange: DEFAULT_MAX_BLOCK_RANGE,
        // retried forever by default, with jitter
        policy: {
          timeout: DEFAULT_REQUEST_TIMEOUT,
          maxRetries: Number.POSITIVE_INFINITY,
          initialDelay: DEFAULT_RETRY_INITIAL_DELAY,
          maxDelay: DEFAULT_RETRY_MAX_DELAY,
          random: Math.random,
        },
      });
      expect([DEFAULT_POLL_INTERVAL, DEFAULT_CONFIRMATIONS, DEFAULT_MAX_BLOCK_RANGE]).toEqual([2_000, 0, 2_000]);
      expect([DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_INITIAL_DELAY, DEFAULT_RETRY_MAX_DELAY]).toEqual([
        10_000, 250, 30_000,
      ]);
    });

    it('keeps valid values as given, including the smallest ones', () => {
      const resolved = resolveOptions({
        rpc: untouchableRpc(),
        address: NEXUS_ADDRESS,
        pollInterval: 1,
        confirmations: 0,
        maxBlockRange: 1,
      });
      expect(resolved).toMatchObject({ pollInterval: 1, confirmations: 0, maxBlockRange: 1 });
      expect(
        resolveOptions({ rpc: untouchableRpc(), address: NEXUS_ADDRESS, pollInterval: 1_500.5 }).pollInterval,
      ).toBe(1_500.5);
    });

    it.each(Object.keys(NETWORKS) as (keyof typeof NETWORKS)[])('the %s preset fills in the address', (network) => {
      const resolved = resolveOptions({ network, rpc: untouchableRpc() });
      expect(resolved.address.checksummed).toBe(NETWORKS[network].nexusAddress);
      expect(resolved.address.lower).toBe(NETWORKS[network].nexusAddress.toLowerCase());
    });

    it('an explicit address wins over the preset', () => {
      expect(resolveOptions({ network: 'mainnet', rpc: untouchableRpc(), address: NEXUS_ADDRESS }).address.lower).toBe(
        NEXUS_ADDRESS,
      );
    });

    it('the preset supplies the node when none is given, without calling it', () => {
      const resolved = resolveOptions({ network: 'testnet' });
      expect(typeof resolved.rpc.getBlock).toBe('function');
      expect(typeof resolved.rpc.getLogs).toBe('function');
      expect(typeof resolved.rpc.getCode).toBe('function');
    });

    it('a provider is wrapped, and the wrapper calls it only when asked', () => {
      const sent: string[] = [];
      const resolved = resolveOptions({
        address: NEXUS_ADDRESS,
        provider: {
          send: (method: string) => {
            sent.push(method);
            return Promise.resolve(null);
          },
        },
      });
      expect(sent).toEqual([]);
      void resolved.rpc.getBlock('latest');
      expect(sent).toEqual(['eth_getBlockByNumber']);
      void resolved.rpc.getCode(NEXUS_ADDRESS);
      expect(sent).toEqual(['eth_getBlockByNumber', 'eth_getCode']);
    });
  });
});

describe('a pollInterval beyond the 32-bit timer limit (2^31 ms, about 24.8 days)', () => {
  // Timers clamp a delay above 2^31 - 1 ms to 1 ms: accepted, such a value would poll the node every millisecond.
  it('is rejected at the call, naming the value', () => {
    const error = thrown(() => logPoller$({ rpc: untouchableRpc(), address: NEXUS_ADDRESS, pollInterval: 2 ** 31 }));
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'pollInterval', value: 2 ** 31 });
    expect(error.message).toContain(String(2 ** 31));
  });

  it('accepts the largest delay a timer can hold', () => {
    expect(() =>
      logPoller$({ rpc: untouchableRpc(), address: NEXUS_ADDRESS, pollInterval: 2 ** 31 - 1 }),
    ).not.toThrow();
  });
});

describe('stream methods', () => {
  const METHODS = [
    ['taskPublished$', 'source'],
    ['attempted$', 'task'],
    ['responseSubmitted$', 'task'],
    ['responseStatusChanged$', 'response'],
    ['taskStatusChanged$', 'task'],
    ['registered$', 'source'],
  ] as const;
  const SCOPE = `0x${'3c'.repeat(20)}`;

  let rpc: ReturnType<typeof untouchableRpc>;
  let nexus: NexusEvents;
  beforeEach(() => {
    rpc = untouchableRpc();
    nexus = createNexusEvents({ rpc, address: NEXUS_ADDRESS });
  });
  afterEach(() => {
    // validation happens at the call; nothing here is subscribed
    expect(rpc.calls).toEqual([]);
  });

  /** Calls a stream method with arguments its types would refuse. */
  const call = (method: (typeof METHODS)[number][0], scope: unknown, options?: unknown): unknown =>
    (nexus[method] as (scope: unknown, options?: unknown) => unknown)(scope, options);

  describe.each(METHODS)('%s(%s address)', (method, scopeName) => {
    it.each(['0x12', '', `0x${'3C'.repeat(10)}${'3c'.repeat(10)}`, 12, undefined])(
      'throws InvalidAddressError at the call for the scope %p, naming the method and parameter',
      (scope) => {
        const error = thrown(() => call(method, scope));

        expect(error).toBeInstanceOf(InvalidAddressError);
        expect(error.code).toBe('INVALID_ADDRESS');
        expect((error as InvalidAddressError).parameter).toBe(`${method} ${scopeName} address`);
        expect(error.message).toContain(`${method} ${scopeName} address`);
      },
    );

    it.each([
      [{ fromBlock: -1 }, `${method} fromBlock`, '-1'],
      [{ fromBlock: 1.5 }, `${method} fromBlock`, '1.5'],
      [{ fromBlock: Number.NaN }, `${method} fromBlock`, 'NaN'],
      [{ fromBlock: '100' }, `${method} fromBlock`, '"100"'],
      [{ fromBlok: 1 }, `${method} fromBlok`, '1'],
      [{ withRemovals: 'yes' }, `${method} withRemovals`, '"yes"'],
      [{ withRemovals: 1 }, `${method} withRemovals`, '1'],
      [null, `${method} options`, 'null'],
      [100, `${method} options`, '100'],
    ])('throws InvalidOptionError at the call for options %p', (options, option, shown) => {
      const error = thrown(() => call(method, SCOPE, options));

      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error.code).toBe('INVALID_OPTION');
      expect((error as InvalidOptionError).option).toBe(option);
      expect(error.message).toContain(`${option}: ${shown};`);
    });

    it('returns a cold observable for valid arguments, in any address case, without calling the node', () => {
      expect(typeof (call(method, SCOPE) as { subscribe: unknown }).subscribe).toBe('function');
      expect(() => call(method, SCOPE.toUpperCase().replace('0X', '0x'), { fromBlock: 0 })).not.toThrow();
      expect(() => call(method, SCOPE, {})).not.toThrow();
      expect(() => call(method, SCOPE, { fromBlock: 0, withRemovals: true })).not.toThrow();
      expect(() => call(method, SCOPE, { withRemovals: false })).not.toThrow();
    });
  });

  it('the client object is frozen', () => {
    expect(Object.isFrozen(nexus)).toBe(true);
  });
});
