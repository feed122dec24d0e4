import fc from 'fast-check';
import { getAddress } from 'ethers';
import { InvalidAddressError, OgpuEventsError } from 'ogpu-events';
import { BoundedCache } from '../../../src/internal/BoundedCache';
import { checksumHex40, normalizeAddress } from '../../../src/internal/address';

const CHECKSUMMED = '0x2b0cC6058313801D5feb184a539e3a0C5A87a6a1';
const LOWER = CHECKSUMMED.toLowerCase();
const HEX40 = LOWER.slice(2);

/** The error `normalizeAddress` throws for `value`. */
function rejection(value: unknown, parameter = 'address'): InvalidAddressError {
  try {
    normalizeAddress(value, parameter);
  } catch (error) {
    if (error instanceof InvalidAddressError) return error;
    throw error;
  }
  throw new Error(`${String(value)} was accepted`);
}

describe('normalizeAddress', () => {
  it.each([
    ['lower case', LOWER],
    ['upper case', `0x${HEX40.toUpperCase()}`],
    ['EIP-55 checksummed', CHECKSUMMED],
  ])('accepts an address in %s and returns its three forms', (_what, input) => {
    expect(normalizeAddress(input, 'address')).toEqual({ checksummed: CHECKSUMMED, lower: LOWER, hex40: HEX40 });
  });

  it('agrees with ethers getAddress on the checksum of any address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
        const lower = `0x${Buffer.from(bytes).toString('hex')}`;
        expect(normalizeAddress(lower, 'x').checksummed).toBe(getAddress(lower));
        expect(normalizeAddress(getAddress(lower), 'x').lower).toBe(lower);
      }),
    );
  });

  it('rejects a mixed-case address with a wrong checksum, naming the parameter, the value and the right checksum', () => {
    const wrong = CHECKSUMMED.replace('cC', 'Cc');
    const error = rejection(wrong, 'taskStatusChanged$ task address');

    expect(error).toBeInstanceOf(OgpuEventsError);
    expect(error.code).toBe('INVALID_ADDRESS');
    expect(error.parameter).toBe('taskStatusChanged$ task address');
    expect(error.value).toBe(wrong);
    expect(error.message).toContain('taskStatusChanged$ task address');
    expect(error.message).toContain(`"${wrong}"`);
    expect(error.message).toContain(CHECKSUMMED);
  });

  it.each([
    ['too short', '0x1234'],
    ['one digit short', LOWER.slice(0, -1)],
    ['one digit long', `${LOWER}0`],
    ['without 0x', HEX40],
    ['with a 0X prefix', `0X${HEX40}`],
    ['with a non-hex digit', `0x${HEX40.slice(0, -1)}g`],
    ['with surrounding spaces', ` ${LOWER} `],
    ['empty', ''],
  ])('rejects an address %s with InvalidAddressError naming the parameter and value', (_what, value) => {
    const error = rejection(value, 'source address');

    expect(error.code).toBe('INVALID_ADDRESS');
    expect(error.parameter).toBe('source address');
    expect(error.value).toBe(value);
    expect(error.message).toContain('source address');
    expect(error.message).toContain(JSON.stringify(value));
  });

  it.each([undefined, null, 42, 0x1234n, {}, [LOWER]])('rejects the non-string %p', (value) => {
    const error = rejection(value);

    expect(error.code).toBe('INVALID_ADDRESS');
    expect(error.value).toBe(value);
    expect(error.message).toMatch(/is not a string/);
  });
});

describe('checksumHex40', () => {
  it('returns the EIP-55 form of 40 lower-case hex digits', () => {
    expect(checksumHex40(HEX40)).toBe(CHECKSUMMED);
  });

  it.each([
    ['all zeros', '0'.repeat(40)],
    ['all f', 'f'.repeat(40)],
    ['0x…0001', `${'0'.repeat(39)}1`],
  ])('agrees with ethers getAddress on %s', (_what, hex40) => {
    expect(checksumHex40(hex40)).toBe(getAddress(`0x${hex40}`));
  });

  it('agrees with ethers getAddress on thousands of addresses, computed and then cached', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
        const hex40 = Buffer.from(bytes).toString('hex');
        const expected = getAddress(`0x${hex40}`);
        expect(checksumHex40(hex40)).toBe(expected);
        expect(checksumHex40(hex40)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('BoundedCache', () => {
  it('computes a value once and then returns it from the cache', () => {
    const cache = new BoundedCache<string, number>(2);
    let computed = 0;
    const compute = (key: string): number => {
      computed += 1;
      return key.length;
    };
    expect(cache.getOrCompute('abc', compute)).toBe(3);
    expect(cache.getOrCompute('abc', compute)).toBe(3);
    expect(computed).toBe(1);
  });

  it('holds at most capacity entries however many keys go through it', () => {
    const cache = new BoundedCache<number, number>(100);
    for (let key = 0; key < 10_000; key += 1) {
      cache.getOrCompute(key, (k) => k * 10);
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.size).toBeGreaterThanOrEqual(50);
  });

  it('keeps the keys of the last capacity / 2 insertions, and a key in use however old', () => {
    const cache = new BoundedCache<number, number>(4);
    const computed: number[] = [];
    const compute = (key: number): number => {
      computed.push(key);
      return key * 10;
    };
    for (const key of [1, 2, 3, 4, 5, 6]) cache.getOrCompute(key, compute);
    expect(cache.getOrCompute(5, compute)).toBe(50); // among the last two: cached
    expect(cache.getOrCompute(6, compute)).toBe(60);
    expect(computed).toEqual([1, 2, 3, 4, 5, 6]);

    for (const key of [7, 8, 9, 10]) {
      cache.getOrCompute(key, compute);
      cache.getOrCompute(5, compute); // in use: survives the generations
    }
    expect(computed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    cache.getOrCompute(1, compute); // unused for a whole generation: forgotten, computed again
    expect(computed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1]);
  });

  it('refuses a capacity below 2, naming it', () => {
    expect(() => new BoundedCache(1)).toThrow(/at least 2, got 1/);
    expect(() => new BoundedCache(Number.NaN)).toThrow(/got NaN/);
  });
});
