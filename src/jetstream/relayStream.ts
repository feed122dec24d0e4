import { type JetStreamManager, JetStreamApiError, type StreamInfo, StorageType } from '@nats-io/jetstream';
import { StreamMismatchError } from '../errors/StreamMismatchError.js';
import { checksumHex40 } from '../internal/address.js';
import { chainIdOfSubjects, streamSubjectsOf } from './subjects.js';

const DESCRIPTION = /^ogpu-events relay: chain (\d+), Nexus (0x[0-9a-fA-F]{40})$/;

/** The description a relay gives its stream; it names the chain and the Nexus contract. */
export const relayStreamDescription = (chainId: bigint, nexus: string): string =>
  `ogpu-events relay: chain ${chainId}, Nexus ${checksumHex40(nexus.slice(2).toLowerCase())}`;

/** Whether `error` is JetStream's "stream not found". */
export const isStreamNotFound = (error: unknown): boolean =>
  error instanceof JetStreamApiError && (error.code === 10059 || /stream not found/i.test(error.message));

/**
 * The relay's stream: created when missing (file storage, subjects `ogpu.<chainId>.>`,
 * the given duplicate window); an existing one must have been set up for this chain and
 * this Nexus, or {@link StreamMismatchError}.
 */
export async function ensureRelayStream(
  jsm: JetStreamManager,
  name: string,
  chainId: bigint,
  nexus: string,
  duplicateWindowMs: number,
): Promise<StreamInfo> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(name);
  } catch (error: unknown) {
    if (!isStreamNotFound(error)) throw error;
    try {
      return await jsm.streams.add({
        name,
        subjects: [streamSubjectsOf(chainId)],
        description: relayStreamDescription(chainId, nexus),
        storage: StorageType.File,
        duplicate_window: duplicateWindowMs * 1_000_000,
      });
    } catch (raced: unknown) {
      // Another relay created it meanwhile: check that one instead.
      info = await jsm.streams.info(name).catch(() => {
        throw raced;
      });
    }
  }
  const expected = `chain ${chainId} and Nexus ${checksumHex40(nexus.slice(2).toLowerCase())}`;
  const found = describeFound(info);
  const streamChain = chainIdOfSubjects(info.config.subjects);
  const match = DESCRIPTION.exec(info.config.description ?? '');
  if (streamChain !== chainId || match?.[1] !== String(chainId) || match[2]?.toLowerCase() !== nexus.toLowerCase()) {
    throw new StreamMismatchError(name, found, expected);
  }
  return info;
}

function describeFound(info: StreamInfo): string {
  const match = DESCRIPTION.exec(info.config.description ?? '');
  if (match !== null) return `chain ${match[1]} and Nexus ${match[2]}`;
  return `the subjects ${JSON.stringify(info.config.subjects ?? [])}${info.config.description === undefined ? '' : ` (${info.config.description})`}`;
}
