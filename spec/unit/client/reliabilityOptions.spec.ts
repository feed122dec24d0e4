import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { from, lastValueFrom } from 'rxjs';
import { InvalidOptionError, type NexusEventsOptions, createNexusEvents, logPoller$ } from 'ogpu-events';
import {
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_RETRY_INITIAL_DELAY,
  DEFAULT_RETRY_MAX_DELAY,
  resolveOptions,
} from '../../../src/client/resolveOptions';
import { NEXUS_ADDRESS } from '../helpers/logs';
import { untouchableRpc } from '../helpers/marbles';

import { baseOptions as base, thrown, untyped } from '../helpers/options';

const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** `[option named by the error, extra options, rejected value, the value as the message shows it]` */
const INVALID: readonly [string, Record<string, unknown>, unknown, string][] = [
  ...(
    [
      [0, '0'],
      [-1, '-1'],
      [0.5, '0.5'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [Number.NEGATIVE_INFINITY, '-Infinity'],
      [2 ** 31, '2147483648'],
      ['10000', '"10000"'],
      [null, 'null'],
      [true, 'true'],
    ] as const
  ).map(([value, shown]): [string, Record<string, unknown>, unknown, string] => [
    'requestTimeout',
    { requestTimeout: value },
    value,
    shown,
  ]),
  ...(
    [
      [null, 'null'],
      [5, '5'],
      ['fast', '"fast"'],
      [true, 'true'],
    ] as const
  ).map(([value, shown]): [string, Record<string, unknown>, unknown, string] => [
    'retry',
    { retry: value },
    value,
    shown,
  ]),
  ...(
    [
      [-1, '-1'],
      [1.5, '1.5'],
      [Number.NaN, 'NaN'],
      [Number.NEGATIVE_INFINITY, '-Infinity'],
      [2 ** 53, '9007199254740992'],
      ['3', '"3"'],
      [null, 'null'],
    ] as const
  ).map(([value, shown]): [string, Record<string, unknown>, unknown, string] => [
    'retry.maxRetries',
    { retry: { maxRetries: value } },
    value,
    shown,
  ]),
  ...(['initialDelay', 'maxDelay'] as const).flatMap((key) =>
    (
      [
        [-1, '-1'],
        [Number.NaN, 'NaN'],
        [Number.POSITIVE_INFINITY, 'Infinity'],
        [2 ** 31, '2147483648'],
        ['250', '"250"'],
        [null, 'null'],
      ] as const
    ).map(([value, shown]): [string, Record<string, unknown>, unknown, string] => [
      `retry.${key}`,
      // a large maxDelay, so that an initialDelay is judged on its own
      { retry: key === 'initialDelay' ? { initialDelay: value, maxDelay: MAX_TIMER_DELAY } : { maxDelay: value } },
      value,
      shown,
    ]),
  ),
];

describe('reliability options: requestTimeout and retry', () => {
  describe.each([
    ['createNexusEvents', (o: NexusEventsOptions): unknown => createNexusEvents(o)],
    ['logPoller$', (o: NexusEventsOptions): unknown => logPoller$(o)],
  ])('%s throws at the call', (_factory, create) => {
    it.each(INVALID)('an InvalidOptionError naming %s for %j, quoting the value', (option, extra, value, shown) => {
      const rpc = untouchableRpc();
      const error = thrown(() => create(untyped({ ...base(), rpc, ...extra })));

      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error.code).toBe('INVALID_OPTION');
      expect((error as InvalidOptionError).option).toBe(option);
      expect((error as InvalidOptionError).value).toBe(value);
      expect(error.message).toContain(`${option}: ${shown};`);
      expect(rpc.calls).toEqual([]);
    });

    it('an InvalidOptionError for a retry that is a function', () => {
      const error = thrown(() => create(untyped({ ...base(), retry: () => 3 })));
      expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'retry' });
      expect(error.message).toContain('retry: a function;');
    });

    it.each([
      ['retries', 3, '3'],
      ['maxRetry', 3, '3'],
      ['initialDelayMs', 100, '100'],
      ['jitter', false, 'false'],
    ])(
      'an InvalidOptionError for the unknown retry key %p, so that a typo never falls back to a default',
      (key, value, shown) => {
        const error = thrown(() => create(untyped({ ...base(), retry: { maxRetries: 1, [key]: value } })));

        expect(error).toMatchObject({ code: 'INVALID_OPTION', option: `retry.${key}`, value });
        expect(error.message).toContain(`retry.${key}: ${shown};`);
        expect(error.message).toContain('retry.maxRetries, retry.initialDelay, retry.maxDelay');
      },
    );

    it('an InvalidOptionError naming retry.maxDelay when it is below retry.initialDelay, quoting both', () => {
      const error = thrown(() => create(untyped({ ...base(), retry: { initialDelay: 1_000, maxDelay: 500 } })));

      expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'retry.maxDelay', value: 500 });
      expect(error.message).toContain('retry.maxDelay: 500;');
      expect(error.message).toContain('1000');
    });

    it.each<[string, Record<string, unknown>]>([
      ['the smallest requestTimeout', { requestTimeout: 1 }],
      ['a fractional requestTimeout', { requestTimeout: 1_500.5 }],
      ['the largest requestTimeout a timer holds', { requestTimeout: MAX_TIMER_DELAY }],
      ['an empty retry', { retry: {} }],
      ['no retries', { retry: { maxRetries: 0 } }],
      ['retries without end', { retry: { maxRetries: Number.POSITIVE_INFINITY } }],
      ['the largest safe maxRetries', { retry: { maxRetries: Number.MAX_SAFE_INTEGER } }],
      ['no delay at all', { retry: { initialDelay: 0, maxDelay: 0 } }],
      ['fractional delays', { retry: { initialDelay: 0.5, maxDelay: 1.5 } }],
      ['the largest delays a timer holds', { retry: { initialDelay: MAX_TIMER_DELAY, maxDelay: MAX_TIMER_DELAY } }],
      ['equal delays', { retry: { initialDelay: 1_000, maxDelay: 1_000 } }],
      ['an initialDelay above the default maxDelay', { retry: { initialDelay: 60_000 } }],
      [
        'options set to undefined',
        { requestTimeout: undefined, retry: { maxRetries: undefined, initialDelay: undefined, maxDelay: undefined } },
      ],
      ['retry set to undefined', { retry: undefined }],
    ])('accepts %s without calling the node', (_what, extra) => {
      const rpc = untouchableRpc();
      expect(() => create(untyped({ ...base(), rpc, ...extra }))).not.toThrow();
      expect(rpc.calls).toEqual([]);
    });
  });

  describe('the policy resolveOptions builds', () => {
    const policyOf = (extra: Record<string, unknown>) => resolveOptions({ ...base(), ...extra }).policy;

    it('defaults to a 10 s timeout and retrying forever, 250 ms doubling to 30 s, with Math.random as jitter', () => {
      expect([DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_INITIAL_DELAY, DEFAULT_RETRY_MAX_DELAY]).toEqual([
        10_000, 250, 30_000,
      ]);
      expect(policyOf({})).toEqual({
        timeout: 10_000,
        maxRetries: Number.POSITIVE_INFINITY,
        initialDelay: 250,
        maxDelay: 30_000,
        random: Math.random,
      });
      expect(policyOf({ retry: {} })).toEqual(policyOf({}));
    });

    it('keeps the values given', () => {
      expect(
        policyOf({ requestTimeout: 2_500, retry: { maxRetries: 5, initialDelay: 1_000, maxDelay: 8_000 } }),
      ).toMatchObject({ timeout: 2_500, maxRetries: 5, initialDelay: 1_000, maxDelay: 8_000 });
      expect(policyOf({ retry: { maxRetries: 0 } }).maxRetries).toBe(0);
      expect(policyOf({ retry: { maxRetries: Number.POSITIVE_INFINITY } }).maxRetries).toBe(Number.POSITIVE_INFINITY);
    });

    it('fills in each retry key alone', () => {
      expect(policyOf({ retry: { maxRetries: 3 } })).toMatchObject({
        maxRetries: 3,
        initialDelay: 250,
        maxDelay: 30_000,
      });
      expect(policyOf({ retry: { initialDelay: 100 } })).toMatchObject({
        maxRetries: Number.POSITIVE_INFINITY,
        initialDelay: 100,
        maxDelay: 30_000,
      });
      expect(policyOf({ retry: { maxDelay: 5_000 } })).toMatchObject({ initialDelay: 250, maxDelay: 5_000 });
    });

    it('raises the default maxDelay to an initialDelay above it', () => {
      expect(policyOf({ retry: { initialDelay: 60_000 } })).toMatchObject({ initialDelay: 60_000, maxDelay: 60_000 });
    });

    it('takes requestTimeout as the timeout of every request, whatever the transport', () => {
      expect(policyOf({ requestTimeout: 750 }).timeout).toBe(750);
      const provider = { send: () => Promise.resolve(null) };
      expect(resolveOptions({ address: NEXUS_ADDRESS, provider, requestTimeout: 750 }).policy.timeout).toBe(750);
    });
  });

  describe('requestTimeout is also the HTTP timeout of the provider built for rpcUrl', () => {
    it('abandons a request the node never answers after requestTimeout, not after ethers’ 5 minutes', async () => {
      const server = createServer((request) => request.resume()); // never answers
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const rpcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const { rpc } = resolveOptions({ rpcUrl, address: NEXUS_ADDRESS, requestTimeout: 200 });
        const started = Date.now();

        await expect(lastValueFrom(from(rpc.getBlock('latest')))).rejects.toMatchObject({ code: 'TIMEOUT' });
        expect(Date.now() - started).toBeLessThan(3_000);
      } finally {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      }
    }, 10_000);
  });
});
