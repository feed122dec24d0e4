/**
 * `npm run demo`: see ogpu-events work, end to end, in a few seconds, with no network.
 *
 * 1. Starts a local anvil chain and deploys MockNexus (spec/contracts/MockNexus.sol),
 *    which emits the six lifecycle events with the real Nexus's signatures.
 * 2. Creates a client polling every 250 ms and subscribes to all six streams, scoped the
 *    way an application would: registered$ and taskPublished$ by the demo's source,
 *    attempted$ / responseSubmitted$ / taskStatusChanged$ by each task published to it,
 *    responseStatusChanged$ by each response submitted for those tasks. Every event is
 *    printed as it arrives, next to the transaction that caused it.
 * 3. Meanwhile drives two task lifecycles with short pauses: two providers register
 *    (different preferred environments), two tasks are published, attempted, answered
 *    and confirmed (FINALIZED). Halfway through, a malformed TaskStatusChanged log (status
 *    9) is emitted: it shows up on nexus.diagnostics$, and later events still arrive.
 * 4. Exits 0 once both tasks are FINALIZED and every expected event was printed, with a
 *    one-line summary; exits 1 with what is missing if that takes over 60 s. Anvil is
 *    stopped in every case.
 */
import { AbiCoder, formatEther, parseEther } from 'ethers';
import {
  type NexusDiagnostic,
  type NexusEventName,
  type NexusEvents,
  createNexusEvents,
  Environment,
  type EnvironmentMask,
  enumKey,
  environmentNames,
  NEXUS_EVENT_TOPICS,
  ResponseStatus,
  TaskStatus,
  type AttemptedEvent,
  type RegisteredEvent,
  type ResponseStatusChangedEvent,
  type ResponseSubmittedEvent,
  type TaskPublishedEvent,
  type TaskStatusChangedEvent,
} from 'ogpu-events';
import { type Observable, type Subscription, merge, mergeMap, startWith } from 'rxjs';
import { type TestChain, randomAddress, startTestChain } from '../spec/support/testChain';

const POLL_INTERVAL_MS = 250;
const STEP_PAUSE_MS = 400;
const TIMEOUT_MS = 60_000;

type DemoEvent =
  | RegisteredEvent
  | TaskPublishedEvent
  | AttemptedEvent
  | ResponseSubmittedEvent
  | ResponseStatusChangedEvent
  | TaskStatusChangedEvent;

/** The stream each event arrives on. */
const STREAM_OF: Readonly<Record<NexusEventName, string>> = {
  Registered: 'registered$',
  TaskPublished: 'taskPublished$',
  Attempted: 'attempted$',
  ResponseSubmitted: 'responseSubmitted$',
  ResponseStatusChanged: 'responseStatusChanged$',
  TaskStatusChanged: 'taskStatusChanged$',
};

/** What the two lifecycles below must produce, per stream. */
const EXPECTED: Readonly<Record<string, number>> = {
  registered$: 2, // P1, P2
  taskPublished$: 2, // T1, T2
  attempted$: 2, // T1 by P1, T2 by P2
  responseSubmitted$: 2, // R1, R2
  responseStatusChanged$: 4, // SUBMITTED and CONFIRMED, per response
  taskStatusChanged$: 8, // NEW, ATTEMPTED, RESPONDED, FINALIZED, per task
  diagnostics$: 1, // the malformed log
};

// ---- output ---------------------------------------------------------------------------

const color = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
const paint =
  (code: number) =>
  (text: string): string =>
    color ? `\x1b[${code}m${text}\x1b[0m` : text;
const dim = paint(2);
const bold = paint(1);
const yellow = paint(33);
const green = paint(32);
const red = paint(31);
const cyan = paint(36);

const startedAt = performance.now();
const elapsed = (): string => `+${((performance.now() - startedAt) / 1000).toFixed(2)}s`.padStart(7);

/** Short names for the demo's addresses, so that lines stay readable. */
const labels = new Map<string, string>();
const label = (address: string): string => labels.get(address.toLowerCase()) ?? address;
/** Replaces every known address in `text` by its label. */
const relabel = (text: string): string =>
  text.replace(/0x[0-9a-fA-F]{40}/g, (address) => labels.get(address.toLowerCase()) ?? address);

function line(kind: string, stream: string, text: string): void {
  console.log(`${dim(elapsed())}  ${kind}  ${stream.padEnd(23)} ${text}`);
}

function environments(mask: EnvironmentMask): string {
  const names = environmentNames(mask);
  return names.length === 0 ? 'none' : names.join('+');
}

function describeEvent(event: DemoEvent): string {
  switch (event.eventName) {
    case 'Registered':
      return `${label(event.provider)} registered to ${label(event.source)} as #${event.registrantId}, prefers ${environments(event.preferredEnvironment)}`;
    case 'TaskPublished':
      return `${label(event.task)} published to ${label(event.source)}`;
    case 'Attempted':
      return `${label(event.task)} attempted by ${label(event.provider)}, suggests ${formatEther(event.suggestedPayment)} OGPU`;
    case 'ResponseSubmitted':
      return `${label(event.response)} submitted for ${label(event.task)}`;
    case 'ResponseStatusChanged':
      return `${label(event.response)} → ${enumKey(ResponseStatus, event.status)}`;
    case 'TaskStatusChanged':
      return `${label(event.task)} → ${enumKey(TaskStatus, event.status)}`;
  }
}

function describeDiagnostic(diagnostic: NexusDiagnostic): string {
  switch (diagnostic.kind) {
    case 'invalid-log':
      return `skipped an invalid log: ${relabel(diagnostic.reason.join('; '))}`;
    case 'undecodable-log': {
      const where = diagnostic.stream === undefined ? '' : ` on ${relabel(diagnostic.stream)}`;
      return `skipped a ${diagnostic.event} log of block ${diagnostic.log.blockNumber}${where}: ${relabel(diagnostic.reason.join('; '))}`;
    }
    case 'rpc-retry':
      return `${diagnostic.method} failed (${diagnostic.reason}); retry ${diagnostic.retry} in ${diagnostic.delayMs} ms`;
    case 'range-split':
      return `the node refused blocks ${diagnostic.fromBlock}-${diagnostic.toBlock}; reading ${diagnostic.nextSpan} at a time`;
    case 'reorg':
      return `reorg: block ${diagnostic.replacedBlock} was replaced; re-reading from block ${diagnostic.ancestor + 1}`;
    case 'lagging-node':
      return `${diagnostic.method} was answered by a node behind the head (${diagnostic.reason}); asking again`;
    case 'invalid-message':
      return `skipped message ${diagnostic.sequence} on ${diagnostic.subject}: ${relabel(diagnostic.reason.join('; '))}`;
    case 'broker-wait':
      return diagnostic.reason;
  }
}

// ---- the demo -------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  console.log(bold('ogpu-events demo: the six Nexus lifecycle streams, live, against a local chain\n'));

  let chain: TestChain;
  try {
    chain = await startTestChain();
  } catch (error) {
    console.error(red(`Could not start anvil and deploy MockNexus: ${error instanceof Error ? error.message : error}`));
    return 1;
  }
  const subscriptions: Subscription[] = [];
  let onSigint: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    console.log(`anvil      ${chain.url}`);
    console.log(`MockNexus  ${chain.nexusAddress}`);

    // The demo's cast, with short names (random addresses: MockNexus checks nothing).
    const [S, P1, P2, T1, T2, R1, R2] = [
      randomAddress(),
      randomAddress(),
      randomAddress(),
      randomAddress(),
      randomAddress(),
      randomAddress(),
      randomAddress(),
    ] as const;
    const cast = [
      ['S', 'source', S],
      ['P1', 'provider', P1],
      ['P2', 'provider', P2],
      ['T1', 'task', T1],
      ['T2', 'task', T2],
      ['R1', 'response', R1],
      ['R2', 'response', R2],
    ] as const;
    for (const [name, role, address] of cast) {
      labels.set(address.toLowerCase(), name);
      console.log(`${name.padEnd(10)} ${role.padEnd(9)} ${address}`);
    }
    console.log(
      dim(`\n${'time'.padStart(7)}  kind   ${'stream'.padEnd(23)} what happened`) +
        dim(`\n${' '.repeat(7)}  (chain: a transaction the demo sends; event: what a stream delivers)\n`),
    );

    // ---- 1. subscribe -----------------------------------------------------------------
    const nexus: NexusEvents = createNexusEvents({
      rpcUrl: chain.url,
      address: chain.nexusAddress,
      pollInterval: POLL_INTERVAL_MS,
    });
    // Start at the next block, so nothing sent from now on can be missed, however long
    // the streams take to start (without fromBlock they start at the head they first see).
    const fromBlock = (await chain.head()) + 1;

    // Each stream delivers its own events in chain order. Across streams there is no
    // order: events of one block arrive stream by stream (e.g. T1 → FINALIZED may be
    // printed before R1 → CONFIRMED, which precedes it in the same transaction).
    const events$: Observable<DemoEvent> = merge(
      nexus.registered$(S, { fromBlock }),
      nexus.taskPublished$(S, { fromBlock }).pipe(
        // For each task published to S, follow the task…
        mergeMap((published) =>
          merge(
            nexus.attempted$(published.task, { fromBlock: published.blockNumber }),
            nexus.taskStatusChanged$(published.task, { fromBlock: published.blockNumber }),
            nexus.responseSubmitted$(published.task, { fromBlock: published.blockNumber }).pipe(
              // …and each response submitted for it.
              mergeMap((submitted) =>
                nexus
                  .responseStatusChanged$(submitted.response, { fromBlock: submitted.blockNumber })
                  .pipe(startWith<DemoEvent>(submitted)),
              ),
            ),
          ).pipe(startWith<DemoEvent>(published)),
        ),
      ),
    );

    const counts = new Map<string, number>(Object.keys(EXPECTED).map((stream) => [stream, 0]));
    const finalized = new Set<string>();
    // The malformed log is mined before T1's confirmation: T1's FINALIZED must still arrive after it.
    let finalizedAfterDiagnostic = false;
    type Outcome = { ok: true } | { ok: false; message: string };
    // Once settled, the driver sends nothing more and nothing more is printed.
    let finished = false;
    let resolveOutcome: (outcome: Outcome) => void = () => undefined;
    const outcome = new Promise<Outcome>((resolve) => (resolveOutcome = resolve));
    const settle = (result: Outcome): void => {
      if (finished) return;
      finished = true;
      resolveOutcome(result);
    };
    const fail = (message: string): void => settle({ ok: false, message });
    const count = (stream: string): void => {
      const seen = (counts.get(stream) ?? 0) + 1;
      counts.set(stream, seen);
      if (seen > (EXPECTED[stream] ?? 0)) fail(`${stream} delivered more events than expected (${seen})`);
      const complete = [...counts].every(([name, n]) => n === EXPECTED[name]);
      if (complete && finalized.size === 2 && finalizedAfterDiagnostic) settle({ ok: true });
    };

    subscriptions.push(
      events$.subscribe({
        next: (event) => {
          if (finished) return;
          if (event.eventName === 'TaskStatusChanged' && event.status === TaskStatus.FINALIZED) {
            finalized.add(event.task);
            if (event.task === T1 && counts.get('diagnostics$') === 1) finalizedAfterDiagnostic = true;
          }
          const stream = STREAM_OF[event.eventName];
          line(cyan('event'), stream, `${describeEvent(event)}  ${dim(`block ${event.blockNumber}`)}`);
          count(stream);
        },
        error: (error: unknown) => fail(`a stream failed: ${error instanceof Error ? error.message : String(error)}`),
      }),
      nexus.diagnostics$.subscribe((diagnostic) => {
        if (finished) return;
        line(yellow('diag '), 'diagnostics$', yellow(describeDiagnostic(diagnostic)));
        count('diagnostics$');
      }),
    );

    // ---- 2. drive the chain -----------------------------------------------------------
    // One transaction at a time (one sender account); the two lifecycles interleave.
    let queue: Promise<unknown> = Promise.resolve();
    const send = (what: string, method: string, ...args: unknown[]): Promise<void> => {
      const sent = queue.then(async () => {
        if (finished) throw new Error('the demo is over');
        // Printed before sending, so that a cause is always printed before its effects.
        line(dim('chain'), dim('MockNexus'), dim(relabel(what)));
        await chain.send(method, ...args);
      });
      queue = sent.catch(() => undefined);
      return sent;
    };

    const lifecycle = async (
      task: string,
      provider: string,
      response: string,
      payment: bigint,
      malformed: boolean,
    ): Promise<void> => {
      await send(`publishTask(${task}, ${S})`, 'publishTask', task, S);
      await sleep(STEP_PAUSE_MS);
      await send(`attempt(${task}, ${provider}, ${formatEther(payment)} OGPU)`, 'attempt', task, provider, payment);
      await sleep(STEP_PAUSE_MS);
      await send(`submitResponse(${task}, ${response})`, 'submitResponse', task, response);
      await sleep(STEP_PAUSE_MS);
      if (malformed) {
        // A TaskStatusChanged log for the task whose status (9) is no TaskStatus: the
        // stream skips it, reports it on diagnostics$, and carries on.
        const data = AbiCoder.defaultAbiCoder().encode(['address', 'uint8'], [task, 9]);
        await send(
          `emitRaw(TaskStatusChanged, ${task}, status 9)  ← malformed`,
          'emitRaw',
          NEXUS_EVENT_TOPICS.TaskStatusChanged,
          data,
        );
        await sleep(STEP_PAUSE_MS);
      }
      await send(`confirmResponse(${task}, ${response})`, 'confirmResponse', task, response);
    };

    const drive = async (): Promise<void> => {
      await send(`register(${P1}, ${S}, CPU)`, 'register', P1, S, Environment.CPU);
      await sleep(STEP_PAUSE_MS / 2);
      await send(`register(${P2}, ${S}, NVIDIA+AMD)`, 'register', P2, S, Environment.NVIDIA | Environment.AMD);
      await sleep(STEP_PAUSE_MS);
      await Promise.all([
        lifecycle(T1, P1, R1, parseEther('0.25'), true),
        sleep(STEP_PAUSE_MS / 2).then(() => lifecycle(T2, P2, R2, parseEther('1.5'), false)),
      ]);
    };
    drive().catch((error: unknown) =>
      fail(`a transaction failed: ${error instanceof Error ? error.message : String(error)}`),
    );

    // ---- 3. wait for every event, or give up ------------------------------------------
    timer = setTimeout(() => {
      const missing = [...counts]
        .filter(([stream, n]) => n !== EXPECTED[stream])
        .map(([stream, n]) => `${stream} ${n}/${EXPECTED[stream]}`);
      fail(
        `timed out after ${TIMEOUT_MS / 1000} s; still expected: ` +
          (missing.join(', ') || "both tasks FINALIZED, T1's after the diagnostic"),
      );
    }, TIMEOUT_MS);
    onSigint = () => fail('interrupted');
    process.once('SIGINT', onSigint);

    const result = await outcome;
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    const tally = [...counts].map(([stream, n]) => `${stream} ${n}`).join(', ');
    if (!result.ok) {
      console.error(red(`\nDemo failed: ${result.message}`));
      console.error(red(`Seen so far: ${tally}`));
      return 1;
    }
    const total = [...counts].filter(([stream]) => stream !== 'diagnostics$').reduce((sum, [, n]) => sum + n, 0);
    console.log(green(`\n✔ ${total} events + 1 diagnostic in ${seconds} s, both tasks FINALIZED. ${tally}`));
    return 0;
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
    clearTimeout(timer);
    if (onSigint !== undefined) process.removeListener('SIGINT', onSigint);
    await chain.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(red(`Demo crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
    process.exitCode = 1;
  },
);
