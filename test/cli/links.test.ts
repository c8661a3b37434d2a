// Every compiled module of dist/ links and loads in the Node running the tests, as a plain `node` process (no
// bundler, no TypeScript loader): the CI runs this folder on Node 22 and on Node 24, whose CommonJS export
// detection differ (on Node 22 a named import of @azure/functions' HttpRequest failed to link, so `npm start` of a
// Function App did too, while every vitest test passed through Vite's own interop).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const DIST = join(process.cwd(), 'dist');

it('every module of dist/ loads in plain Node', async () => {
  const modules = readdirSync(DIST, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js')).map((f) => pathToFileURL(join(DIST, f)).href);
  expect(modules.length).toBeGreaterThan(50);
  const script = `for (const m of ${JSON.stringify(modules)}) await import(m).catch((e) => { console.log(m + ': ' + e.message); process.exitCode = 1; });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }).catch((e: { stdout: string }) => e);
  expect(stdout).toBe('');
});
