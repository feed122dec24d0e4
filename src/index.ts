/**
 * ogpu-events: the OpenGPU Nexus lifecycle events as typed RxJS streams.
 *
 * @packageDocumentation
 */

// client
export { createNexusEvents, type NexusEvents } from './client/createNexusEvents.js';
export type { NexusEventsOptions } from './client/NexusEventsOptions.js';
export type { RetryOptions } from './client/RetryOptions.js';
export type { StreamOptions } from './streams/StreamOptions.js';

// source
export { logPoller$, type LogPollerOptions } from './source/logPoller.js';
export type { LogBatch } from './source/LogBatch.js';
export type {
  NexusDiagnostic,
  InvalidLogDiagnostic,
  UndecodableLogDiagnostic,
  RpcRetryDiagnostic,
  RangeSplitDiagnostic,
  ReorgDiagnostic,
  LaggingNodeDiagnostic,
  InvalidMessageDiagnostic,
  BrokerWaitDiagnostic,
} from './source/NexusDiagnostic.js';
export { describeDiagnostic } from './source/describeDiagnostic.js';
export type { RpcLog } from './codecs/RpcLog.js';

// rpc
export type { NexusRpc, GetLogsFilter, GetLogsRangeFilter, GetLogsBlockHashFilter } from './rpc/NexusRpc.js';
export { rpcFromProvider, type JsonRpcSender } from './rpc/rpcFromProvider.js';

// events
export { NexusEvent, type LogPosition, type NexusEventFieldsBase } from './events/NexusEvent.js';
export { TaskPublishedEvent, type TaskPublishedEventFields } from './events/TaskPublishedEvent.js';
export { AttemptedEvent, type AttemptedEventFields } from './events/AttemptedEvent.js';
export { ResponseSubmittedEvent, type ResponseSubmittedEventFields } from './events/ResponseSubmittedEvent.js';
export {
  ResponseStatusChangedEvent,
  type ResponseStatusChangedEventFields,
} from './events/ResponseStatusChangedEvent.js';
export { TaskStatusChangedEvent, type TaskStatusChangedEventFields } from './events/TaskStatusChangedEvent.js';
export { RegisteredEvent, type RegisteredEventFields } from './events/RegisteredEvent.js';

// enums and constants
export { TaskStatus } from './enums/TaskStatus.js';
export { ResponseStatus } from './enums/ResponseStatus.js';
export { Environment, type EnvironmentMask, environmentNames, hasEnvironment } from './enums/Environment.js';
export { enumKey } from './enums/enumKey.js';
export { NEXUS_EVENT_TOPICS, type NexusEventName } from './nexus/nexusEventTopics.js';
export { NETWORKS, type NetworkName, type NetworkPreset } from './nexus/networks.js';

// adapters
export { toAsyncIterable } from './adapters/toAsyncIterable.js';

// errors
export { OgpuEventsError, type OgpuEventsErrorCode, type OgpuEventsErrorOptions } from './errors/OgpuEventsError.js';
export { InvalidAddressError } from './errors/InvalidAddressError.js';
export { InvalidOptionError } from './errors/InvalidOptionError.js';
export { RpcRequestError, type RpcRequestErrorInfo } from './errors/RpcRequestError.js';
export { RpcUnavailableError } from './errors/RpcUnavailableError.js';
export { NexusNotFoundError } from './errors/NexusNotFoundError.js';
export { InvalidRpcResponseError } from './errors/InvalidRpcResponseError.js';
