/**
 * topic0 (keccak-256 of the Solidity signature) of each Nexus lifecycle event that
 * ogpu-events streams. No parameter of these events is indexed, so topics hold only topic0.
 *
 * @example
 * ```ts
 * import { NEXUS_EVENT_TOPICS } from 'ogpu-events';
 *
 * const isStatusChange = (log: { topics: readonly string[] }) =>
 *   log.topics[0] === NEXUS_EVENT_TOPICS.TaskStatusChanged;
 * ```
 */
export const NEXUS_EVENT_TOPICS = Object.freeze({
  /** `TaskPublished(address task, address source)` */
  TaskPublished: '0x3bf5b04cf8ed447db6fda0a63a96369fd5dde6b366b6b480e784be44b26a6c22',
  /** `Attempted(address task, address provider, uint256 suggestedPayment)` */
  Attempted: '0x88c89788e8b61b93ed2a66e02b36e04d60275b78893674aa6134fad20874022d',
  /** `ResponseSubmitted(address response, address task)` */
  ResponseSubmitted: '0xf6a0b941311aeaa4102f64c379955a62cca24a7cb0cf54e6203ca75075588554',
  /** `ResponseStatusChanged(address response, uint8 status)` */
  ResponseStatusChanged: '0x0af3a4721b2eaed49a7bcd503459564e37cd4b6825d633c60f12ba26c2397f4c',
  /** `TaskStatusChanged(address task, uint8 status)` */
  TaskStatusChanged: '0x004961faf5705b2d0656e64b56064817b7e3f00eefca17906d2d1600b20b73ec',
  /** `Registered(address provider, uint256 registrantId, address source, uint8 preferredEnvironment)` */
  Registered: '0xd336e6f66ca18b8522dabc6be4828055a35190f0152ae2b125ad0cb6c9a0c120',
} as const);

/**
 * Name of one of the six streamed Nexus events.
 *
 * @example
 * ```ts
 * import type { NexusEventName } from 'ogpu-events';
 *
 * const watched: NexusEventName[] = ['TaskPublished', 'TaskStatusChanged'];
 * ```
 */
export type NexusEventName = keyof typeof NEXUS_EVENT_TOPICS;

/** The six topic0s, in one list: the `topics` filter of every `eth_getLogs` request. */
export const NEXUS_TOPIC0S: readonly string[] = Object.freeze(Object.values(NEXUS_EVENT_TOPICS));
