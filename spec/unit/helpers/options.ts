import { type NexusEventsOptions, OgpuEventsError } from 'ogpu-events';
import { NEXUS_ADDRESS } from './logs';
import { untouchableRpc } from './marbles';

/** What `run` threw, asserted to be an {@link OgpuEventsError} (failing the test when it returns). */
export function thrown(run: () => unknown): OgpuEventsError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OgpuEventsError);
    return error as OgpuEventsError;
  }
  throw new Error('expected a throw, got a return');
}

/** Options as a caller without types could pass them. */
export const untyped = (options: Record<string, unknown>): NexusEventsOptions => options as NexusEventsOptions;

/** The smallest valid options: an RPC that must not be called, and the Nexus address. */
export const baseOptions = (): Record<string, unknown> => ({ rpc: untouchableRpc(), address: NEXUS_ADDRESS });
