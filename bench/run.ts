/**
 * `npm run bench [-- --quick] [--repeats N] [--only name[,name]]`: runs the benchmark
 * sections in order, prints each as a table with its targets, and writes bench/RESULTS.md.
 * Exits 0 when every section ran (missed targets are reported, not fatal), 1 when a
 * section crashed, 2 on a bad command line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions, BenchSection } from './BenchSection';
import { run as backfill } from './backfill';
import { run as boardHistory } from './boardHistory';
import { run as decode } from './decode';
import { run as eip55 } from './eip55';
import { run as fanOut } from './fanOut';
import { run as memory } from './memory';
import { type FailedSection, type NamedSection, formatConsole, formatMarkdownReport, parseSections } from './report';
import { run as relay } from './relay';
import { run as requestsPerTick } from './requestsPerTick';

const SECTIONS: readonly { readonly name: string; readonly run: (options: BenchOptions) => Promise<BenchSection> }[] = [
  { name: 'requestsPerTick', run: requestsPerTick },
  { name: 'boardHistory', run: boardHistory },
  { name: 'decode', run: decode },
  { name: 'eip55', run: eip55 },
  { name: 'backfill', run: backfill },
  { name: 'memory', run: memory },
  { name: 'relay', run: relay },
  { name: 'fanOut', run: fanOut },
];

const USAGE = `usage: npm run bench [-- [--quick] [--repeats N] [--only ${SECTIONS.map((s) => s.name).join(',')}]]`;

interface Cli {
  readonly quick: boolean;
  readonly repeats: number;
  readonly only: readonly string[] | undefined;
}

function parseArgs(args: readonly string[]): Cli {
  let quick = false;
  let repeats: number | undefined;
  let only: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = (): string => {
      const next = inline ?? args[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--repeats': {
        const text = value();
        repeats = Number(text);
        if (!Number.isInteger(repeats) || repeats < 1)
          throw new Error(`--repeats must be a positive integer, got ${text}`);
        break;
      }
      case '--only': {
        only = value()
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== '');
        const unknown = only.filter((name) => !SECTIONS.some((s) => s.name === name));
        if (unknown.length > 0 || only.length === 0)
          throw new Error(`--only: unknown section ${unknown.join(', ') || '(none given)'}`);
        break;
      }
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return { quick, repeats: repeats ?? (quick ? 1 : 5), only };
}

/**
 * The commit measured, and whether the library or the bench differ from it: the sections
 * measure the library of the checkout, so its numbers are only as good as knowing which.
 */
function revision(): string | undefined {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: __dirname, encoding: 'utf8' }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    // What the bench writes itself (RESULTS.md, charts) does not count.
    const dirty = git('status', '--porcelain', '--', '../src', '.', ':!RESULTS.md', ':!*.svg') !== '';
    return `commit ${commit}${dirty ? ' with uncommitted changes' : ''}`;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  let cli: Cli;
  try {
    cli = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const options: BenchOptions = { quick: cli.quick, repeats: cli.repeats };
  const selected = SECTIONS.filter((s) => cli.only === undefined || cli.only.includes(s.name));
  const skipped = SECTIONS.filter((s) => !selected.includes(s)).map((s) => s.name);
  const date = new Date();
  const cpu = cpus();
  const args = process.argv.slice(2);
  console.log(
    `ogpu-events benchmark: ${selected.map((s) => s.name).join(', ')}; ` +
      `${cli.quick ? 'quick, ' : ''}median of ${cli.repeats} run${cli.repeats === 1 ? '' : 's'}`,
  );

  const sections: NamedSection[] = [];
  const failed: FailedSection[] = [];
  for (const section of selected) {
    const started = performance.now();
    try {
      const result = await section.run(options);
      sections.push({ name: section.name, section: result });
      console.log(formatConsole(result));
      console.log(`(${section.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failed.push({ name: section.name, error: text });
      console.error(`\n${section.name} crashed:\n${text}`);
    }
  }

  // Sections not run this time keep their earlier results (each says when it was measured).
  const path = join(__dirname, 'RESULTS.md');
  const earlier = existsSync(path) ? parseSections(readFileSync(path, 'utf8')) : [];
  const kept = earlier.filter((k) => skipped.includes(k.name));
  const report = formatMarkdownReport({
    date,
    machine: {
      node: process.version,
      platform: `${platform()} ${release()} ${process.arch}`,
      cpuModel: cpu[0]?.model.trim() ?? 'unknown CPU',
      cpuCount: cpu.length,
      totalMemoryBytes: totalmem(),
    },
    command: ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' '),
    revision: revision(),
    sections,
    failed,
    kept,
    order: SECTIONS.map((s) => s.name),
  });
  writeFileSync(path, report);
  const missed = sections.reduce((n, s) => n + s.section.targets.filter((t) => !t.met).length, 0);
  console.log(
    `\nWrote ${path}. ${missed === 0 ? 'All targets met' : `${missed} target${missed === 1 ? '' : 's'} missed`}` +
      `${failed.length > 0 ? `; ${failed.length} section${failed.length === 1 ? '' : 's'} crashed` : ''}.`,
  );
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Every section tears down what it started; should a handle stay open anyway, do not hang.
    setTimeout(() => {
      console.error('bench: handles still open 10 s after the last section; exiting');
      process.exit(code);
    }, 10_000).unref();
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
