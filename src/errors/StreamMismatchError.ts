import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * The JetStream stream named in the options exists but was not set up by a relay of
 * this chain and Nexus contract: other subjects, another chain id, or another Nexus
 * address in its description. The relay refuses to write into it rather than mix two
 * chains' events.
 *
 * @example
 * ```ts
 * import { StreamMismatchError } from 'ogpu-events/jetstream';
 *
 * relayToJetStream(options).subscribe({
 *   error: (error) => {
 *     if (error instanceof StreamMismatchError) console.error(`${error.stream}: ${error.shortMessage}`);
 *   },
 * });
 * ```
 */
export class StreamMismatchError extends OgpuEventsError {
  /** Always `'StreamMismatchError'`. */
  override name = 'StreamMismatchError';
  /** The JetStream stream's name. */
  readonly stream: string;

  constructor(stream: string, found: string, expected: string) {
    super('STREAM_MISMATCH', `The JetStream stream ${stream} is set up for ${found}, not ${expected}`, {
      details: ['give another stream name, or point the relay at the chain and Nexus this stream holds'],
    });
    this.stream = stream;
  }
}
