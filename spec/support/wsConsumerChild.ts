// A consumer over NATS WebSocket, for Node.js 22+ (global WebSocket):
// `node --import tsx wsConsumerChild.ts <ws URL> <task> <fromBlock> <count>`. Prints each event's
// JSON on a line of its own, then exits 0 after `count` events; an error goes to stderr (exit 1).
import { take } from 'rxjs';
import { TaskStatusChangedEvent, describeDiagnostic } from '../../src/index';
import { createJetStreamNexusEvents } from '../../src/jetstream/index';

const [url = '', task = '', fromBlock = '0', count = '1'] = process.argv.slice(2);
const nexus = createJetStreamNexusEvents({ servers: url });
nexus.diagnostics$.subscribe((d) => process.stderr.write(`notice: ${describeDiagnostic(d)}\n`));
nexus
  .taskStatusChanged$(task, { fromBlock: Number(fromBlock) })
  .pipe(take(Number(count)))
  .subscribe({
    next: (event) => {
      if (!(event instanceof TaskStatusChangedEvent)) throw new Error('not a TaskStatusChangedEvent');
      process.stdout.write(`${JSON.stringify(event.toJSON())}\n`);
    },
    error: (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
      process.exit(1);
    },
    complete: () => process.exit(0),
  });
