/**
 * Fresh-address workloads: each pass must find the address-checksum caches as a
 * long-running process on the real chain does — full, of other addresses, evicting — not
 * holding the addresses an earlier pass over the same logs left there.
 */
import { checksumAddress } from 'viem';
import { checksumHex40 } from '../../src/internal/address';
import { createPrng, randomHex } from './syntheticLogs';

/** Four times the library's 16k-entry checksum cache, so that a larger one is flushed too. */
const OGPU_FLUSH = 65_536;
/** Four times viem's 8k-entry checksum LRU. */
const VIEM_FLUSH = 32_768;

const random = createPrng(0x0f1e_5a17);

/** Fills ogpu-events' checksum cache with {@link OGPU_FLUSH} never-seen addresses (call it untimed). */
export function flushOgpuChecksumCache(): number {
  for (let i = 0; i < OGPU_FLUSH; i++) checksumHex40(randomHex(random, 20));
  return OGPU_FLUSH;
}

/** Fills viem's checksum cache with {@link VIEM_FLUSH} never-seen addresses (call it untimed). */
export function flushViemChecksumCache(): number {
  for (let i = 0; i < VIEM_FLUSH; i++) checksumAddress(`0x${randomHex(random, 20)}`);
  return VIEM_FLUSH;
}
