// Checks the packed tarball, not the source tree: `npm pack` (which builds through
// `prepack`), unpack it into a fresh folder beside its dependencies, then use it with
// `require` and `import`, type-check a consumer in both module systems, bundle it for the
// browser with Vite (no Node built-in may be reached; prints the bundle's size), and run
// its command.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Buffer } from 'node:buffer';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { browserOnly, naclWithoutNodeCrypto } from './browserOnlyPlugin.mjs';

const root = resolve('.');
const require = createRequire(join(root, 'package.json'));
const work = mkdtempSync(join(tmpdir(), 'ogpu-events-pack-'));
const run = (command, args, cwd = work) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

try {
  run('npm', ['pack', '--quiet', '--pack-destination', work], root);
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
  const modules = join(work, 'node_modules');
  mkdirSync(join(modules, 'ogpu-events'), { recursive: true });
  run('tar', ['-xzf', join(work, tarball), '-C', join(modules, 'ogpu-events'), '--strip-components=1']);
  for (const dependency of ['rxjs', 'ethers', 'io-ts', 'fp-ts', 'typescript']) {
    symlinkSync(join(root, 'node_modules', dependency), join(modules, dependency), 'dir');
  }

  // The main entry must load nothing of NATS (optional peer dependencies of ogpu-events/jetstream
  // only): follow its relative imports through dist/esm and dist/cjs, and look at every import.
  for (const [entry, pattern] of [
    ['dist/esm/index.js', /(?:from|import)\s*['"]([^'"]+)['"]/g],
    ['dist/cjs/index.js', /require\(['"]([^'"]+)['"]\)/g],
  ]) {
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(pattern)) {
        if (specifier.startsWith('@nats-io/'))
          throw new Error(`${file} imports ${specifier}: the main entry must not load NATS`);
        if (specifier.startsWith('.'))
          visit(resolve(dirname(file), specifier.endsWith('.js') ? specifier : `${specifier}.js`));
      }
    };
    visit(join(modules, 'ogpu-events', entry));
    console.log(`main entry: ok (${entry} and the ${seen.size - 1} modules it loads import nothing of NATS)`);
  }
  mkdirSync(join(modules, '@nats-io'));
  for (const dependency of ['jetstream', 'nats-core', 'transport-node', 'nkeys', 'nuid']) {
    symlinkSync(join(root, 'node_modules', '@nats-io', dependency), join(modules, '@nats-io', dependency), 'dir');
  }
  const jetstreamScenario = (load) => `
${load}
for (const name of ['relayToJetStream', 'createJetStreamNexusEvents', 'StreamMismatchError', 'BrokerUnavailableError']) {
  if (typeof js[name] !== 'function') throw new Error(MODE + ': ogpu-events/jetstream lacks ' + name);
}
const error = new js.StreamMismatchError('S', 'a', 'b');
if (!(error instanceof m.OgpuEventsError) || error.code !== 'STREAM_MISMATCH') throw new Error(MODE + ': errors do not extend OgpuEventsError of the main entry');
js.createJetStreamNexusEvents({ servers: 'nats://127.0.0.1:4222' });
console.log(MODE + ': ogpu-events/jetstream ok, ' + Object.keys(js).length + ' exports');
`;
  writeFileSync(
    join(work, 'jetstream.cjs'),
    jetstreamScenario(
      "const MODE = 'require'; const m = require('ogpu-events'); const js = require('ogpu-events/jetstream');",
    ),
  );
  writeFileSync(
    join(work, 'jetstream.mjs'),
    jetstreamScenario(
      "const MODE = 'import'; import * as m from 'ogpu-events'; import * as js from 'ogpu-events/jetstream';",
    ),
  );
  process.stdout.write(run(process.execPath, ['jetstream.cjs']));
  process.stdout.write(run(process.execPath, ['jetstream.mjs']));

  const scenario = (load) => `
${load}
const { of } = rxjs;
const task = '0x' + '11'.repeat(20);
const word = (hex) => hex.padStart(64, '0');
const log = {
  address: '0x' + '22'.repeat(20),
  topics: [m.NEXUS_EVENT_TOPICS.TaskStatusChanged],
  data: '0x' + word('11'.repeat(20)) + word('05'),
  blockNumber: '0x5', blockHash: '0x' + 'aa'.repeat(32), transactionHash: '0x' + 'bb'.repeat(32), logIndex: '0x0',
};
const rpc = {
  getBlock: (block) =>
    of({ number: '0x' + (block === 'latest' ? 9 : block).toString(16), hash: '0x' + 'ab'.repeat(32), parentHash: '0x' + 'cd'.repeat(32) }),
  getLogs: () => of([log]),
  getCode: () => of('0x6080'),
};
const nexus = m.createNexusEvents({ rpc, address: log.address, pollInterval: 10 });
nexus.taskStatusChanged$(task, { fromBlock: 0 }).subscribe((e) => {
  if (!(e instanceof m.TaskStatusChangedEvent) || e.status !== m.TaskStatus.FINALIZED || !Object.isFrozen(e)) {
    throw new Error('unexpected event ' + JSON.stringify(e));
  }
  console.log(MODE + ': ok, ' + Object.keys(m).length + ' exports');
  process.exit(0);
});
setTimeout(() => { console.error(MODE + ': no event'); process.exit(1); }, 5000);
`;
  writeFileSync(
    join(work, 'consumer.cjs'),
    scenario("const MODE = 'require'; const m = require('ogpu-events'); const rxjs = require('rxjs');"),
  );
  writeFileSync(
    join(work, 'consumer.mjs'),
    scenario("const MODE = 'import'; import * as m from 'ogpu-events'; import * as rxjs from 'rxjs';"),
  );
  process.stdout.write(run(process.execPath, ['consumer.cjs']));
  process.stdout.write(run(process.execPath, ['consumer.mjs']));

  const typed = `import { createNexusEvents, TaskStatus, type TaskStatusChangedEvent } from 'ogpu-events';
const nexus = createNexusEvents({ network: 'testnet' });
const status: TaskStatus = TaskStatus.FINALIZED;
export const watch = (task: string) => nexus.taskStatusChanged$(task).subscribe((e: TaskStatusChangedEvent) => e.status === status);
`;
  const typedJetStream = `import { TaskStatusChangedEvent } from 'ogpu-events';
import { createJetStreamNexusEvents, relayToJetStream, type RelayProgress } from 'ogpu-events/jetstream';
export const relay = relayToJetStream({ network: 'testnet', servers: 'nats://127.0.0.1:4222' }).subscribe((p: RelayProgress) => p.lag);
export const watch = (task: string) =>
  createJetStreamNexusEvents({ servers: 'nats://127.0.0.1:4222' }).taskStatusChanged$(task).subscribe((e: TaskStatusChangedEvent) => e.status);
`;
  writeFileSync(join(work, 'typedJetStream.cts'), typedJetStream);
  writeFileSync(join(work, 'typedJetStream.mts'), typedJetStream);
  writeFileSync(join(work, 'typed.cts'), typed);
  writeFileSync(join(work, 'typed.mts'), typed);
  const tsc = require.resolve('typescript/bin/tsc');
  run(process.execPath, [
    tsc,
    '--noEmit',
    '--strict',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--skipLibCheck',
    'typed.cts',
    'typed.mts',
    'typedJetStream.cts',
    'typedJetStream.mts',
  ]);
  console.log('types: ok (require and import, moduleResolution nodenext)');

  // A page that imports the package as a browser app would, bundled by Vite for the browser
  // (the package's `import` entry, browser conditions).
  const page = join(work, 'page');
  mkdirSync(page);
  writeFileSync(join(page, 'index.html'), '<script type="module" src="./main.js"></script>');
  writeFileSync(
    join(page, 'main.js'),
    `import { createNexusEvents, toAsyncIterable, TaskStatus } from 'ogpu-events';
const nexus = createNexusEvents({ rpcUrl: location.origin + '/rpc', address: '0x' + '22'.repeat(20) });
for await (const e of toAsyncIterable(nexus.taskStatusChanged$('0x' + '11'.repeat(20)))) {
  if (e.status === TaskStatus.FINALIZED) break;
}
`,
  );
  // The consumer side of ogpu-events/jetstream, as a browser app bundles it (the browser
  // condition: WebSocket only, nothing of Node).
  const jsPage = join(work, 'jetstream-page');
  mkdirSync(jsPage);
  writeFileSync(join(jsPage, 'index.html'), '<script type="module" src="./main.js"></script>');
  writeFileSync(
    join(jsPage, 'main.js'),
    `import { createJetStreamNexusEvents } from 'ogpu-events/jetstream';
const nexus = createJetStreamNexusEvents({ servers: 'ws://' + location.host + '/nats' });
nexus.taskStatusChanged$('0x' + '11'.repeat(20)).subscribe((e) => console.log(e.status));
`,
  );
  await build({
    root: jsPage,
    configFile: false,
    logLevel: 'silent',
    plugins: [naclWithoutNodeCrypto(), browserOnly()],
    build: { outDir: join(jsPage, 'dist'), target: 'es2022' },
  });
  const jsBundle = Buffer.concat(
    readdirSync(join(jsPage, 'dist', 'assets'))
      .filter((name) => name.endsWith('.js'))
      .map((name) => readFileSync(join(jsPage, 'dist', 'assets', name))),
  );
  if (jsBundle.includes('relayToJetStream'))
    throw new Error('the browser bundle of ogpu-events/jetstream includes the relay');
  console.log(
    `browser: ok (ogpu-events/jetstream consumer over WebSocket, no Node built-in: ${(jsBundle.length / 1000).toFixed(1)} kB minified)`,
  );

  await build({
    root: page,
    configFile: false,
    logLevel: 'silent',
    plugins: [browserOnly()],
    build: { outDir: join(page, 'dist'), target: 'es2022' },
  });
  const assets = join(page, 'dist', 'assets');
  const code = readdirSync(assets)
    .filter((name) => name.endsWith('.js'))
    .map((name) => readFileSync(join(assets, name)));
  const bundle = Buffer.concat(code);
  if (bundle.includes('usage: ogpu-events watch')) throw new Error('the browser bundle includes the command line');
  const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
  console.log(
    `browser: ok (Vite bundle of the import entry, no Node built-in: ${kB(bundle.length)} minified, ${kB(gzipSync(bundle).length)} gzip)`,
  );

  const help = run(process.execPath, [join(modules, 'ogpu-events', 'bin', 'ogpu-events.cjs'), '--help']);
  if (!help.includes('--until-status')) throw new Error(`bin/ogpu-events.cjs --help printed:\n${help}`);
  console.log('bin: ok (ogpu-events --help)');
} finally {
  rmSync(work, { recursive: true, force: true });
}
