// `mta-sts hosting`: the kind and app the Deploy stage/job acts on, as CI variables; a kind the pipeline was not
// set up for stops the deployment with both settings named.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const BASE = 'domains: [contoso.com]\npolicy: {mode: testing, max_age: 1w}\n';
let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'mta-sts-hosting-'));
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

async function run(config: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  await writeFile(join(cwd, 'mta-sts.config.yaml'), config);
  let out = '';
  let err = '';
  const code = await main(['hosting', ...args], { out: (t) => (out += t), err: (t) => (err += t), cwd, isTTY: false, env });
  return { code, out, err };
}

it('prints the kind (static-web-app by default) and the app', async () => {
  expect(await run(BASE, [])).toEqual({ code: 0, out: 'kind: static-web-app\napp: (not set)\n', err: '' });
  const fa = await run(`${BASE}hosting: {kind: function-app, app: mta-sts-fa}\n`, ['--expect-kind', 'function-app'], { TF_BUILD: 'True' });
  expect(fa.code).toBe(0);
  expect(fa.out).toBe('kind: function-app\napp: mta-sts-fa\n##vso[task.setvariable variable=hostingApp]mta-sts-fa\n');
});

it('writes kind and app to GITHUB_OUTPUT in GitHub Actions', async () => {
  const output = join(cwd, 'github-output');
  await writeFile(output, '');
  await run(`${BASE}hosting: {kind: function-app, app: mta-sts-fa, resource_group: rg-mta-sts}\n`, [], { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: output });
  expect(await readFile(output, 'utf8')).toBe('kind=function-app\napp=mta-sts-fa\nresource_group=rg-mta-sts\n');
  await writeFile(output, '');
  await run(BASE, [], { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: output });
  expect(await readFile(output, 'utf8')).toBe('kind=static-web-app\n');
});

it('fails on a kind mismatch and on a Function App without hosting.app, as an annotation in CI', async () => {
  const mismatch = await run(BASE, ['--expect-kind', 'function-app'], { TF_BUILD: 'True' });
  expect(mismatch.code).toBe(1);
  expect(mismatch.err).toBe('mta-sts hosting: the pipeline is set up for hosting kind function-app but mta-sts.config.yaml says hosting.kind: static-web-app; set hostingKind: static-web-app at the top of azure-pipelines.yml (or hosting.kind: function-app in mta-sts.config.yaml) so both name the app that serves the policy\n');
  expect(mismatch.out).toMatch(/^##vso\[task\.logissue type=error\]Not deployed: the pipeline is set up for hosting kind function-app/m);
  expect(mismatch.out).not.toContain('setvariable');
  const noApp = await run(`${BASE}hosting: {kind: function-app}\n`, ['--expect-kind', 'function-app']);
  expect(noApp.code).toBe(1);
  expect(noApp.err).toContain('hosting.app is not set in mta-sts.config.yaml');
});

it('refuses an unknown --expect-kind as a usage error (exit 2)', async () => {
  const r = await run(BASE, ['--expect-kind', 'app-service']);
  expect(r.code).toBe(2);
  expect(r.err).toContain('--expect-kind must be one of static-web-app, function-app (got app-service)');
});
