import { createNexusEvents, type NexusEvents } from 'ogpu-events';
import { type Observable, defer, from, map, of } from 'rxjs';
import type { ConnectionSettings } from './connectionSettings';

/** Poll every second unless the caller says otherwise. */
const POLL_INTERVAL_MS = 1_000;

/**
 * The page's Nexus client for `settings`: the six streams read from a relay's JetStream
 * stream over NATS WebSocket in relay mode (the page then never contacts the chain), from
 * the chain's JSON-RPC endpoint otherwise. Both are the same {@link NexusEvents}, so the
 * board does not know which it reads.
 *
 * The relay mode's client (`ogpu-events/jetstream` and the NATS client) is loaded on first
 * use, so the RPC mode's page does not carry it; the RPC client comes synchronously. A bad
 * setting fails the observable with the library's typed error (`INVALID_ADDRESS`,
 * `INVALID_OPTION`, …). Creating a client sends nothing: its streams connect when subscribed.
 */
export function connectNexus(settings: ConnectionSettings): Observable<NexusEvents> {
  if (settings.nats !== undefined) {
    const { nats: servers, stream } = settings;
    return from(import('ogpu-events/jetstream')).pipe(
      map(({ createJetStreamNexusEvents }) => createJetStreamNexusEvents({ servers, stream })),
    );
  }
  const { rpcUrl, nexus: address, pollInterval = POLL_INTERVAL_MS } = settings;
  return defer(() => of(createNexusEvents({ rpcUrl, address, pollInterval })));
}
