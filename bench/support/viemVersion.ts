import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** viem's installed version, for the sections' method texts ('' when it cannot be read). */
export function viemVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'node_modules', 'viem', 'package.json'), 'utf8'),
    ) as {
      version?: string;
    };
    return pkg.version ?? '';
  } catch {
    return '';
  }
}
