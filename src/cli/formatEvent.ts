import { environmentNames } from '../enums/Environment.js';
import { ResponseStatus } from '../enums/ResponseStatus.js';
import { TaskStatus } from '../enums/TaskStatus.js';
import { enumKey } from '../enums/enumKey.js';
import type { NexusEvent } from '../events/NexusEvent.js';

/** Fields a human line shows in its own way (or, for `removed`, as the `REMOVED` prefix). */
const SHOWN_APART = new Set(['eventName', 'blockNumber', 'blockHash', 'transactionHash', 'logIndex', 'removed']);

function formatEnvironments(mask: number): string {
  const names = environmentNames(mask);
  return names.length > 0 ? names.join('|') : String(mask);
}

function formatField(event: NexusEvent, key: string, value: unknown): string {
  if (key === 'status' && typeof value === 'number') {
    const statuses = event.eventName === 'ResponseStatusChanged' ? ResponseStatus : TaskStatus;
    return enumKey(statuses, value) ?? String(value);
  }
  if (key === 'preferredEnvironment' && typeof value === 'number') return formatEnvironments(value);
  return String(value);
}

/**
 * One line for `event`: its `toJSON()` as JSON with `json` (`"removed": true` on a
 * retraction), otherwise `TaskStatusChanged block 12 task=0x… status=FINALIZED tx=0x…:0`,
 * prefixed with `REMOVED ` for a retraction.
 */
export function formatEvent(event: NexusEvent, json: boolean): string {
  if (json) return JSON.stringify(event.toJSON());
  const fields = Object.entries(event)
    .filter(([key]) => !SHOWN_APART.has(key))
    .map(([key, value]) => `${key}=${formatField(event, key, value)}`);
  return [
    ...(event.removed ? ['REMOVED'] : []),
    event.eventName,
    `block ${event.blockNumber}`,
    ...fields,
    `tx=${event.transactionHash}:${event.logIndex}`,
  ].join(' ');
}
