/**
 * `npm run demo:relay`: the scale-out path end to end, on this machine, with no network.
 *
 * 1. Starts nats-server with JetStream (Debian's `nats-server`) on a free loopback port, and
 *    a local anvil chain with MockNexus.
 * 2. Runs `relayToJetStream`: one poller for the chain, publishing every Nexus event into the
 *    JetStream stream OGPU_NEXUS (progress printed as it goes).
 * 3. Watches a source's registrations and a task's statuses through
 *    `createJetStreamNexusEvents` (no RPC from the consumer side), while a provider
 *    registers and the task runs its lifecycle.
 * 4. Exits 0 once the task is FINALIZED (1 after 60 s without), stopping everything.
 */
import { TaskStatus, describeDiagnostic, enumKey } from 'ogpu-events';
import { createJetStreamNexusEvents, relayToJetStream } from 'ogpu-events/jetstream';
import { type Subscription, firstValueFrom, filter, merge } from 'rxjs';
import { type NatsServer, hasNatsServer, startNatsServer } from '../spec/support/natsServer';
import { type TestChain, randomAddress, startTestChain } from '../spec/support/testChain';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  if (!hasNatsServer()) {
    console.error('nats-server is not installed: apt-get install nats-server');
    return 1;
  }
  let nats: NatsServer | undefined;
  let chain: TestChain | undefined;
  const subscriptions: Subscription[] = [];
  try {
    [nats, chain] = await Promise.all([startNatsServer(), startTestChain()]);
    console.log(`nats-server with JetStream at ${nats.url}; anvil at ${chain.url}, MockNexus at ${chain.nexusAddress}`);
    const start = (await chain.head()) + 1;
    subscriptions.push(
      relayToJetStream({
        rpcUrl: chain.url,
        address: chain.nexusAddress,
        servers: nats.url,
        fromBlock: start,
        pollInterval: 250,
      }).subscribe((p) => {
        if (p.published > 0) console.log(`  relay: blocks ${p.fromBlock}-${p.toBlock}, ${p.published} events stored`);
      }),
    );

    const source = randomAddress();
    const task = randomAddress();
    const nexus = createJetStreamNexusEvents({ servers: nats.url });
    nexus.diagnostics$.subscribe((d) => console.log(`  notice: ${describeDiagnostic(d)}`));
    const statuses$ = nexus.taskStatusChanged$(task, { fromBlock: start });
    subscriptions.push(
      merge(
        nexus.registered$(source, { fromBlock: start }),
        nexus.taskPublished$(source, { fromBlock: start }),
        statuses$,
      ).subscribe((e) => {
        const what =
          e.eventName === 'TaskStatusChanged'
            ? `→ ${enumKey(TaskStatus, e.status)}`
            : e.eventName === 'Registered'
              ? `provider ${e.provider}`
              : `task ${e.task}`;
        console.log(`consumer: block ${e.blockNumber} ${e.eventName} ${what}`);
      }),
    );
    const finalized = firstValueFrom(statuses$.pipe(filter((e) => e.status === TaskStatus.FINALIZED)));

    const provider = randomAddress();
    const response = randomAddress();
    for (const [method, args] of [
      ['register', [provider, source, 1]],
      ['publishTask', [task, source]],
      ['attempt', [task, provider, 10n ** 17n]],
      ['submitResponse', [task, response]],
      ['confirmResponse', [task, response]],
    ] as const) {
      await chain.send(method, ...args);
      await sleep(300);
    }
    const timeout = sleep(60_000).then(() => 'timeout' as const);
    if ((await Promise.race([finalized, timeout])) === 'timeout') {
      console.error('the task did not reach FINALIZED through the relay within 60 s');
      return 1;
    }
    console.log('done: every event went chain → relay → JetStream → consumer');
    return 0;
  } finally {
    for (const s of subscriptions) s.unsubscribe();
    await Promise.all([chain?.stop(), nats?.stop()]);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
