// The program's TypeScript sources, for the tests that read the code itself (layout, hosting-kind branches).
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SOURCE_ROOT = resolve('src');

/** Every .ts file under src/, as absolute paths. */
export const sourceFiles = (): string[] => readdirSync(SOURCE_ROOT, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts'))
  .map((name) => join(SOURCE_ROOT, name));
