// The Build stage of azure-pipelines.yml and the build job of deploy.yml, their shell taken verbatim from the
// YAML and run as the agent runs it, as this (ordinary) user: in a fresh copy of the repository, the lean
// `npm ci --omit=dev` for real (from npm's cache, offline: no traffic leaves the machine), then
// `mta-sts verify`. It proves what a fork's first push meets: no dev dependency, no browser, no root, no
// system package beyond Node, and a red run with the reason on the summary page when the config or home/ is wrong.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureStageSteps, githubJobSteps, runSteps, type Checkout, type Step, type System } from '../azure/pipeline-steps.ts';
import { repoRoot, runProcess } from './helpers.ts';

/** A copy of the working tree as git would check it out (tracked and new files, nothing ignored), without node_modules. */
function freshCheckout(): Checkout {
  const dir = mkdtempSync(join(tmpdir(), 'build-stage-'));
  let files: string[] | undefined;
  try {
    files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0').filter((f) => f !== '' && existsSync(join(repoRoot, f)));
  } catch {
    // Not a git checkout (an unpacked archive): everything but what installs and builds make.
  }
  if (files) for (const f of files) cpSync(join(repoRoot, f), join(dir, f));
  else cpSync(repoRoot, dir, { recursive: true, filter: (src) => !/\/(node_modules|dist|test-results|\.git)(\/|$)/.test(src.slice(repoRoot.length)) });
  return { dir, installed: false, run: (command, args, env, timeoutMs) => runProcess(dir, command, args, env, timeoutMs), cloudEnv: () => ({}) };
}

function agentEnv(system: System, dir: string): Record<string, string> {
  const common = {
    // The agent's Node (NodeTool@0 / setup-node) is the one running these tests: 22 or 24.
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? dir,
    LANG: 'C.UTF-8',
    // npm's cache holds every package of the lock after the suite's own npm ci; offline, a miss fails instead of downloading.
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    ...(process.env.npm_config_nodedir ? { npm_config_nodedir: process.env.npm_config_nodedir } : {}),
  };
  return system === 'azure'
    ? { ...common, TF_BUILD: 'True', SYSTEM_DEFAULTWORKINGDIRECTORY: dir, BUILD_SOURCEBRANCH: 'refs/heads/main', BUILD_REASON: 'PullRequest' }
    : { ...common, GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_WORKSPACE: dir, GITHUB_REF: 'refs/pull/1/merge' };
}

const STEPS: Record<System, () => Step[]> = {
  azure: () => azureStageSteps('Build'),
  github: () => githubJobSteps('build'),
};

// One real install serves both systems: the build job of deploy.yml installs with the very same command as the
// Build stage (asserted below), so its run takes the checkout as the Azure run left it and skips that step.
describe('the Build stage (azure) and the build job (github), verbatim, as an ordinary user', () => {
  let checkout: Checkout;
  beforeAll(() => {
    checkout = freshCheckout();
  });
  afterAll(() => rmSync(checkout.dir, { recursive: true, force: true }));

  it('installs only the runtime dependencies, compiles, and verifies the committed config and home/ (green)', async () => {
    const install = (system: System) => STEPS[system]().find((s) => s.body.startsWith('npm '))!.body;
    expect(install('github')).toBe(install('azure'));
    for (const system of ['azure', 'github'] as const) {
      const runs = await runSteps(system, STEPS[system](), checkout, agentEnv(system, checkout.dir));
      const log = runs.map((r) => `--- ${r.step.name}: ${r.result}\n${r.output.stdout}${r.output.stderr}`).join('\n');
      expect(runs.map((r) => r.result), log).toEqual([system === 'azure' ? 'Succeeded' : 'Skipped', 'Succeeded']);
      expect(runs[1]!.output.stdout).toContain('ok     home/ is the fresh build of mta-sts.config.yaml');
      expect(runs[1]!.output.stdout).toContain('Ready to deploy.');
      // Lean: the emulator, its native keytar and the test runners are not installed; the compiled CLI is.
      for (const dev of ['@azure/static-web-apps-cli', 'keytar', '@playwright/test', 'vitest']) expect(existsSync(join(checkout.dir, 'node_modules', dev)), dev).toBe(false);
      expect(existsSync(join(checkout.dir, 'dist/cli/verify.js'))).toBe(true);
      checkout = { ...checkout, installed: true };
    }
  }, 240_000);

  it('a Function App config (hosting.kind function-app, twelve domains): verify checks functions/ with only the runtime dependencies, and fails it once stale', async () => {
    const config = join(checkout.dir, 'mta-sts.config.yaml');
    const original = readFileSync(config, 'utf8');
    const domains = Array.from({ length: 12 }, (_, i) => `d${i + 1}.example`);
    try {
      writeFileSync(config, `${original.replace(/domains:\n(?:\s+- .*\n)+/, `domains:\n${domains.map((d) => `  - ${d}\n`).join('')}`).replace(/\n  kind: static-web-app\n/, '\n  kind: function-app\n')}`);
      expect(readFileSync(config, 'utf8')).toContain('kind: function-app');
      // The lean install builds the package too: @azure/functions and Vite are runtime dependencies.
      const built = await checkout.run(process.execPath, ['bin/mta-sts.js', 'build'], agentEnv('azure', checkout.dir));
      expect(built.code, built.stderr).toBe(0);
      const verify = STEPS.azure().filter((s) => s.body.includes('verify'));
      let runs = await runSteps('azure', verify, checkout, agentEnv('azure', checkout.dir));
      expect(runs.map((r) => r.result), runs[0]!.output.stdout).toEqual(['Succeeded']);
      expect(runs[0]!.output.stdout).toContain('ok     functions/ is the fresh Function App package of mta-sts.config.yaml');
      writeFileSync(join(checkout.dir, 'functions/host.json'), '{"version":"2.0"}\n'); // routePrefix lost by hand
      runs = await runSteps('azure', verify, checkout, agentEnv('azure', checkout.dir));
      expect(runs.map((r) => r.result)).toEqual(['Failed']);
      expect(runs[0]!.output.stdout).toMatch(/^##vso\[task\.logissue type=error\]functions\/: stale against mta-sts\.config\.yaml \(host\.json\)/m);
    } finally {
      writeFileSync(config, original);
      rmSync(join(checkout.dir, 'functions'), { recursive: true, force: true });
      await checkout.run(process.execPath, ['bin/mta-sts.js', 'build'], agentEnv('azure', checkout.dir));
    }
  }, 60_000);

  it.each(['azure', 'github'] as const)('%s: fails with the reason on the summary page when home/ is stale or the config is wrong, naming every config error', async (system) => {
    const verify = STEPS[system]().filter((s) => s.body.includes('verify'));
    const config = join(checkout.dir, 'mta-sts.config.yaml');
    const original = readFileSync(config, 'utf8');
    try {
      writeFileSync(config, original.replace(/max_age: .*/, 'max_age: 12d'));
      let runs = await runSteps(system, verify, checkout, agentEnv(system, checkout.dir));
      expect(runs.map((r) => r.result)).toEqual(['Failed']);
      const mark = system === 'azure' ? '##vso[task.logissue type=error]' : '::error';
      expect(runs[0]!.output.stdout).toMatch(new RegExp(`^${mark.replace(/[[\]]/g, '\\$&')}.*home/.*stale against mta-sts\\.config\\.yaml \\(\\.well-known/mta-sts\\.txt[,)]`, 'm'));

      writeFileSync(config, original.replace(/mode: \w+/, 'mode: enforcing').replace(/max_age: .*/, 'max_age: -1'));
      runs = await runSteps(system, verify, checkout, agentEnv(system, checkout.dir));
      const out = runs[0]!.output.stdout;
      expect(runs.map((r) => r.result)).toEqual(['Failed']);
      expect(out).toMatch(/^error {2}mta-sts\.config\.yaml:\d+:\d+: .*mode/m);
      expect(out).toMatch(/^error {2}mta-sts\.config\.yaml:\d+:\d+: .*max_age/m);
    } finally {
      writeFileSync(config, original);
    }
  }, 60_000);
});
