// What ships: the bin and the library entry run as plain JavaScript from dist/, and a TypeScript user can
// import the library with its types.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const root = process.cwd();
let consumer: string;

beforeAll(async () => {
  consumer = await mkdtemp(join(tmpdir(), 'mta-sts-consumer-'));
  await mkdir(join(consumer, 'node_modules'));
  await symlink(root, join(consumer, 'node_modules', 'mta-sts-swa'));
});
afterAll(() => rm(consumer, { recursive: true, force: true }));

it('the bin needs no TypeScript loader at run time', async () => {
  const bin = await readFile(join(root, 'bin/mta-sts.js'), 'utf8');
  expect(bin).not.toMatch(/tsx/);
  const { stdout } = await run(process.execPath, [join(root, 'bin/mta-sts.js'), '--version'], { cwd: consumer });
  expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
});

it('the bin keeps Node\'s compile cache in the temp folder, so the next step of a pipeline job starts faster', async () => {
  const temp = join(consumer, 'agent-temp');
  await mkdir(temp);
  // As on an agent: no NODE_COMPILE_CACHE (the suite sets one for its own processes), the agent's temp folder.
  const { NODE_COMPILE_CACHE: _, ...env } = process.env;
  await run(process.execPath, [join(root, 'bin/mta-sts.js'), '--version'], { cwd: consumer, env: { ...env, TMPDIR: temp } });
  const cached = await readdir(join(temp, 'node-compile-cache'), { recursive: true });
  expect(cached.length).toBeGreaterThan(1);
});

it('imports by package name as JavaScript', async () => {
  const script = "const m = await import('mta-sts-swa'); console.log(m.parsePolicy('version: STSv1\\r\\nmode: none\\r\\nmax_age: 86400\\r\\n').ok);";
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer });
  expect(stdout).toBe('true\n');
});

it('type-checks a TypeScript user of the library, and catches a wrong use', async () => {
  await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: [] },
    files: ['use.ts'],
  }));
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
  await writeFile(join(consumer, 'use.ts'), "import { parsePolicy, type Policy } from 'mta-sts-swa';\nconst p: Policy | undefined = parsePolicy('').policy;\nexport { p };\n");
  await run(process.execPath, [tsc, '-p', consumer]);
  await writeFile(join(consumer, 'use.ts'), "import { parsePolicy } from 'mta-sts-swa';\nconst n: number = parsePolicy('').ok;\nexport { n };\n");
  const failed = await run(process.execPath, [tsc, '-p', consumer]).catch((e) => e);
  expect(failed.stdout).toMatch(/TS2322/);
});
