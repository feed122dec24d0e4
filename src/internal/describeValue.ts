/**
 * Renders any value for an error message: strings quoted, bigints with an `n`,
 * objects as JSON where possible. Never throws.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
    case 'number':
    case 'boolean':
    case 'symbol':
      return String(value);
    case 'function':
      return 'a function';
    default:
      if (value === null) return 'null';
      try {
        return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
      } catch {
        return Object.prototype.toString.call(value);
      }
  }
}
