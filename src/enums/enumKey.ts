/**
 * The key of an enum object whose value is `value`, for display:
 * `enumKey(TaskStatus, 5)` is `'FINALIZED'`. Returns `undefined` for unknown values.
 *
 * @example
 * ```ts
 * import { TaskStatus, enumKey } from 'ogpu-events';
 *
 * nexus.taskStatusChanged$(task).subscribe((e) => console.log(enumKey(TaskStatus, e.status)));
 * ```
 */
export function enumKey<E extends Readonly<Record<string, number>>>(
  enumObject: E,
  value: number,
): (keyof E & string) | undefined {
  for (const key of Object.keys(enumObject)) {
    if (enumObject[key] === value) return key;
  }
  return undefined;
}
