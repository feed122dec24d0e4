// A relay in a process of its own, for specs that kill it: `node --import tsx relayChild.ts '<options JSON>'`.
// Prints one JSON line per RelayProgress on stdout, and the error (if any) on stderr.
import { relayToJetStream } from '../../src/jetstream/index';

const options = JSON.parse(process.argv[2] ?? '{}') as Parameters<typeof relayToJetStream>[0];
relayToJetStream(options).subscribe({
  next: (progress) => process.stdout.write(`${JSON.stringify(progress)}\n`),
  error: (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    process.exit(1);
  },
});
