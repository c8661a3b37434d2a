// Tests run the CLI as users do, through bin/mta-sts.js and the compiled dist/; compile first so it is never stale.
// `npm test` has just compiled (npm run compile): when every dist/ file is newer than its source and than the
// tsconfigs, compiling again would only cost the same seconds twice.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const PROJECTS = ['tsconfig.build.json', 'tsconfig.types.json'];

function mtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** dist/ holds an output for every source file of src/, each written after that source and after the tsconfigs. */
export function distIsFresh(root = '.'): boolean {
  const configs = Math.max(...['tsconfig.json', ...PROJECTS].map((p) => mtime(join(root, p)) ?? Infinity));
  const outputs = [['src/index.ts', 'dist/index.d.ts']];
  for (const entry of readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })) {
    if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) outputs.push([join('src', entry), join('dist', entry.replace(/\.ts$/, '.js'))]);
  }
  return outputs.every(([source, output]) => {
    const built = mtime(join(root, output!));
    return built !== undefined && built >= configs && built >= (mtime(join(root, source!)) ?? Infinity);
  });
}

export default function compile(): void {
  if (distIsFresh()) return;
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
  for (const project of PROJECTS) execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}
