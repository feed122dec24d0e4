import fc from 'fast-check';
import { getAddress } from 'ethers';
import { InvalidAddressError, OgpuEventsError } from 'ogpu-events';
import { ChecksumTable } from '../../../src/internal/ChecksumTable';
import { eip55Checksum } from '../../../src/internal/eip55';
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

describe('ChecksumTable', () => {
  /** eip55Checksum, counting its calls. */
  function counted(): { compute: (hex40: string) => string; calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      compute: (hex40) => {
        calls.push(hex40);
        return eip55Checksum(hex40);
      },
    };
  }
  const digits = (prefix: string, fill: string): string => (prefix + fill.repeat(40)).slice(0, 40);

  it('checksums an address once and then answers from its slot', () => {
    const { compute, calls } = counted();
    const table = new ChecksumTable(16, compute);
    const hex40 = digits('2b0c', 'c6');
    expect(table.get(hex40)).toBe(getAddress(`0x${hex40}`));
    expect(table.get(hex40)).toBe(getAddress(`0x${hex40}`));
    expect(calls).toEqual([hex40]);
  });

  it('gives each of two addresses sharing a slot its own checksum, the later one replacing the earlier', () => {
    const { compute, calls } = counted();
    const table = new ChecksumTable(16, compute);
    const a = digits('abcd', '1');
    const b = digits('abcd', 'f'); // same first four digits: same slot
    expect(table.get(a)).toBe(getAddress(`0x${a}`));
    expect(table.get(b)).toBe(getAddress(`0x${b}`));
    expect(table.get(b)).toBe(getAddress(`0x${b}`));
    expect(table.get(a)).toBe(getAddress(`0x${a}`)); // was replaced: computed again
    expect(calls).toEqual([a, b, a]);
  });

  it('agrees with ethers getAddress on any address, also with a table of 2 slots where most lookups collide', () => {
    const table = new ChecksumTable(1, eip55Checksum);
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[0-9a-f]{40}$/), { minLength: 1, maxLength: 20 }), (addresses) => {
        for (const hex40 of [...addresses, ...addresses.reverse()]) {
          expect(table.get(hex40)).toBe(getAddress(`0x${hex40}`));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads the digits of an address word in place (getAt), hashing only on a miss, and agrees with get', () => {
    const { compute, calls } = counted();
    const table = new ChecksumTable(16, compute);
    const fc2 = digits('fc20', '9e');
    const word = (hex40: string): string => `0x${'0'.repeat(24)}${hex40}${'1'.repeat(64)}`;
    expect(table.getAt(word(fc2), 26)).toBe(getAddress(`0x${fc2}`));
    expect(table.getAt(`${'7'.repeat(64)}${word(fc2)}`, 90)).toBe(getAddress(`0x${fc2}`)); // a hit, further in
    expect(table.get(fc2)).toBe(getAddress(`0x${fc2}`));
    expect(calls).toEqual([fc2]);
    const other = digits('fc20', '01'); // same slot, other address: hashed from its own digits
    expect(table.getAt(word(other), 26)).toBe(getAddress(`0x${other}`));
    expect(calls).toEqual([fc2, other]);
  });

  it('refuses an index size outside 1 to 16 bits, naming it', () => {
    expect(() => new ChecksumTable(0, eip55Checksum)).toThrow(/from 1 to 16, got 0/);
    expect(() => new ChecksumTable(17, eip55Checksum)).toThrow(/got 17/);
    expect(() => new ChecksumTable(1.5, eip55Checksum)).toThrow(/got 1.5/);
  });
});
