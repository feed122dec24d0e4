import type { NexusEvent } from '../events/NexusEvent.js';
import type { WatchCommand } from './parseArgs.js';

/**
 * Whether `event` is the one `--until-status` waits for: an event (never a retraction)
 * with that status.
 */
export function reachesUntilStatus(event: NexusEvent, until: WatchCommand['untilStatus']): boolean {
  return until !== undefined && !event.removed && (event as { status?: unknown }).status === until.value;
}
