/**
 * Execution environments a provider can prefer, as bit flags. A `Registered` event's
 * `preferredEnvironment` is a combination of them (`CPU | NVIDIA` is `3`).
 *
 * @example
 * ```ts
 * import { Environment, hasEnvironment } from 'ogpu-events';
 *
 * nexus.registered$(source).subscribe((e) => {
 *   if (hasEnvironment(e.preferredEnvironment, Environment.NVIDIA)) console.log('NVIDIA provider', e.provider);
 * });
 * ```
 */
export const Environment = Object.freeze({
  /** Runs on CPU. */
  CPU: 1,
  /** Runs on NVIDIA GPUs. */
  NVIDIA: 2,
  /** Runs on AMD GPUs. */
  AMD: 4,
} as const);

/**
 * One environment flag: `1` (CPU), `2` (NVIDIA) or `4` (AMD).
 *
 * @example
 * ```ts
 * import { Environment } from 'ogpu-events';
 *
 * const gpu: Environment[] = [Environment.NVIDIA, Environment.AMD];
 * ```
 */
export type Environment = (typeof Environment)[keyof typeof Environment];

/**
 * A set of {@link Environment} flags OR-ed together: an integer from 0 to 7.
 *
 * @example
 * ```ts
 * import { Environment, type EnvironmentMask } from 'ogpu-events';
 *
 * const any: EnvironmentMask = Environment.CPU | Environment.NVIDIA | Environment.AMD; // 7
 * ```
 */
export type EnvironmentMask = number;

/** Every bit an {@link EnvironmentMask} may hold. */
export const ENVIRONMENT_MASK_ALL: EnvironmentMask = Environment.CPU | Environment.NVIDIA | Environment.AMD;

/**
 * Whether `mask` includes the `flag` environment.
 *
 * @example
 * ```ts
 * import { Environment, hasEnvironment } from 'ogpu-events';
 *
 * hasEnvironment(3, Environment.NVIDIA); // true
 * hasEnvironment(3, Environment.AMD); // false
 * ```
 */
export function hasEnvironment(mask: EnvironmentMask, flag: Environment): boolean {
  return (mask & flag) === flag;
}

/**
 * The names of the environments in `mask`, in flag order (`CPU`, `NVIDIA`, `AMD`); empty
 * for a mask with none of them. For display: join them as you like.
 *
 * @example
 * ```ts
 * import { environmentNames } from 'ogpu-events';
 *
 * environmentNames(6); // ['NVIDIA', 'AMD']
 * nexus.registered$(source).subscribe((e) => console.log(e.provider, environmentNames(e.preferredEnvironment).join('+')));
 * ```
 */
export function environmentNames(mask: EnvironmentMask): (keyof typeof Environment)[] {
  return (Object.keys(Environment) as (keyof typeof Environment)[]).filter((name) =>
    hasEnvironment(mask, Environment[name]),
  );
}
