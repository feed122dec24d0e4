/** The median of `values` (the mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/** The smallest and largest of `values`; NaN for both when empty. */
export function range(values: readonly number[]): { min: number; max: number } {
  if (values.length === 0) return { min: Number.NaN, max: Number.NaN };
  return { min: Math.min(...values), max: Math.max(...values) };
}

/** `value` with at most `digits` decimals, trailing zeros dropped ("2", "1.95", "0.4"). */
export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '—';
  return String(Number(value.toFixed(digits)));
}

/** A ratio as "12.3×" (three significant digits, no more than one decimal above 10). */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—';
  const digits = ratio >= 100 ? 0 : ratio >= 10 ? 1 : 2;
  return `${Number(ratio.toFixed(digits))}×`;
}
