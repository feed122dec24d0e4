import type * as t from 'io-ts';
import {
  AddressWord,
  Uint256Word,
  Uint8Word,
  type WordLayout,
  type WordsOf,
  staticEventData,
  staticWordsReader,
} from '../codecs/abiWords.js';
import { ENVIRONMENT_MASK_ALL, type EnvironmentMask } from '../enums/Environment.js';
import { ResponseStatus } from '../enums/ResponseStatus.js';
import { TaskStatus } from '../enums/TaskStatus.js';
import { AttemptedEvent } from '../events/AttemptedEvent.js';
import type { LogPosition, NexusEvent } from '../events/NexusEvent.js';
import { RegisteredEvent } from '../events/RegisteredEvent.js';
import { ResponseStatusChangedEvent } from '../events/ResponseStatusChangedEvent.js';
import { ResponseSubmittedEvent } from '../events/ResponseSubmittedEvent.js';
import { TaskPublishedEvent } from '../events/TaskPublishedEvent.js';
import { TaskStatusChangedEvent } from '../events/TaskStatusChangedEvent.js';
import { NEXUS_EVENT_TOPICS, type NexusEventName } from '../nexus/nexusEventTopics.js';

/**
 * Everything the generic stream needs to know about one event: which logs are its own
 * (topic0), which data word holds the scope address, how to decode the data, and how
 * to build the event object.
 */
export interface NexusEventDescriptor<E extends NexusEvent> {
  readonly name: NexusEventName;
  /** The stream method, for messages: `taskStatusChanged$`. */
  readonly method: string;
  readonly topic0: string;
  /** Name of the field the stream is scoped by, and the index of its data word. */
  readonly scope: { readonly field: string; readonly word: number };
  /** Number of 32-byte data words (one per parameter). */
  readonly words: number;
  readonly data: t.Decoder<unknown, unknown>;
  /** The root io-ts context of `data`, made once (io-ts only reads it to name a failure). */
  readonly context: t.Context;
  /**
   * Decodes the data of a log known to be of this event's shape (lower-case hex, one word
   * per parameter) and builds the event at `position`; `undefined` if a word is not
   * canonical (then `data.validate` says why).
   */
  readonly decode: (data: string, position: LogPosition) => E | undefined;
}

const isTaskStatus = (n: number): n is TaskStatus => n >= TaskStatus.NEW && n <= TaskStatus.FINALIZED;
const isResponseStatus = (n: number): n is ResponseStatus =>
  n === ResponseStatus.SUBMITTED || n === ResponseStatus.CONFIRMED;
const isEnvironmentMask = (n: number): n is EnvironmentMask => (n & ~ENVIRONMENT_MASK_ALL) === 0;

const TaskStatusWord = Uint8Word('TaskStatus', isTaskStatus, '0 to 5');
const ResponseStatusWord = Uint8Word('ResponseStatus', isResponseStatus, '0 or 1');
const EnvironmentWord = Uint8Word('Environment', isEnvironmentMask, 'bit flags CPU=1 | NVIDIA=2 | AMD=4');

function describe<L extends WordLayout, E extends NexusEvent>(
  name: NexusEventName,
  method: string,
  layout: L,
  scopeField: L[number][0],
  build: (words: WordsOf<L>, at: LogPosition) => E,
): NexusEventDescriptor<E> {
  const data = staticEventData(name, layout);
  const read = staticWordsReader(layout);
  return Object.freeze({
    name,
    method,
    topic0: NEXUS_EVENT_TOPICS[name],
    scope: { field: scopeField, word: layout.findIndex(([field]) => field === scopeField) },
    words: layout.length,
    data,
    context: Object.freeze([{ key: '', type: data, actual: undefined }]),
    decode: (hex: string, at: LogPosition) => {
      const words = read(hex);
      return words === undefined ? undefined : build(words, at);
    },
  });
}

// The builders below name each word in layout order and copy the position field by field:
// one object of a fixed shape per event, where a generic builder made a dictionary of
// dynamic keys and merged the position into it. spec/unit/codecs/decoderVsEthers.spec.ts
// checks every field against ethers on random logs.

export const taskPublished = describe(
  'TaskPublished',
  'taskPublished$',
  [
    ['task', AddressWord],
    ['source', AddressWord],
  ] as const,
  'source',
  ([task, source], at) =>
    new TaskPublishedEvent({
      task,
      source,
      blockNumber: at.blockNumber,
      blockHash: at.blockHash,
      transactionHash: at.transactionHash,
      logIndex: at.logIndex,
    }),
);

export const attempted = describe(
  'Attempted',
  'attempted$',
  [
    ['task', AddressWord],
    ['provider', AddressWord],
    ['suggestedPayment', Uint256Word],
  ] as const,
  'task',
  ([task, provider, suggestedPayment], at) =>
    new AttemptedEvent({
      task,
      provider,
      suggestedPayment,
      blockNumber: at.blockNumber,
      blockHash: at.blockHash,
      transactionHash: at.transactionHash,
      logIndex: at.logIndex,
    }),
);

export const responseSubmitted = describe(
  'ResponseSubmitted',
  'responseSubmitted$',
  [
    ['response', AddressWord],
    ['task', AddressWord],
  ] as const,
  'task',
  ([response, task], at) =>
    new ResponseSubmittedEvent({
      response,
      task,
      blockNumber: at.blockNumber,
      blockHash: at.blockHash,
      transactionHash: at.transactionHash,
      logIndex: at.logIndex,
    }),
);

export const responseStatusChanged = describe(
  'ResponseStatusChanged',
  'responseStatusChanged$',
  [
    ['response', AddressWord],
    ['status', ResponseStatusWord],
  ] as const,
  'response',
  ([response, status], at) =>
    new ResponseStatusChangedEvent({
      response,
      status,
      blockNumber: at.blockNumber,
      blockHash: at.blockHash,
      transactionHash: at.transactionHash,
      logIndex: at.logIndex,
    }),
);

export const taskStatusChanged = describe(
  'TaskStatusChanged',
  'taskStatusChanged$',
  [
    ['task', AddressWord],
    ['status', TaskStatusWord],
  ] as const,
  'task',
  ([task, status], at) =>
    new TaskStatusChangedEvent({
      task,
      status,
      blockNumber: at.blockNumber,
      blockHash: at.blockHash,
      transactionHash: at.transactionHash,
      logIndex: at.logIndex,
    }),
);

export const registered = describe(
  'Registered',
  'registered$',
  [
    ['provider', AddressWord],
    ['registrantId', Uint256Word],
    ['source', AddressWord],
    ['preferredEnvironment', EnvironmentWord],
  ] as const,
  'source',
  ([provider, registrantId, source, preferredEnvironment], at) =>
    new RegisteredEvent({
      provider,
      registrantId,
      source,
      preferredEnvironment,
      blockNumber: at.blockNumber,
      blockHash: at.blockHash,
      transactionHash: at.transactionHash,
      logIndex: at.logIndex,
    }),
);

/** The six descriptors by topic0. */
export const DESCRIPTORS_BY_TOPIC: ReadonlyMap<string, NexusEventDescriptor<NexusEvent>> = new Map(
  [taskPublished, attempted, responseSubmitted, responseStatusChanged, taskStatusChanged, registered].map(
    (descriptor): [string, NexusEventDescriptor<NexusEvent>] => [descriptor.topic0, descriptor],
  ),
);
