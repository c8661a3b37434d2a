// Lints the shell scripts (the tests' fake az among them), and the shell bodies inlined in both workflow files, with shellcheck.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from './helpers.ts';

function shellcheck(files: string[]): { status: number | null; output: string } {
  const r = spawnSync('shellcheck', ['--shell=bash', ...files], { cwd: repoRoot, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('shellcheck is not installed: install shellcheck (apt-get install -y shellcheck)');
  }
  return { status: r.status, output: r.stdout + r.stderr };
}

it('scripts/*.sh and the fake az are shellcheck-clean', () => {
  const scripts = readdirSync(join(repoRoot, 'scripts')).filter((f) => f.endsWith('.sh')).map((f) => `scripts/${f}`);
  const r = shellcheck([...scripts, 'test/azure/fixtures/az']);
  expect(r.output).toBe('');
  expect(r.status).toBe(0);
});

const dir = mkdtempSync(join(tmpdir(), 'inline-scripts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every `script:`, `run:` and `inlineScript:` string in a parsed workflow. */
function inlineScripts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(inlineScripts);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([k, v]) =>
    ['script', 'run', 'inlineScript'].includes(k) && typeof v === 'string' ? [v] : inlineScripts(v));
}

it('the shell inlined in azure-pipelines.yml and deploy.yml is shellcheck-clean', () => {
  const files: string[] = [];
  for (const wf of ['azure-pipelines.yml', '.github/workflows/deploy.yml']) {
    inlineScripts(parse(readFileSync(join(repoRoot, wf), 'utf8'))).forEach((body, i) => {
      const file = join(dir, `${wf.replace(/\W/g, '_')}-${i}.sh`);
      writeFileSync(file, `#!/usr/bin/env bash\n${body}\n`);
      files.push(file);
    });
  }
  expect(files.length).toBeGreaterThan(10);
  const r = shellcheck(files);
  expect(r.output).toBe('');
  expect(r.status).toBe(0);
});
