/**
 * Fresh-address workloads: each pass must find the address-checksum caches as a
 * long-running process on the real chain does — full, of other addresses, evicting — not
 * holding the addresses an earlier pass over the same logs left there.
 */
import { checksumAddress } from 'viem';
import { checksumHex40 } from '../../src/internal/address';
import { createPrng, randomHex } from './syntheticLogs';

/** One never-seen address per slot of the library's checksum table (65,536 slots, indexed by the first four digits). */
const OGPU_FLUSH = 65_536;
/** Four times viem's 8k-entry checksum LRU. */
const VIEM_FLUSH = 32_768;

const random = createPrng(0x0f1e_5a17);

/**
 * Overwrites every slot of ogpu-events' checksum table with a never-seen address: the i-th
 * starts with the four hex digits of i (the slot index), the rest random (call it untimed).
 */
export function flushOgpuChecksumCache(): number {
  for (let i = 0; i < OGPU_FLUSH; i++) checksumHex40(i.toString(16).padStart(4, '0') + randomHex(random, 18));
  return OGPU_FLUSH;
}

/** Fills viem's checksum cache with {@link VIEM_FLUSH} never-seen addresses (call it untimed). */
export function flushViemChecksumCache(): number {
  for (let i = 0; i < VIEM_FLUSH; i++) checksumAddress(`0x${randomHex(random, 20)}`);
  return VIEM_FLUSH;
}
