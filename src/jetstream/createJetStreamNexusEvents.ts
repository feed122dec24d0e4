import { Subject } from 'rxjs';
import type { NexusEvents } from '../client/createNexusEvents.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import { normalizeAddress } from '../internal/address.js';
import type { NexusDiagnostic } from '../source/NexusDiagnostic.js';
import { type StreamOptions, validateStreamOptions } from '../streams/StreamOptions.js';
import * as descriptors from '../streams/nexusEventDescriptors.js';
import type { NexusEventDescriptor } from '../streams/nexusEventDescriptors.js';
import type { BrokerTransports } from './BrokerTransports.js';
import type { JetStreamNexusEventsOptions } from './JetStreamNexusEventsOptions.js';
import { connectBroker } from './connectBroker.js';
import { jetStreamEventStream } from './jetStreamEventStream.js';
import { BROKER_OPTION_KEYS, resolveBrokerOptions } from './resolveBrokerOptions.js';
import { SharedConnection } from './sharedConnection.js';

/** {@link createJetStreamNexusEvents} with the given transports (the Node.js or the browser entry's). */
export function createJetStreamNexusEventsWith(
  options: JetStreamNexusEventsOptions,
  transports: BrokerTransports,
): NexusEvents {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', options, 'an options object like { servers }');
  }
  for (const key of Object.keys(options)) {
    if (!BROKER_OPTION_KEYS.includes(key)) {
      throw new InvalidOptionError(
        key,
        (options as unknown as Record<string, unknown>)[key],
        `one of the options ${BROKER_OPTION_KEYS.join(', ')}`,
      );
    }
  }
  const broker = resolveBrokerOptions(options);
  const diagnostics = new Subject<NexusDiagnostic>();
  const context = {
    broker,
    connection: new SharedConnection(() => connectBroker(broker, transports, 'ogpu-events consumer')),
    report: (diagnostic: NexusDiagnostic) => diagnostics.next(diagnostic),
  };
  const stream =
    <E extends NexusEvent>(descriptor: NexusEventDescriptor<E>) =>
    (scopeAddress: string, streamOptions?: StreamOptions) => {
      const scope = normalizeAddress(scopeAddress, `${descriptor.method} ${descriptor.scope.field} address`);
      return jetStreamEventStream(context, descriptor, scope, validateStreamOptions(streamOptions, descriptor.method));
    };
  return Object.freeze({
    taskPublished$: stream(descriptors.taskPublished),
    attempted$: stream(descriptors.attempted),
    responseSubmitted$: stream(descriptors.responseSubmitted),
    responseStatusChanged$: stream(descriptors.responseStatusChanged),
    taskStatusChanged$: stream(descriptors.taskStatusChanged),
    registered$: stream(descriptors.registered),
    diagnostics$: diagnostics.asObservable(),
  });
}
