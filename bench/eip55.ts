/**
 * EIP-55 checksums of distinct addresses: ogpu-events' own one-block keccak
 * (`eip55Checksum`, uncached) against ethers v6 `getAddress` and viem `checksumAddress`.
 *
 * Run alone: npm run bench -- --only eip55
 */
import { cpus, loadavg } from 'node:os';
import { getAddress, version as ethersVersion } from 'ethers';
import { checksumAddress } from 'viem';
import { eip55Checksum } from '../src/internal/eip55.js';
import { wasmEip55Checksum } from '../src/internal/eip55Wasm.js';
import type { BenchOptions, BenchSection } from './BenchSection.js';
import { formatRatio, median } from './support/stats.js';
import { createPrng, randomHex } from './support/syntheticLogs.js';
import { viemVersion } from './support/viemVersion';

const FULL_ADDRESSES = 50_000;
const QUICK_ADDRESSES = 20_000;

interface Implementation {
  readonly name: string;
  /** Checksums `addresses` into `output`, one call per address. */
  readonly checksumAll: (addresses: readonly string[], output: string[]) => void;
}

// Each implementation has a loop of its own, so that its call site sees one function
// only (V8 optimises a call site per function it has seen there; a shared loop would
// become polymorphic and favour whichever ran first).
const wasm = wasmEip55Checksum;
const USED =
  wasm === undefined ? 'ogpu-events eip55Checksum (JavaScript; uncached)' : 'ogpu-events wasmEip55Checksum (uncached)';
const IMPLEMENTATIONS: readonly Implementation[] = [
  ...(wasm === undefined
    ? []
    : [
        {
          name: USED,
          checksumAll: (addresses: readonly string[], output: string[]) => {
            for (let i = 0; i < addresses.length; i++) output[i] = wasm(addresses[i] as string);
          },
        },
      ]),
  {
    name: 'ogpu-events eip55Checksum (JavaScript; uncached)',
    checksumAll: (addresses, output) => {
      for (let i = 0; i < addresses.length; i++) output[i] = eip55Checksum(addresses[i] as string);
    },
  },
  {
    name: 'ethers getAddress',
    checksumAll: (addresses, output) => {
      for (let i = 0; i < addresses.length; i++) output[i] = getAddress(`0x${addresses[i] as string}`);
    },
  },
  {
    name: 'viem checksumAddress',
    checksumAll: (addresses, output) => {
      for (let i = 0; i < addresses.length; i++) output[i] = checksumAddress(`0x${addresses[i] as string}`);
    },
  },
];

/** `n` distinct random addresses as 40 lower-case digits, none seen by any earlier pass. */
function freshAddresses(random: () => number, n: number, seen: Set<string>): string[] {
  const addresses: string[] = [];
  while (addresses.length < n) {
    const hex40 = randomHex(random, 20);
    if (seen.has(hex40)) continue;
    seen.add(hex40);
    addresses.push(hex40);
  }
  return addresses;
}

interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly output: readonly string[];
}

function timePass(implementation: Implementation, addresses: readonly string[]): Timing {
  const output = new Array<string>(addresses.length);
  const cpu = process.cpuUsage();
  const start = performance.now();
  implementation.checksumAll(addresses, output);
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, output };
}

const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US');

export async function run(options: BenchOptions): Promise<BenchSection> {
  const n = options.quick ? QUICK_ADDRESSES : FULL_ADDRESSES;
  const repeats = Math.max(3, Math.floor(options.repeats));
  const random = createPrng(0xe1955);
  const seen = new Set<string>();
  const wall = new Map<string, number[]>(IMPLEMENTATIONS.map((i) => [i.name, []]));
  const cpu = new Map<string, number[]>(IMPLEMENTATIONS.map((i) => [i.name, []]));

  // Pass 0 is an untimed warm-up (JIT). Every pass has addresses new to every
  // implementation, so that viem's checksum cache (an LRU of 8,192) never hits; within a
  // pass all three get the same addresses, in an order that alternates between passes.
  for (let pass = 0; pass <= repeats; pass++) {
    const addresses = freshAddresses(random, n, seen);
    const order = pass % 2 === 0 ? IMPLEMENTATIONS : [...IMPLEMENTATIONS].reverse();
    const outputs = new Map<string, readonly string[]>();
    for (const implementation of order) {
      const timing = timePass(implementation, addresses);
      outputs.set(implementation.name, timing.output);
      if (pass > 0) {
        wall.get(implementation.name)?.push(timing.wallMs);
        cpu.get(implementation.name)?.push(timing.cpuMs);
      }
    }
    // Untimed: all three must agree on every address.
    const reference = outputs.get('ethers getAddress') ?? [];
    for (const [name, output] of outputs) {
      const wrong = output.findIndex((checksummed, i) => checksummed !== reference[i]);
      if (wrong >= 0) throw new Error(`${name} gave ${output[wrong]} for ${reference[wrong]}`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }

  const perSecond = (times: ReadonlyMap<string, number[]>, name: string): number =>
    (n / median(times.get(name) ?? [])) * 1000;
  const [ours, ethers, viem] = [USED, 'ethers getAddress', 'viem checksumAddress'].map((name) =>
    perSecond(wall, name),
  ) as [number, number, number];
  const [oursCpu, ethersCpu, viemCpu] = [USED, 'ethers getAddress', 'viem checksumAddress'].map((name) =>
    perSecond(cpu, name),
  ) as [number, number, number];
  const rows = IMPLEMENTATIONS.map((implementation) => {
    const rate = perSecond(wall, implementation.name);
    const cpuRate = perSecond(cpu, implementation.name);
    return [
      implementation.name,
      formatInt(rate),
      formatRatio(rate / ethers),
      formatRatio(rate / viem),
      formatInt(cpuRate),
      formatRatio(cpuRate / ethersCpu),
    ];
  });
  const passes = (times: ReadonlyMap<string, number[]>): string =>
    IMPLEMENTATIONS.map((i) => `${i.name} ${(times.get(i.name) ?? []).map((t) => t.toFixed(0)).join(', ')}`).join('; ');

  return {
    title: `EIP-55 checksums of ${formatInt(n)} distinct addresses`,
    method:
      `${repeats} timed passes after one untimed warm-up pass; each pass draws ${formatInt(n)} fresh random addresses ` +
      `(seeded; distinct within and across passes) and every implementation checksums the same ones, one call per ` +
      `address, in an order that alternates between passes; the median pass is reported, and afterwards the ` +
      `results are checked equal. **ogpu-events**: the uncached function that \`checksumHex40\` calls on a cache ` +
      `miss (its 65,536-slot table is left out on purpose: the addresses are all new, as a fresh Task or Response ` +
      `contract is on the chain): \`wasmEip55Checksum\` (src/internal/eip55Wasm.ts, keccak-f[1600] in WebAssembly, ` +
      `used wherever the platform runs WebAssembly) and its fallback \`eip55Checksum\` (src/internal/eip55.ts, ` +
      `JavaScript). **ethers** ${ethersVersion}: ` +
      `\`getAddress('0x' + digits)\`, no cache. **viem** ${viemVersion()}: \`checksumAddress('0x' + digits)\`, whose ` +
      `LRU cache of 8,192 never hits here. Wall time (\`performance.now\`) and this process's CPU time ` +
      `(\`process.cpuUsage\`, which leaves out time slices lost to other processes on a shared machine) are both given.`,
    headers: [
      'implementation',
      'addresses/s',
      'vs ethers',
      'vs viem',
      'addresses/s (CPU time)',
      'vs ethers (CPU time)',
    ],
    rows,
    targets: [
      {
        target: 'ogpu-events ≥ 8× ethers getAddress on distinct addresses',
        measured:
          `${formatRatio(ours / ethers)} (${formatInt(ours)} vs ${formatInt(ethers)} addresses/s; ` +
          `CPU time ${formatRatio(oursCpu / ethersCpu)})`,
        met: ours / ethers >= 8,
      },
    ],
    notes: [
      `ogpu-events vs viem: ${formatRatio(ours / viem)} wall time, ${formatRatio(oursCpu / viemCpu)} CPU time.`,
      'ethers and viem hash with @noble/hashes (general keccak-256 over any bytes, 64-bit lanes as two 32-bit ' +
        'words) and then build the string; ogpu-events runs one keccak-f[1600] specialised to 40 ASCII digits in one ' +
        'block: in WebAssembly over 64-bit lanes (a module assembled at load from the permutation, 24 rounds in a ' +
        'loop over locals), or in JavaScript over bit-interleaved 32-bit lanes held in local variables. An address ' +
        'seen before costs ogpu-events a table lookup (`checksumHex40`), not measured here.',
      `All timed passes, wall ms: ${passes(wall)}. CPU ms: ${passes(cpu)}.`,
      `Machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}, load average ` +
        `${loadavg()
          .map((l) => l.toFixed(2))
          .join(' / ')} at the end of the section.`,
    ],
  };
}
