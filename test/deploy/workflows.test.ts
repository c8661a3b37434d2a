// Structure of azure-pipelines.yml and .github/workflows/deploy.yml, parsed with `yaml`: the tasks and their
// inputs, the token as a reference, deploy only from main and never from a PR, the RFC 8461 §8.1 order.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.ts';

type Obj = Record<string, unknown>;
const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
const azureText = read('azure-pipelines.yml');
const githubText = read('.github/workflows/deploy.yml');
const azure = parse(azureText) as Obj;
const github = parse(githubText) as Obj;

/** Steps of an Azure job, with `${{ if }}` / `${{ else }}` blocks flattened; each step knows its branch. */
function azureSteps(steps: Obj[], branch = ''): Array<Obj & { branch: string }> {
  return steps.flatMap((step) => {
    const key = Object.keys(step)[0]!;
    if (key.startsWith('${{')) return azureSteps(step[key] as Obj[], key);
    return [{ ...step, branch }];
  });
}

const stages = azure.stages as Obj[];
const stage = (name: string) => stages.find((s) => s.stageName === name || s.stage === name)!;
const stepsOf = (name: string) => azureSteps(((stage(name).jobs as Obj[])[0]!.steps) as Obj[]);
const scriptOf = (s: Obj) => String(s.script ?? (s.inputs as Obj | undefined)?.inlineScript ?? '');
const indexWhere = <T>(list: T[], pred: (x: T) => boolean) => {
  const i = list.findIndex(pred);
  expect(i, 'expected step not found').toBeGreaterThanOrEqual(0);
  return i;
};

/** Runs a step's script the way the Azure agent does (bash --noprofile --norc), with only PATH and `env`. */
function runBash(script: string, env: Record<string, string>) {
  return spawnSync('bash', ['--noprofile', '--norc', '-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8' });
}

/**
 * A checkout without mta-sts.config.yaml, so `node bin/mta-sts.js check --config mta-sts.config.yaml` really
 * fails (exit 1: the named config is missing), to run a guard's script against the real command.
 */
const emptyCheckout = mkdtempSync(join(tmpdir(), 'workflows-'));
for (const name of ['bin', 'dist', 'node_modules', 'package.json']) symlinkSync(join(repoRoot, name), join(emptyCheckout, name));
afterAll(() => rmSync(emptyCheckout, { recursive: true, force: true }));
function runGuard(shell: string[], script: string) {
  return spawnSync('bash', [...shell, '-c', script], {
    cwd: emptyCheckout, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CHECK_STARTTLS: '' }, encoding: 'utf8', timeout: 60_000,
  });
}

const MAIN_ONLY = [
  'succeeded()',
  "eq(variables['Build.SourceBranch'], 'refs/heads/main')",
  "ne(variables['Build.Reason'], 'PullRequest')",
];


describe('azure-pipelines.yml', () => {
  it('runs on pushes to main, on pull requests to main, and daily on main, on a Linux hosted agent', () => {
    expect(azure.trigger).toEqual({ branches: { include: ['main'] } });
    // The daily run binds a managed certificate Azure issued after the last one (test/azure: "the next run binds it").
    expect(azure.schedules).toEqual([{ cron: '17 5 * * *', displayName: 'Daily bind and verify', branches: { include: ['main'] }, always: true }]);
    expect(azure.pr).toEqual({ branches: { include: ['main'] } });
    expect(azure.pool).toEqual({ vmImage: 'ubuntu-latest' });
  });

  it('names one variable group, once, at the top, and documents each one-time setup in a comment', () => {
    const groups = (azure.variables as Obj[]).filter((v) => 'group' in v);
    expect(groups).toEqual([{ group: 'mta-sts' }]);
    expect(azureText.match(/group:/g)).toHaveLength(1);
    for (const stage of stages) expect(stage.variables).toBeUndefined();
    const comments = azureText.split('\n').filter((l) => /^\s*#/.test(l)).join('\n');
    expect(comments).toMatch(/Variable group named "mta-sts"/);
    expect(comments).toMatch(/deployment_token = the app's deployment token/);
    expect(comments).toMatch(/service connection/i);
    expect(comments).toMatch(/Azure DNS zones/);
    // The app and its resource groups live in the config, the one source both pipelines and the CLI read.
    expect(comments).toMatch(/hosting\.app, hosting\.resource_group, hosting\.subscription, hosting\.dns_resource_group/);
  });

  it('defines every variable it references ($(x) and ${{ variables.x }})', () => {
    // YAML variables are read with template syntax: macro syntax leaves an empty variable as the literal "$(x)".
    for (const [, name] of azureText.matchAll(/\$\(([A-Za-z_][\w.]*)\)/g)) expect(['deployment_token', 'hostingApp', 'System.DefaultWorkingDirectory']).toContain(name);
    const yamlVars = new Set((azure.variables as Obj[]).filter((v) => 'name' in v).map((v) => v.name as string));
    // hostingApp: set at run time by `mta-sts hosting` (##vso[task.setvariable]) in the step before AzureFunctionApp@2.
    const fromGroup = new Set(['deployment_token', 'hostingApp']);
    const predefined = /^(System|Build)\./;
    for (const [, name] of azureText.matchAll(/\$\(([A-Za-z_][\w.]*)\)/g)) {
      if (!predefined.test(name!)) expect(yamlVars.has(name!) || fromGroup.has(name!), `$(${name})`).toBe(true);
    }
    // Template expressions are expanded before the variable group is read, so they may use YAML variables only.
    for (const [, name] of azureText.matchAll(/\$\{\{[^}]*variables\.(\w+)/g)) expect(yamlVars.has(name!), name).toBe(true);
    expect(yamlVars).toEqual(new Set(['armServiceConnection', 'hostingKind', 'checkStarttls']));
  });

  it('has the stages Build, Deploy, Domains, Verify, in that dependency order', () => {
    expect(stages.map((s) => s.stage)).toEqual(['Build', 'Deploy', 'Domains', 'Verify']);
    expect(stage('Deploy').dependsOn).toBe('Build');
    expect(stage('Domains').dependsOn).toBe('Deploy');
    expect(stage('Verify').dependsOn).toEqual(['Deploy', 'Domains']);
  });

  it('deploys, binds and verifies only on main and never for a pull request', () => {
    expect(stage('Build').condition).toBeUndefined();
    for (const name of ['Deploy', 'Domains', 'Verify']) {
      const condition = String(stage(name).condition);
      expect(condition.startsWith('and(')).toBe(true);
      for (const part of MAIN_ONLY) expect(condition, name).toContain(part);
    }
  });

  it('Build: Node 24, the lean npm ci --omit=dev, then mta-sts verify, and nothing else (no test suite, no browser)', () => {
    const steps = stepsOf('Build');
    const node = steps.find((s) => s.task === 'NodeTool@0')!;
    expect((node.inputs as Obj).versionSpec).toBe('24.x');
    const scripts = steps.map(scriptOf).filter(Boolean);
    expect(scripts).toEqual(['npm ci --omit=dev', 'node bin/mta-sts.js verify']);
    expect(steps.indexOf(node)).toBeLessThan(indexWhere(steps.map(scriptOf), (s) => s === 'npm ci --omit=dev'));
    expect(steps.filter((s) => s.task !== undefined).map((s) => s.task)).toEqual(['NodeTool@0']);
  });

  it('every stage installs Node 24 and only the runtime dependencies', () => {
    for (const name of ['Build', 'Deploy', 'Verify']) {
      const steps = stepsOf(name);
      expect(steps.filter((s) => s.task === 'NodeTool@0').map((s) => (s.inputs as Obj).versionSpec), name).toEqual(['24.x']);
      expect(steps.map(scriptOf).filter((s) => /^npm (ci|install)\b/.test(s)), name).toEqual(['npm ci --omit=dev']);
    }
  });

  it('Deploy: AzureStaticWebApp@0 deploys the prebuilt home/ with the token from the variable group', () => {
    const task = stepsOf('Deploy').find((s) => s.task === 'AzureStaticWebApp@0')!;
    expect(task.inputs).toEqual({
      workingDirectory: '$(System.DefaultWorkingDirectory)',
      app_location: 'home',
      output_location: '',
      skip_app_build: true,
      skip_api_build: true,
      production_branch: 'main',
      azure_static_web_apps_api_token: '$(deployment_token)',
    });
  });

  it('Deploy: stops before deploying when deployment_token is missing, in one line naming the variable group', () => {
    const steps = stepsOf('Deploy');
    const guard = indexWhere(steps, (s) => String(s.displayName).includes('holds deployment_token'));
    expect(guard).toBeLessThan(indexWhere(steps, (s) => s.task === 'AzureStaticWebApp@0'));
    // The secret arrives through env: in the script body a defined $(deployment_token) would be replaced by the
    // secret itself, so the body must not contain the macro.
    expect(steps[guard]!.env).toEqual({ DEPLOYMENT_TOKEN: '$(deployment_token)' });
    expect(scriptOf(steps[guard]!)).not.toContain('$(deployment_token)');
    expect(steps[guard]!.condition).toBeUndefined();
    expect(steps[guard]!.continueOnError).toBeUndefined();
    const errors = scriptOf(steps[guard]!).split('\n').filter((l) => l.includes('##vso[task.logissue type=error]'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('variable group mta-sts');
  });

  it('Deploy: the token guard, run by bash as the agent runs it, refuses an empty or unexpanded token only', () => {
    const guard = stepsOf('Deploy').find((s) => String(s.displayName).includes('holds deployment_token'))!;
    const run = (env: Record<string, string>) => runBash(scriptOf(guard), env);
    // The agent leaves an undefined macro as its literal text; an empty secret arrives empty.
    for (const env of [{ DEPLOYMENT_TOKEN: '$(deployment_token)' }, { DEPLOYMENT_TOKEN: '' }, {}] as Array<Record<string, string>>) {
      const r = run(env);
      expect(r.status, JSON.stringify(env)).toBe(1);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toMatch(/^##vso\[task\.logissue type=error\]Not deployed: the secret variable deployment_token is missing or empty\. Add it to the variable group mta-sts/);
    }
    const ok = run({ DEPLOYMENT_TOKEN: '0123abcd-token' });
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, '', '']);
  });

  it('Deploy: keeps the .well-known dot-folder: checks out this commit, asserts the files, copies nothing', () => {
    const steps = stepsOf('Deploy');
    const deploy = indexWhere(steps, (s) => s.task === 'AzureStaticWebApp@0');
    expect(steps[0]).toMatchObject({ checkout: 'self' });
    const assert = indexWhere(steps, (s) => scriptOf(s).includes('test -f home/.well-known/mta-sts.txt'));
    expect(scriptOf(steps[assert]!)).toContain('test -f home/staticwebapp.config.json');
    expect(assert).toBeLessThan(deploy);
    // No artifact or copy step anywhere could drop dot-files on the way to the deploy.
    const all = stages.flatMap((s) => stepsOf(s.stage as string));
    // (The one artifact is the check's report page, after the deploy: it carries no site file.)
    const report = (s: (typeof all)[number]) => (s.inputs as Record<string, unknown> | undefined)?.targetPath === 'test-results/check.html';
    expect(all.filter((s) => (/Artifact|CopyFiles/i.test(String(s.task ?? '')) && !report(s)) || 'download' in s || 'publish' in s)).toEqual([]);
    expect(all.map(scriptOf).filter((s) => /home\/\*/.test(s))).toEqual([]);
  });

  it('Deploy: refuses to deploy a policy that does not cover the live MX hosts (it would bounce mail in enforce)', () => {
    const steps = stepsOf('Deploy');
    const deploy = indexWhere(steps, (s) => s.task === 'AzureStaticWebApp@0');
    const guard = indexWhere(steps, (s) => scriptOf(s).includes('--before-deploy'));
    expect(guard).toBeLessThan(deploy);
    expect(indexWhere(steps, (s) => scriptOf(s) === 'npm ci --omit=dev')).toBeLessThan(guard);
    const script = scriptOf(steps[guard]!);
    expect(script).toContain('args=(--before-deploy --config mta-sts.config.yaml)');
    expect(script).toMatch(/status=0\n\s*node bin\/mta-sts\.js check "\$\{args\[@\]\}" \|\| status=\$\?\n\s*if \[ "\$status" -ne 0 \]; then[\s\S]*exit 1/);
    expect(steps[guard]!.continueOnError).toBeUndefined();
    expect(steps[guard]!.env).toEqual({ CHECK_STARTTLS: '${{ variables.checkStarttls }}' });
  });

  it('Deploy: the guard, run by bash as the agent runs it, stops with its "Not deployed" error when check fails', () => {
    const guard = stepsOf('Deploy').find((s) => scriptOf(s).includes('--before-deploy'))!;
    const r = runGuard(['--noprofile', '--norc'], scriptOf(guard));
    expect(r.stderr).toContain('mta-sts.config.yaml');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^##vso\[task\.logissue type=error\]Not deployed: mta-sts check --before-deploy failed \(exit 1\)\./m);
  });

  it('Domains: with a service connection, AzureCLI@2 runs azure bind; otherwise a step says how to enable it', () => {
    const steps = stepsOf('Domains');
    const enabled = "${{ if ne(variables.armServiceConnection, '') }}";
    const cli = steps.find((s) => s.task === 'AzureCLI@2')!;
    expect(cli.branch).toBe(enabled);
    // The app, resource groups and subscription come from the config alone: no flags, no env.
    expect(cli.inputs).toEqual({
      azureSubscription: '${{ variables.armServiceConnection }}',
      scriptType: 'bash',
      scriptLocation: 'inlineScript',
      inlineScript: 'node bin/mta-sts.js azure bind --config mta-sts.config.yaml',
      workingDirectory: '$(System.DefaultWorkingDirectory)',
      failOnStandardError: false,
    });
    expect(cli.env).toBeUndefined();
    const enabledScripts = steps.filter((s) => s.branch === enabled).map(scriptOf);
    expect(enabledScripts.indexOf('npm ci --omit=dev')).toBeGreaterThanOrEqual(0);
    expect(steps.filter((s) => s.branch === enabled)[0]).toMatchObject({ checkout: 'self' });
    const howTo = steps.filter((s) => s.branch === '${{ else }}').map(scriptOf).join('\n');
    expect(howTo).toContain('##vso[task.logissue type=warning]');
    expect(howTo).toContain('set armServiceConnection at the top of azure-pipelines.yml');
  });

  it('Verify: publish-dns (waits for the live policy itself), then the check, then JUnit', () => {
    const steps = stepsOf('Verify');
    const scripts = steps.map(scriptOf);
    const publishDns = 'node bin/mta-sts.js azure publish-dns --config mta-sts.config.yaml';
    const publishers = steps.filter((s) => scriptOf(s).startsWith(publishDns));
    // With the service connection it runs logged in to Azure (for hosting.dns_resource_group); without, it prints.
    expect(publishers.map((s) => [s.branch, s.task ?? 'script'])).toEqual([
      ["${{ if ne(variables.armServiceConnection, '') }}", 'AzureCLI@2'],
      ['${{ else }}', 'script'],
    ]);
    expect(publishers[0]!.inputs).toMatchObject({ azureSubscription: '${{ variables.armServiceConnection }}', scriptType: 'bash' });
    expect(scriptOf(publishers[0]!)).toBe(publishDns);
    // No login without the connection: the records are printed even for zones in Azure DNS (test/azure/publish-dns.test.ts).
    expect(scriptOf(publishers[1]!)).toBe(`${publishDns} --print-only`);
    for (const p of publishers) {
      expect(p.env).toBeUndefined();
      expect(p.continueOnError).toBeUndefined();
    }
    const check = indexWhere(scripts, (s) => s.includes('node bin/mta-sts.js check'));
    const junit = indexWhere(steps, (s) => s.task === 'PublishTestResults@2');
    for (const p of publishers) expect(steps.indexOf(p)).toBeLessThan(check);
    expect(junit).toBeGreaterThan(check);
    expect(scripts.filter((s) => /configure-domains|wait-live|publish-txt/.test(s))).toEqual([]);
    // The check still runs after a failed publish: its findings say what is missing.
    expect(steps[check]!.condition).toBe('succeededOrFailed()');
    expect(steps[junit]).toMatchObject({ condition: 'succeededOrFailed()', inputs: { testResultsFormat: 'JUnit', testResultsFiles: 'test-results/check.xml' } });
    // The page check --html writes is the run's artifact, after a failed check too.
    const page = indexWhere(steps, (s) => s.task === 'PublishPipelineArtifact@1');
    expect(page).toBeGreaterThan(check);
    expect(steps[page]).toMatchObject({ condition: 'succeededOrFailed()', inputs: { targetPath: 'test-results/check.html', artifact: 'check-report' } });
  });

  it('Verify: the check always allows pending certificates, writes JUnit, annotates, and fails the run on a failure', () => {
    const steps = stepsOf('Verify');
    const check = steps.find((s) => scriptOf(s).includes('node bin/mta-sts.js check'))!;
    const script = scriptOf(check);
    // No --json: in text mode check itself writes the annotations and SucceededWithIssues (test/check/annotations.test.ts).
    expect(script).toContain('args=(--config mta-sts.config.yaml --junit test-results/check.xml --html test-results/check.html --allow-pending-cert)');
    expect(script).toContain('if [ "$CHECK_STARTTLS" != true ]; then args+=(--skip-starttls); fi');
    expect(check.env).toEqual({ CHECK_STARTTLS: '${{ variables.checkStarttls }}' });
    expect(script).toMatch(/status=0\n\s*node bin\/mta-sts\.js check "\$\{args\[@\]\}" \|\| status=\$\?\n\s*exit "\$status"$/m);
    // Only compiled code runs in the pipeline: tsx is for tests and benchmarks.
    expect(azureText).not.toMatch(/tsx|scripts\/|--json/);
    // No step is softened by hand any more: warnings come from the commands themselves.
    expect(stages.flatMap((s) => stepsOf(s.stage as string)).filter((s) => s.continueOnError !== undefined)).toEqual([]);
    expect(azureText).not.toMatch(/allowPendingCertificates|ALLOW_PENDING/);
  });
});

describe('.github/workflows/deploy.yml', () => {
  const jobs = github.jobs as Record<string, Obj>;
  const steps = (job: string) => jobs[job]!.steps as Obj[];
  const runOf = (s: Obj) => String(s.run ?? '');
  const MAIN_PUSH = "(github.event_name == 'push' || github.event_name == 'schedule') && github.ref == 'refs/heads/main'";

  it('runs on pushes and pull requests to main, and daily', () => {
    expect(github.on).toEqual({ push: { branches: ['main'] }, pull_request: { branches: ['main'] }, schedule: [{ cron: '17 5 * * *' }] });
    expect(github.permissions).toEqual({ contents: 'read' });
  });

  it('deploys, binds and verifies only on a push to main or the daily run, after the build, in order', () => {
    expect(Object.keys(jobs)).toEqual(['build', 'deploy', 'domains', 'verify']);
    expect(jobs.build!.if).toBeUndefined();
    for (const job of ['deploy', 'domains', 'verify']) expect(jobs[job]!.if, job).toBe(MAIN_PUSH);
    expect(jobs.deploy!.needs).toBe('build');
    expect(jobs.domains!.needs).toBe('deploy');
    expect(jobs.verify!.needs).toEqual(['deploy', 'domains']);
  });

  it('build: Node 24, the lean npm ci --omit=dev, then mta-sts verify, and nothing else', () => {
    const s = steps('build');
    expect(s.find((x) => x.uses === 'actions/setup-node@v7')!.with).toMatchObject({ 'node-version': 24 });
    expect(s.map(runOf).filter(Boolean)).toEqual(['npm ci --omit=dev', 'node bin/mta-sts.js verify']);
    for (const job of Object.keys(jobs)) {
      const js = steps(job);
      for (const setup of js.filter((x) => x.uses === 'actions/setup-node@v7')) expect(setup.with, job).toMatchObject({ 'node-version': 24 });
      for (const r of js.map(runOf).filter((r) => /^npm (ci|install)\b/.test(r))) expect(r, job).toBe('npm ci --omit=dev');
    }
  });

  it('uses only actions whose major runs on Node 24, or no Node at all (issue 24)', () => {
    // action.yml runs.using of each, at the tag: checkout v5+, setup-node v5+, upload-artifact v6+ and azure/login v3
    // declare node24 (their release notes; Azure/login#577); Azure/static-web-apps-deploy is a container action.
    // Azure/functions-action's newest major still declares node20, so a Function App is deployed with az.
    const NODE24_OR_CONTAINER = ['actions/checkout@v7', 'actions/setup-node@v7', 'azure/login@v3', 'actions/upload-artifact@v7', 'Azure/static-web-apps-deploy@v1'];
    const used = Object.values(jobs).flatMap((j) => (j.steps as Obj[]).map((x) => x.uses).filter((u): u is string => typeof u === 'string'));
    expect(new Set(used)).toEqual(new Set(NODE24_OR_CONTAINER));
  });

  it('signs in with azure/login as the managed identity (OIDC: id-token write, the three variables, no secret)', () => {
    const logins = Object.entries(jobs).flatMap(([name, j]) => (j.steps as Obj[]).filter((x) => String(x.uses).startsWith('azure/login')).map((x) => [name, x] as const));
    expect(logins.map(([name]) => name)).toEqual(['deploy', 'domains', 'verify']);
    for (const [name, login] of logins) {
      expect(login.with, name).toEqual({ 'client-id': '${{ vars.AZURE_CLIENT_ID }}', 'tenant-id': '${{ vars.AZURE_TENANT_ID }}', 'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}' });
      expect(jobs[name]!.permissions, name).toEqual({ contents: 'read', 'id-token': 'write' });
    }
    // No client secret anywhere, and no Entra app registration asked for.
    expect(githubText).not.toMatch(/client-secret|creds:|AZURE_CREDENTIALS|Entra app/);
    expect(jobs.build!.permissions).toBeUndefined();
  });

  it('deploy: a Function App goes up with az\'s zip deploy after azure/login, naming the app and resource group from the config', () => {
    const s = steps('deploy');
    const prepare = indexWhere(s, (x) => String(x.name).startsWith('Check hosting.kind and prepare the Function App package'));
    const login = indexWhere(s, (x) => x.uses === 'azure/login@v3');
    const deploy = indexWhere(s, (x) => x.name === 'Deploy functions/ to the Function App');
    expect(prepare).toBeLessThan(login);
    expect(login).toBeLessThan(deploy);
    for (const i of [prepare, login, deploy]) expect(s[i]!.if).toBe("steps.hosting.outputs.kind == 'function-app'");
    expect(runOf(s[deploy]!)).toContain('az functionapp deployment source config-zip --resource-group "$RESOURCE_GROUP" --name "$APP" --src functions.zip');
    expect(s[deploy]!.env).toEqual({ APP: '${{ steps.hosting.outputs.app }}', RESOURCE_GROUP: '${{ steps.hosting.outputs.resource_group }}' });
    // Without hosting.resource_group (an older config), it stops before any upload, saying so: run with a `node`
    // whose `hosting --expect-kind` passes, so that the guard after it is what answers.
    const bin = mkdtempSync(join(tmpdir(), 'workflow-bin-'));
    writeFileSync(join(bin, 'node'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    try {
      const r = runBash(runOf(s[prepare]!), { AZURE_CONFIGURED: 'true', RESOURCE_GROUP: '', PATH: `${bin}:${process.env.PATH}` });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('::error::Not deployed: hosting.resource_group is not set in mta-sts.config.yaml, and az needs it to deploy the Function App (docs/github-actions.md: "Troubleshooting").\n');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('deploy: Azure/static-web-apps-deploy@v1 uploads the prebuilt home/ with the token from a secret', () => {
    const s = steps('deploy');
    const deploy = indexWhere(s, (x) => x.uses === 'Azure/static-web-apps-deploy@v1');
    expect(s[deploy]!.with).toEqual({
      action: 'upload',
      app_location: 'home',
      output_location: '',
      skip_app_build: true,
      skip_api_build: true,
      production_branch: 'main',
      azure_static_web_apps_api_token: '${{ secrets.AZURE_STATIC_WEB_APPS_API_TOKEN }}',
    });
    expect(s[0]!.uses).toBe('actions/checkout@v7');
    expect(indexWhere(s, (x) => runOf(x).includes('test -f home/.well-known/mta-sts.txt'))).toBeLessThan(deploy);
  });

  it('deploy: refuses to deploy a policy that does not cover the live MX hosts', () => {
    const s = steps('deploy');
    const guard = indexWhere(s, (x) => runOf(x).includes('--before-deploy'));
    expect(guard).toBeLessThan(indexWhere(s, (x) => x.uses === 'Azure/static-web-apps-deploy@v1'));
    expect(indexWhere(s, (x) => runOf(x) === 'npm ci --omit=dev')).toBeLessThan(guard);
    expect(runOf(s[guard]!)).toMatch(/status=0\n\s*node bin\/mta-sts\.js check "\$\{args\[@\]\}" \|\| status=\$\?\n\s*if \[ "\$status" -ne 0 \]; then[\s\S]*exit 1/);
    expect(s[guard]!['continue-on-error']).toBeUndefined();
    expect(s[guard]!.shell).toBeUndefined();
  });

  it('deploy: the guard, run as GitHub runs it (bash -e), still prints its "Not deployed" error when check fails', () => {
    const guard = steps('deploy').find((x) => runOf(x).includes('--before-deploy'))!;
    const r = runGuard(['-e'], runOf(guard));
    expect(r.stderr).toContain('mta-sts.config.yaml');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^::error::Not deployed: mta-sts check --before-deploy failed \(exit 1\)\./m);
  });

  it('deploy: stops before the upload when the token secret is missing, naming the secret', () => {
    const s = steps('deploy');
    const guard = indexWhere(s, (x) => String(x.name).includes('AZURE_STATIC_WEB_APPS_API_TOKEN is set'));
    expect(guard).toBeLessThan(indexWhere(s, (x) => x.uses === 'Azure/static-web-apps-deploy@v1'));
    expect(s[guard]!.env).toEqual({ DEPLOYMENT_TOKEN: '${{ secrets.AZURE_STATIC_WEB_APPS_API_TOKEN }}' });
    const run = (env: Record<string, string>) => runBash(runOf(s[guard]!), env);
    for (const env of [{ DEPLOYMENT_TOKEN: '' }, {}] as Array<Record<string, string>>) {
      const r = run(env);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^::error::Not deployed: the secret AZURE_STATIC_WEB_APPS_API_TOKEN is missing or empty\.[^\n]*\n$/);
    }
    expect(run({ DEPLOYMENT_TOKEN: '0123abcd-token' }).status).toBe(0);
  });

  it('never uploads home/ as an artifact without include-hidden-files', () => {
    const uploads = Object.values(jobs).flatMap((j) => (j.steps as Obj[]).filter((x) => String(x.uses).startsWith('actions/upload-artifact')));
    expect(uploads.length).toBeGreaterThan(0);
    for (const u of uploads) {
      const w = u.with as Obj;
      if (String(w.path).includes('home')) expect(w['include-hidden-files']).toBe(true);
    }
    expect(Object.values(jobs).flatMap((j) => (j.steps as Obj[]).filter((x) => String(x.uses).startsWith('actions/download-artifact')))).toEqual([]);
  });

  it('domains: azure/login (OIDC) then azure bind when configured; otherwise a warning says how', () => {
    const s = steps('domains');
    expect(jobs.domains!.permissions).toMatchObject({ 'id-token': 'write' });
    expect((jobs.domains!.env as Obj).AZURE_CONFIGURED).toBe("${{ vars.AZURE_CLIENT_ID != '' }}");
    const login = indexWhere(s, (x) => x.uses === 'azure/login@v3');
    const bind = indexWhere(s, (x) => runOf(x) === 'node bin/mta-sts.js azure bind --config mta-sts.config.yaml');
    expect(login).toBeLessThan(bind);
    expect(indexWhere(s, (x) => runOf(x) === 'npm ci --omit=dev')).toBeLessThan(bind);
    expect(s[bind]!.if).toBe("env.AZURE_CONFIGURED == 'true'");
    expect(s[bind]!.env).toBeUndefined();
    const howTo = s.find((x) => x.if === "env.AZURE_CONFIGURED != 'true'")!;
    expect(runOf(howTo)).toContain('::warning::Custom domains are not bound by this workflow');
  });

  it('verify: publish-dns, then the check with JUnit and annotations, then upload results', () => {
    const s = steps('verify');
    const runs = s.map(runOf);
    const login = indexWhere(s, (x) => x.uses === 'azure/login@v3');
    const publish = indexWhere(runs, (r) => r.includes('node bin/mta-sts.js azure publish-dns "${args[@]}"'));
    const check = indexWhere(runs, (r) => r.includes('node bin/mta-sts.js check'));
    const upload = indexWhere(s, (x) => x.uses === 'actions/upload-artifact@v7');
    expect(login).toBeLessThan(publish);
    expect(s[login]!.if).toBe("env.AZURE_CONFIGURED == 'true'");
    expect(publish).toBeLessThan(check);
    expect(check).toBeLessThan(upload);
    // Without the Azure variables there is no login: publish-dns prints the records even for zones in Azure DNS.
    expect(runs[publish]).toContain('args=(--config mta-sts.config.yaml)\nif [ "$AZURE_CONFIGURED" != true ]; then args+=(--print-only); fi\n');
    expect(s[publish]!.if).toBeUndefined();
    expect((jobs.verify!.env as Obj).AZURE_CONFIGURED).toBe("${{ vars.AZURE_CLIENT_ID != '' }}");
    // No --json: in text mode check itself writes the annotations (test/check/annotations.test.ts).
    expect(runs[check]).toContain('args=(--config mta-sts.config.yaml --junit test-results/check.xml --html test-results/check.html --allow-pending-cert)');
    expect(runs[check]).toMatch(/status=0\n\s*node bin\/mta-sts\.js check "\$\{args\[@\]\}" \|\| status=\$\?\n\s*exit "\$status"$/m);
    expect(githubText).not.toMatch(/tsx|scripts\/|--json/);
    expect(s[check]!.if).toBe('${{ !cancelled() }}');
    expect(s[upload]).toMatchObject({ if: '${{ !cancelled() }}', with: { path: 'test-results/' } });
    for (const x of s) expect(x['continue-on-error'], String(x.name ?? x.uses ?? x.run)).toBeUndefined();
    expect(githubText).not.toMatch(/ALLOW_PENDING|configure-domains|SWA_NAME|DNS_RESOURCE_GROUP/);
  });
});

describe('docs/azure-devops.md "Setting it up by hand" and the pipelines', () => {
  const doc = read('docs/azure-devops.md');
  const section = doc.slice(doc.indexOf('## Setting it up by hand\n'));
  const heading = (n: number) => new RegExp(`^### ${n}\\. (.*)$`, 'm').exec(section)?.[1] ?? '';

  it('has the steps 1 to 8, and the pipelines\' messages point to the ones on the subjects they name', () => {
    for (let n = 1; n <= 8; n++) expect(heading(n), `step ${n}`).not.toBe('');
    const refs = [...azureText.matchAll(/\(docs\/azure-devops\.md: "(\d)\. [^"]*"\)/g)].map((m) => Number(m[1]));
    expect(new Set(refs)).toEqual(new Set([2, 3]));
    expect(heading(2)).toMatch(/deployment token/);
    expect(heading(3)).toMatch(/service connection/);
    expect(heading(8)).toMatch(/enforce/);
  });

  it('names only the variables the pipeline has, and the hosting: keys it reads', () => {
    expect(section).not.toMatch(/allowPendingCertificates|swaName|swaResourceGroup|dnsResourceGroup|configure-domains/);
    expect(section).toContain('`armServiceConnection`');
    for (const key of ['app', 'resource_group', 'subscription', 'dns_resource_group']) expect(section).toMatch(new RegExp(`^  ${key}: `, 'm'));
    // Step 8 tells a user outside Azure DNS to replace one TXT per domain, and how the run says so.
    const step8 = section.slice(section.indexOf('### 8.'));
    expect(step8).toMatch(/one TXT record per domain[\s\S]*warns[\s\S]*fails on purpose[\s\S]*config-id-differs/);
  });
});

describe('both files', () => {
  it('run the CLI one way: node bin/mta-sts.js (npx would copy the project into its cache first)', () => {
    for (const text of [azureText, githubText]) {
      expect(text).not.toMatch(/npx\s/);
      const calls = [...text.matchAll(/node bin\/mta-sts\.js (\w+(?: \w[\w-]*)?)/g)].map((m) => m[1]);
      expect(new Set(calls)).toEqual(new Set(['verify', 'check', 'hosting', 'azure bind', 'azure publish-dns']));
    }
  });

  it('hold no literal secret', () => {
    for (const text of [azureText, githubText]) {
      expect(text).not.toMatch(/[0-9a-f]{32,}/i);
      expect(text).not.toMatch(/api_token:\s*['"]?[^$'"\s]/);
    }
  });
});
