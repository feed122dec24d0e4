import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, PermissionViolationError } from '@nats-io/nats-core';
import { firstValueFrom } from 'rxjs';
import { BrokerPermissionError } from '../errors/BrokerPermissionError.js';
import { InvalidRpcResponseError } from '../errors/InvalidRpcResponseError.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import type { NexusRpc } from '../rpc/NexusRpc.js';
import { type RequestContext, request } from '../source/rpcRequests.js';
import { brokerError, connectBroker } from './connectBroker.js';
import { NODE_TRANSPORTS } from './nodeTransports.js';
import { PublishWindow } from './publishWindow.js';
import { RangePublisher } from './RangePublisher.js';
import { readCheckpoint } from './relayCheckpoint.js';
import { ensureRelayStream } from './relayStream.js';
import type { ResolvedRelayOptions } from './resolveRelayOptions.js';
import { findResumePoint } from './resumePoint.js';

const PUBLISH_TIMEOUT = 5_000;

/** What a relay's broker side holds while it runs; filled in as it is made, so a stop can close it. */
export interface RelayResources {
  nc?: NatsConnection;
  window?: PublishWindow;
}

/** A relay ready to run: where its reading resumes, and where its ranges go. */
export interface OpenRelay {
  /** First block to read; `undefined`: new blocks only. */
  readonly resumeFrom: number | undefined;
  /** What it had published beyond its checkpoint (see `findResumePoint`). */
  readonly delivered: readonly NexusEvent[];
  readonly publisher: RangePublisher;
}

/** The relay's chain side, as `openRelay` needs it. */
export interface RelayChainSide {
  readonly context: RequestContext;
  /** The transport as given (its `getChainId`, when the chain id must be asked). */
  readonly rpc: NexusRpc;
  readonly hashAt: (n: number) => Promise<string | undefined>;
  readonly head: () => number;
  readonly stopped: () => boolean;
}

/**
 * Opens the broker side of a relay: connects, creates the stream or checks it is this
 * chain's and this Nexus's, reads the checkpoint and what was stored beyond it, and sets up
 * the publish window. Broker failures are typed (`brokerError`).
 */
export async function openRelay(
  options: ResolvedRelayOptions,
  chainSide: RelayChainSide,
  resources: RelayResources,
): Promise<OpenRelay> {
  const { broker, report } = options;
  const nc = await connectBroker(broker, NODE_TRANSPORTS, 'ogpu-events relay');
  resources.nc = nc;
  if (chainSide.stopped()) await nc.close();
  const api = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error: unknown) {
      throw brokerError(broker.servers, error, operation);
    }
  };
  const jsm = await api('use JetStream', () => jetstreamManager(nc));
  const chainId = options.chainId ?? (await askChainId(chainSide.context, chainSide.rpc));
  const info = await api(`set up the stream ${broker.stream}`, () =>
    ensureRelayStream(jsm, broker.stream, chainId, options.chain.address.lower, options.duplicateWindow),
  );
  const checkpoint = await api(`read the checkpoint of ${broker.stream}`, () =>
    readCheckpoint(jsm, broker.stream, chainId),
  );
  const resume = await api(`read back ${broker.stream}`, () =>
    findResumePoint({
      jsm,
      stream: broker.stream,
      chainId,
      lastSequence: info.state.last_seq,
      checkpoint,
      fromBlock: options.fromBlock,
      hashAt: chainSide.hashAt,
    }),
  );
  // One notice per stretch of failed publishing: cleared once a range is stored.
  let waiting = false;
  const window = new PublishWindow({
    nc,
    size: options.maxPending,
    timeoutMs: PUBLISH_TIMEOUT,
    fatal: (error) =>
      error instanceof PermissionViolationError || /permission/i.test(String(error))
        ? new BrokerPermissionError(`publish to ${broker.stream}`, error)
        : undefined,
    retrying: (error) => {
      if (waiting) return;
      waiting = true;
      report({
        kind: 'broker-wait',
        waitingFor: 'connection',
        jetStream: broker.stream,
        reason: `publishing to ${broker.stream} failed (${error instanceof Error ? error.message : String(error)}); sending again`,
      });
    },
  });
  resources.window = window;
  const publisher = new RangePublisher({
    window,
    jsm,
    stream: broker.stream,
    chainId,
    lastSequence: checkpoint?.lastSequence ?? 0,
    hashAt: chainSide.hashAt,
    head: chainSide.head,
    stopped: chainSide.stopped,
    stored: () => {
      waiting = false;
    },
  });
  return { resumeFrom: resume.fromBlock, delivered: resume.delivered, publisher };
}

function askChainId(context: RequestContext, rpc: NexusRpc): Promise<bigint> {
  const getChainId = rpc.getChainId?.bind(rpc);
  if (getChainId === undefined) return Promise.reject(new Error('no getChainId'));
  return firstValueFrom(
    request(context, 'eth_chainId', getChainId, (result) => {
      if (typeof result === 'string' && /^0x[0-9a-fA-F]+$/.test(result)) return BigInt(result);
      if (typeof result === 'number' && Number.isSafeInteger(result) && result > 0) return BigInt(result);
      if (typeof result === 'bigint') return result;
      throw new InvalidRpcResponseError('eth_chainId', result, ['not a chain id']);
    }),
  );
}
