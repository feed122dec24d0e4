import * as t from 'io-ts';
import { Hash32 } from '../codecs/hex.js';
import { reportErrors } from '../codecs/reportErrors.js';
import { ENVIRONMENT_MASK_ALL, type EnvironmentMask } from '../enums/Environment.js';
import { ResponseStatus } from '../enums/ResponseStatus.js';
import { TaskStatus } from '../enums/TaskStatus.js';
import { AttemptedEvent } from '../events/AttemptedEvent.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import { RegisteredEvent } from '../events/RegisteredEvent.js';
import { ResponseStatusChangedEvent } from '../events/ResponseStatusChangedEvent.js';
import { ResponseSubmittedEvent } from '../events/ResponseSubmittedEvent.js';
import { TaskPublishedEvent } from '../events/TaskPublishedEvent.js';
import { TaskStatusChangedEvent } from '../events/TaskStatusChangedEvent.js';
import { checksumHex40 } from '../internal/address.js';
import type { NexusEventName } from '../nexus/nexusEventTopics.js';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;
const MAX_UINT256 = (1n << 256n) - 1n;

/** An address in any case, decoded to its EIP-55 form (the form events carry). */
const Address = new t.Type<string, string, unknown>(
  'Address',
  (u): u is string => typeof u === 'string' && ADDRESS.test(u),
  (u, c) =>
    typeof u === 'string' && ADDRESS.test(u)
      ? t.success(checksumHex40(u.slice(2).toLowerCase()))
      : t.failure(u, c, 'Address must be 0x followed by 40 hex digits'),
  t.identity,
);

/** A block number or log index: a safe integer ≥ 0. */
const Position = new t.Type<number, number, unknown>(
  'Position',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) =>
    typeof u === 'number' && Number.isSafeInteger(u) && u >= 0
      ? t.success(u)
      : t.failure(u, c, 'must be a whole number ≥ 0'),
  t.identity,
);

/** A uint256 as `toJSON()` writes it: a decimal string. */
const Uint256Decimal = new t.Type<bigint, string, unknown>(
  'Uint256Decimal',
  (u): u is bigint => typeof u === 'bigint' && u >= 0n && u <= MAX_UINT256,
  (u, c) => {
    if (typeof u !== 'string' || !DECIMAL.test(u)) return t.failure(u, c, 'must be a decimal string');
    const value = BigInt(u);
    return value <= MAX_UINT256 ? t.success(value) : t.failure(u, c, 'exceeds uint256');
  },
  (a) => a.toString(),
);

function Small<A extends number>(name: string, is: (n: number) => boolean, expected: string): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(
    name,
    (u): u is A => typeof u === 'number' && Number.isInteger(u) && is(u),
    (u, c) =>
      typeof u === 'number' && Number.isInteger(u) && is(u)
        ? t.success(u as A)
        : t.failure(u, c, `${name} must be ${expected}`),
    t.identity,
  );
}

const TaskStatusValue = Small<TaskStatus>(
  'TaskStatus',
  (n) => n >= TaskStatus.NEW && n <= TaskStatus.FINALIZED,
  '0 to 5',
);
const ResponseStatusValue = Small<ResponseStatus>(
  'ResponseStatus',
  (n) => n === ResponseStatus.SUBMITTED || n === ResponseStatus.CONFIRMED,
  '0 or 1',
);
const EnvironmentValue = Small<EnvironmentMask>(
  'Environment',
  (n) => n >= 0 && (n & ~ENVIRONMENT_MASK_ALL) === 0,
  'bit flags CPU=1 | NVIDIA=2 | AMD=4',
);

const Position_ = {
  blockNumber: Position,
  blockHash: Hash32,
  transactionHash: Hash32,
  logIndex: Position,
  removed: t.boolean,
};

/** The JSON payload of each event's messages (`event.toJSON()`), by event name. */
export const EVENT_PAYLOADS = {
  TaskPublished: t.type({ eventName: t.literal('TaskPublished'), ...Position_, task: Address, source: Address }),
  Attempted: t.type({
    eventName: t.literal('Attempted'),
    ...Position_,
    task: Address,
    provider: Address,
    suggestedPayment: Uint256Decimal,
  }),
  ResponseSubmitted: t.type({
    eventName: t.literal('ResponseSubmitted'),
    ...Position_,
    response: Address,
    task: Address,
  }),
  ResponseStatusChanged: t.type({
    eventName: t.literal('ResponseStatusChanged'),
    ...Position_,
    response: Address,
    status: ResponseStatusValue,
  }),
  TaskStatusChanged: t.type({
    eventName: t.literal('TaskStatusChanged'),
    ...Position_,
    task: Address,
    status: TaskStatusValue,
  }),
  Registered: t.type({
    eventName: t.literal('Registered'),
    ...Position_,
    provider: Address,
    registrantId: Uint256Decimal,
    source: Address,
    preferredEnvironment: EnvironmentValue,
  }),
} as const;

type Payloads = typeof EVENT_PAYLOADS;

/** Builds each event's class from its decoded payload. */
const BUILDERS: { readonly [N in NexusEventName]: (payload: t.TypeOf<Payloads[N]>) => NexusEvent } = {
  TaskPublished: ({ eventName: _, ...fields }) => new TaskPublishedEvent(fields),
  Attempted: ({ eventName: _, ...fields }) => new AttemptedEvent(fields),
  ResponseSubmitted: ({ eventName: _, ...fields }) => new ResponseSubmittedEvent(fields),
  ResponseStatusChanged: ({ eventName: _, ...fields }) => new ResponseStatusChangedEvent(fields),
  TaskStatusChanged: ({ eventName: _, ...fields }) => new TaskStatusChangedEvent(fields),
  Registered: ({ eventName: _, ...fields }) => new RegisteredEvent(fields),
};

/** Either the event a message holds, or why it holds none. */
export type MessageDecodeResult<E> =
  { readonly ok: true; readonly event: E } | { readonly ok: false; readonly reason: readonly string[] };

/** What a message must be to be taken: its subject's event, scope field and scope. */
export interface MessageExpectation {
  readonly eventName: NexusEventName;
  /** The field the subject's last token names (`source`, `task` or `response`). */
  readonly scopeField: string;
  /** That field's value, lower case. */
  readonly scope: string;
  /** Whether the message carries the removal header. */
  readonly removedHeader: boolean;
}

/**
 * Validates a message's payload (JSON text) against its subject's event, and builds the
 * core's event class from it (frozen, `instanceof` holds). A payload that is not JSON,
 * lacks a field, has one of the wrong type, names another event or scope than its subject,
 * or disagrees with the removal header is rejected with reporter lines.
 */
export function decodeEventMessage<E extends NexusEvent>(
  expected: MessageExpectation,
  text: string,
): MessageDecodeResult<E> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: ['the payload is not JSON'] };
  }
  const codec: t.Decoder<unknown, t.TypeOf<Payloads[NexusEventName]>> = EVENT_PAYLOADS[expected.eventName];
  const decoded = codec.decode(json);
  if (decoded._tag === 'Left') return { ok: false, reason: reportErrors(decoded.left) };
  const payload = decoded.right;
  const scope = (payload as unknown as Record<string, unknown>)[expected.scopeField];
  if (typeof scope !== 'string' || scope.toLowerCase() !== expected.scope) {
    return {
      ok: false,
      reason: [`${expected.scopeField} is ${String(scope)}, but the subject is for ${expected.scope}`],
    };
  }
  if (payload.removed !== expected.removedHeader) {
    return {
      ok: false,
      reason: [
        `removed is ${payload.removed}, but the message ${expected.removedHeader ? 'has' : 'lacks'} the removal header`,
      ],
    };
  }
  const build = BUILDERS[expected.eventName] as (payload: t.TypeOf<Payloads[NexusEventName]>) => NexusEvent;
  return { ok: true, event: build(payload) as E };
}
