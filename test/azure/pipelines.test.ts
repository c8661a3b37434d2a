// The Domains and Verify stages of azure-pipelines.yml (and the domains and verify jobs of deploy.yml), their
// shell taken verbatim from the YAML, run against the emulators: contoso.com has its zone in Azure DNS,
// fabrikam.com is hosted elsewhere. First the first run as the README describes it (fabrikam's records
// published beforehand), on both systems; then, on the Azure YAML, three runs of a rollout where the admin
// skipped that step. Only what replaces the cloud itself is added to each step's environment: the ARM endpoint
// (MTA_STS_ARM_ENDPOINT), the test CA (NODE_EXTRA_CA_CERTS), the login (a fake az first on PATH), and the
// loopback Internet through the documented MTA_STS_DNS_SERVER and MTA_STS_HTTPS_PORT: every step runs as an
// ordinary user, with no namespace and no privileged port.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { SUBSCRIPTION, TOKEN } from './arm-emulator.ts';
import { FunctionAppEmulator } from './function-app-emulator.ts';
import type { Checkout } from './pipeline-steps.ts';
import { APP, DEFAULT_HOST, DNS_RG, WEB_RG } from './harness.ts';
import { LoopbackInternet } from './loopback-internet.ts';
import { azureStageOutline, azureStageSteps, azureTaskInputs, githubJobSteps, runSteps, type Step, type StepRun, type System } from './pipeline-steps.ts';

const CONFIG = [
  '# yaml-language-server: $schema=./mta-sts.schema.json',
  'domains:',
  '  - contoso.com',
  '  - fabrikam.com',
  'policy:',
  '  mode: testing',
  '  mx:',
  '    - "*.mail.protection.outlook.com"',
  '  max_age: 604800',
  'tlsrpt:',
  '  rua:',
  '    - mailto:tlsrpt@contoso.com',
  'hosting:',
  '  plan: standard',
  `  app: ${APP}`,
  `  resource_group: ${WEB_RG}`,
  `  subscription: ${SUBSCRIPTION}`,
  `  dns_resource_group: ${DNS_RG}`,
  '',
].join('\n');

let net: LoopbackInternet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

/** The checkout the stages run in: the config and the home/ the Build stage built from it. */
async function checkout(n: LoopbackInternet): Promise<void> {
  writeFileSync(join(n.dir, 'mta-sts.config.yaml'), CONFIG);
  mkdirSync(join(n.dir, 'home'), { recursive: true });
  const built = await n.run(process.execPath, ['bin/mta-sts.js', 'build'], { PATH: process.env.PATH!, HOME: n.dir });
  expect(built.code).toBe(0);
}

function agentEnv(system: System, n: LoopbackInternet): Record<string, string> {
  const common = { PATH: process.env.PATH!, HOME: join(n.dir, '.agent-home'), LANG: 'C.UTF-8' };
  return system === 'azure'
    ? { ...common, TF_BUILD: 'True', SYSTEM_DEFAULTWORKINGDIRECTORY: n.dir, BUILD_SOURCEBRANCH: 'refs/heads/main', BUILD_REASON: 'IndividualCI' }
    : { ...common, GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_WORKSPACE: n.dir, GITHUB_REF: 'refs/heads/main' };
}

const summary = (runs: StepRun[]) => runs.filter((r) => r.result !== 'Skipped').map((r) => `${r.result}: ${r.step.name}`);
const output = (runs: StepRun[]) => runs.map((r) => r.output.stdout + r.output.stderr).join('\n');
/** The two ways to get the steps: the Domains and Verify stages, or the domains and verify jobs. */
const STEPS: Record<System, () => { domains: Step[]; verify: Step[] }> = {
  azure: () => ({ domains: azureStageSteps('Domains'), verify: azureStageSteps('Verify') }),
  github: () => ({ domains: githubJobSteps('domains'), verify: githubJobSteps('verify') }),
};

/** contoso.com's zone in Azure DNS, fabrikam.com's elsewhere; both with Exchange Online MX; the app serving home/. */
async function rollout(system: System): Promise<{ n: LoopbackInternet; env: Record<string, string>; domains: Step[]; verify: Step[] }> {
  const n = (net = await LoopbackInternet.start());
  const { domains, verify } = STEPS[system]();
  expect(domains.some((s) => s.body.includes('azure bind'))).toBe(true);
  expect(verify.some((s) => s.body.includes('azure publish-dns'))).toBe(true);
  await checkout(n);
  n.arm.addZone(DNS_RG, 'contoso.com');
  n.addMx('contoso.com');
  n.addMx('fabrikam.com');
  n.serveSite(() => readFileSync(join(n.dir, 'home/.well-known/mta-sts.txt')));
  return { n, env: agentEnv(system, n), domains, verify };
}

describe.each<System>(['azure', 'github'])('the %s pipeline, verbatim, on the first run the README describes', (system) => {
  it('fabrikam\'s records published beforehand (step 4): Domains warns only of pending certificates, Verify is green', async () => {
    const { n, env, domains, verify } = await rollout(system);
    // README step 4: outside Azure DNS, the admin publishes what `mta-sts records` prints before the first run.
    const records = await n.run(process.execPath, ['bin/mta-sts.js', 'records', '--json'], { PATH: process.env.PATH!, HOME: n.dir });
    for (const r of JSON.parse(records.stdout) as { name: string; type: string; value: string }[]) {
      if (r.name.endsWith('fabrikam.com') && r.type === 'TXT') n.dns.zone.set(r.name, { txt: [r.value] });
    }
    n.dns.zone.set('mta-sts.fabrikam.com', { cname: DEFAULT_HOST });

    const d = await runSteps(system, domains, n, env);
    const bind = find(d, 'azure bind');
    expect(bind.result).toBe('SucceededWithIssues');
    expect(bind.output.stdout).toContain('fabrikam.com: bound mta-sts.fabrikam.com to mta-sts-app (status Ready)');
    expect(bind.output.stderr).toContain('warning: contoso.com: mta-sts.contoso.com is bound, certificate pending');
    expect(bind.output.stderr).toContain('warning: fabrikam.com: mta-sts.fabrikam.com is bound, certificate pending');

    // Azure issues both certificates between the stages. (publish-dns's wait for a pending one, with its
    // 10 s polls, is tested in-process on a virtual clock: publish-dns.test.ts.)
    await n.issueCertificate('mta-sts.contoso.com');
    await n.issueCertificate('mta-sts.fabrikam.com');
    const v = await runSteps(system, verify, n, env);
    const publish = find(v, 'azure publish-dns');
    expect(publish.output.stderr).toBe('');
    expect(publish.result).toBe('Succeeded');
    expect(publish.output.stdout).toMatch(/contoso\.com: TXT _mta-sts\.contoso\.com = "v=STSv1; id=\w+;"/);
    expect(publish.output.stdout).toContain('fabrikam.com: TXT _mta-sts.fabrikam.com is live with this value');
    expect(find(v, CHECK).result).not.toBe('Failed');
    expect(n.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toHaveLength(1);
    if (process.env.MTA_STS_TEST_LOG) console.log(`${summary(d).join(' | ')}\n${summary(v).join(' | ')}\n\n${output([...d, ...v])}`);
  }, 120_000);
});

/** The Verify step that checks the live setup (the Deploy guard runs `check --before-deploy`). */
const CHECK = 'node bin/mta-sts.js check';
const find = (runs: StepRun[], part: string) => {
  const run = runs.find((r) => r.step.body.includes(part));
  if (!run) throw new Error(`no step runs ${part}`);
  return run;
};

describe.each<System>(['azure', 'github'])('the %s pipeline, verbatim, without an Azure login (no service connection / Azure variables)', (system) => {
  it('Verify waits for the policy, prints the records (the Azure DNS zone\'s too), never logs in, says how to let it publish them, and check annotates what is missing', async () => {
    const n = (net = await LoopbackInternet.start());
    const verify = system === 'azure' ? azureStageSteps('Verify', { armServiceConnection: '' }) : githubJobSteps('verify', { "vars.AZURE_CLIENT_ID != ''": 'false' });
    await checkout(n);
    n.arm.addZone(DNS_RG, 'contoso.com');
    n.addMx('contoso.com');
    n.addMx('fabrikam.com');
    // The admin bound both hosts in the portal (README: Deploy to Azure, step 3 skipped); Azure issued their certificates.
    const site = n.arm.sites.get(`${WEB_RG}/${APP}`)!;
    for (const host of ['mta-sts.contoso.com', 'mta-sts.fabrikam.com']) {
      site.customDomains.set(host, { status: 'Ready', createdOn: new Date().toISOString() });
      n.dns.zone.set(host, { cname: DEFAULT_HOST });
      await n.issueCertificate(host);
    }
    n.serveSite(() => readFileSync(join(n.dir, 'home/.well-known/mta-sts.txt')));

    const v = await runSteps(system, verify, n, agentEnv(system, n));
    const publish = find(v, 'azure publish-dns');
    expect(publish.output.stderr).toContain('warning: contoso.com: TXT _mta-sts.contoso.com is not published yet');
    expect(publish.result).toBe('SucceededWithIssues');
    expect(publish.output.stdout).toContain('contoso.com: the new policy is live at https://mta-sts.contoso.com/.well-known/mta-sts.txt');
    expect(publish.output.stdout).toContain('contoso.com: Azure DNS is not written in this run (--print-only); publish these records at your DNS host');
    expect(publish.output.stdout).toMatch(/^ {2}_mta-sts\.contoso\.com\. 3600 IN TXT "v=STSv1; id=\w+;"$/m);
    const how = system === 'azure' ? 'set armServiceConnection at the top of azure-pipelines.yml' : 'set the variables AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID';
    expect(publish.output.stdout).toMatch(new RegExp(`^${system === 'azure' ? '##vso\\[task\\.logissue type=warning\\]' : '::warning::'}the records were printed, not written to the Azure DNS zones in ${DNS_RG} .*${how}`, 'm'));
    // No login, no ARM call: nothing asked az for a token.
    expect(n.azCalls()).toEqual([]);
    expect(n.arm.requests).toEqual([]);
    const check = find(v, CHECK);
    expect(check.result).toBe('Failed'); // nothing published the TXT records yet
    expect(check.output.stdout).toMatch(system === 'azure'
      ? /^##vso\[task\.logissue type=error\]contoso\.com sts-record \[sts-record-missing\]: /m
      : /^::error title=contoso\.com sts-record \[sts-record-missing\]::/m);
    if (process.env.MTA_STS_TEST_LOG) console.log(`${summary(v).join(' | ')}\n\n${output(v)}`);
  }, 120_000);
});

describe('the azure pipeline, verbatim, when the admin skipped step 4', () => {
  it('binds, waits for the certificate, publishes in Azure DNS, prints the rest, and goes green once the admin has published it', async () => {
    const system: System = 'azure';
    const { n, env, domains, verify } = await rollout(system);
    const site = n.arm.sites.get(`${WEB_RG}/${APP}`)!;
    const log: string[] = [];
    const record = (run: string, stage: string, runs: StepRun[]) => log.push(`${run} ${stage}: ${summary(runs).join(' | ')}`);

    // Run 1, the first push. fabrikam.com's CNAME does not exist yet; contoso.com's certificate is issued
    // between the stages.
    const d1 = await runSteps(system, domains, n, env);
    record('run 1', 'Domains', d1);
    const bind1 = find(d1, 'azure bind');
    expect(bind1.result).toBe('SucceededWithIssues');
    expect(bind1.output.stdout).toContain(`contoso.com: CNAME mta-sts.contoso.com -> ${DEFAULT_HOST} in zone contoso.com`);
    expect(bind1.output.stdout).toContain('contoso.com: bound mta-sts.contoso.com to mta-sts-app (status Ready)');
    expect(bind1.output.stderr).toContain('warning: contoso.com: mta-sts.contoso.com is bound, certificate pending');
    expect(bind1.output.stderr).toContain(`fabrikam.com: no zone in ${DNS_RG} holds mta-sts.fabrikam.com, so mta-sts.fabrikam.com is not yet a CNAME to ${DEFAULT_HOST}; create this record at your DNS host, and the next run binds it: mta-sts.fabrikam.com. 3600 IN CNAME ${DEFAULT_HOST}.`);
    expect(site.customDomains.has('mta-sts.fabrikam.com')).toBe(false);

    await n.issueCertificate('mta-sts.contoso.com');
    const v1 = await runSteps(system, verify, n, env);
    record('run 1', 'Verify', v1);
    const publish1 = find(v1, 'azure publish-dns');
    expect(publish1.result).toBe('SucceededWithIssues');
    expect(publish1.output.stdout).toContain('contoso.com: the new policy is live at https://mta-sts.contoso.com/.well-known/mta-sts.txt');
    expect(publish1.output.stderr).toContain('warning: fabrikam.com: TXT held back: ');
    expect(n.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toEqual([expect.stringMatching(/^v=STSv1; id=\w+;$/)]);
    expect(n.arm.txt(DNS_RG, 'contoso.com', '_smtp._tls')).toEqual(['v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com']);
    // fabrikam.com has no policy host yet: the live check says so and fails the run.
    const check1 = find(v1, CHECK);
    expect(check1.result).toBe('Failed');
    expect(check1.output.stdout).toMatch(/^contoso\.com .* warn\n/m);
    expect(check1.output.stdout).toMatch(/^fabrikam\.com .* FAIL\n/m);
    expect(readFileSync(join(n.dir, 'test-results/check.xml'), 'utf8')).toContain('<testsuite name="fabrikam.com"');
    expect(check1.output.stdout).toContain('##vso[task.logissue type=error]fabrikam.com policy-fetch [policy-host-unresolved]');

    // Run 2: the admin created the CNAME the log asked for; Azure issues fabrikam's certificate meanwhile.
    n.dns.zone.set('mta-sts.fabrikam.com', { cname: DEFAULT_HOST });
    const d2 = await runSteps(system, domains, n, env);
    record('run 2', 'Domains', d2);
    const bind2 = find(d2, 'azure bind');
    expect(bind2.output.stdout).toContain('contoso.com: mta-sts.contoso.com already bound (status Ready)');
    expect(bind2.output.stdout).toContain('contoso.com: mta-sts.contoso.com is ready');
    expect(bind2.output.stdout).toContain('fabrikam.com: bound mta-sts.fabrikam.com to mta-sts-app (status Ready)');
    expect(bind2.result).toBe('SucceededWithIssues'); // fabrikam's certificate: pending
    await n.issueCertificate('mta-sts.fabrikam.com');
    const v2 = await runSteps(system, verify, n, env);
    record('run 2', 'Verify', v2);
    const publish2 = find(v2, 'azure publish-dns');
    expect(publish2.output.stdout).toMatch(/contoso\.com: TXT _mta-sts\.contoso\.com already "v=STSv1; id=\w+;"/);
    expect(publish2.output.stdout).toContain(`fabrikam.com: no Azure DNS zone in ${DNS_RG} holds fabrikam.com; publish these records at your DNS host`);
    const lines = publish2.output.stdout.split('\n').filter((l) => /^ {2}_(mta-sts|smtp\._tls)\.fabrikam\.com\. 3600 IN TXT /.test(l));
    expect(lines).toHaveLength(2);
    expect(publish2.result).toBe('SucceededWithIssues'); // "not published yet" for fabrikam's two TXT records
    expect(find(v2, CHECK).result).toBe('Failed'); // fabrikam.com has no _mta-sts record yet

    // Run 3: the admin published the printed records at fabrikam's DNS host.
    for (const line of lines) {
      const [name, , , , ...rest] = line.trim().split(' ');
      n.dns.zone.set(name!.replace(/\.$/, ''), { txt: [rest.join(' ').replace(/^"|"$/g, '')] });
    }
    const d3 = await runSteps(system, domains, n, env);
    record('run 3', 'Domains', d3);
    expect(find(d3, 'azure bind').result).toBe('Succeeded');
    const v3 = await runSteps(system, verify, n, env);
    record('run 3', 'Verify', v3);
    expect(find(v3, 'azure publish-dns').result).toBe('Succeeded');
    expect(find(v3, 'azure publish-dns').output.stdout).toContain('fabrikam.com: TXT _mta-sts.fabrikam.com is live with this value');
    expect(find(v3, CHECK).result).not.toBe('Failed');

    // Nothing ran az for the domain and DNS work: only AzureCliCredential's token request.
    expect(new Set(n.azCalls().map((c) => c.split(' --resource')[0]))).toEqual(new Set(['account get-access-token --output json']));
    // No step wrote anything off the emulators: every ARM call reached the emulator with the token.
    expect(n.arm.requests.every((r) => r.headers.authorization === 'Bearer emulator-token')).toBe(true);
    if (process.env.MTA_STS_TEST_LOG) console.log(`${log.join('\n')}\n\n${output([...d1, ...v1, ...d2, ...v2, ...d3, ...v3])}`);
  }, 240_000);
});

// Issue 18: twelve accepted domains on one Function App (hostingKind: function-app at the top of the YAML).
const FA_APP = 'mta-sts-fa';
const FA_DOMAINS = Array.from({ length: 12 }, (_, i) => (i === 0 ? 'contoso.com' : `d${i + 1}.example`));
const FA_CONFIG = [
  'domains:',
  ...FA_DOMAINS.map((d) => `  - ${d}`),
  'policy:',
  '  mode: testing',
  '  mx:',
  '    - "*.mail.protection.outlook.com"',
  '  max_age: 604800',
  'hosting:',
  '  kind: function-app',
  `  app: ${FA_APP}`,
  `  resource_group: ${WEB_RG}`,
  `  subscription: ${SUBSCRIPTION}`,
  `  dns_resource_group: ${DNS_RG}`,
  '',
].join('\n');

describe('the azure pipeline, verbatim, for a Function App (hostingKind: function-app)', () => {
  async function faCheckout(config = FA_CONFIG): Promise<LoopbackInternet> {
    const n = (net = await LoopbackInternet.start());
    writeFileSync(join(n.dir, 'mta-sts.config.yaml'), config);
    const built = await n.run(process.execPath, ['bin/mta-sts.js', 'build'], { PATH: process.env.PATH!, HOME: n.dir });
    expect(built.code, built.stderr).toBe(0);
    for (const d of FA_DOMAINS) n.addMx(d);
    return n;
  }
  // The agent's npm cache is the one the Install step filled; offline, so a miss fails instead of downloading.
  const npmEnv = { npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'), npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };

  it('Deploy runs the guard, checks the kind, prepares functions/ and deploys it with AzureFunctionApp@2 through the service connection; no deployment_token', async () => {
    const vars = { hostingKind: 'function-app' };
    expect(azureStageOutline('Deploy', vars)).toEqual([
      'checkout: self',
      'task NodeTool@0: Use Node 24',
      'script: Install dependencies',
      'script: Check the new policy against the live MX hosts',
      'script: Check hosting.kind and prepare the Function App package (functions/)',
      'task AzureFunctionApp@2: Deploy functions/ to the Function App',
    ]);
    expect(azureTaskInputs('Deploy', 'AzureFunctionApp@2', vars)).toEqual({
      azureSubscription: 'mta-sts-arm',
      appType: 'functionAppLinux',
      appName: '$(hostingApp)',
      package: '$(System.DefaultWorkingDirectory)/functions',
    });
    const n = await faCheckout();
    const runs = await runSteps('azure', azureStageSteps('Deploy', vars), n, { ...agentEnv('azure', n), ...npmEnv });
    const log = runs.map((r) => `--- ${r.step.name}: ${r.result}\n${r.output.stdout}${r.output.stderr}`).join('\n');
    expect(runs.map((r) => r.result), log).toEqual(['Skipped', 'Succeeded', 'Succeeded']);
    const prepare = runs[2]!;
    // The app name reaches AzureFunctionApp@2's appName: $(hostingApp) through the agent's logging command.
    expect(prepare.output.stdout).toContain(`##vso[task.setvariable variable=hostingApp]${FA_APP}`);
    // The folder the task zips is self-contained: its own @azure/functions, at the version the package pins, and it loads.
    const pinned = JSON.parse(readFileSync(join(n.dir, 'functions/package.json'), 'utf8')).dependencies['@azure/functions'];
    expect(JSON.parse(readFileSync(join(n.dir, 'functions/node_modules/@azure/functions/package.json'), 'utf8')).version).toBe(pinned);
    const load = await n.run(process.execPath, ['--input-type=module', '-e', "const m = await import('./functions/src/index.js'); console.log(typeof m.registration.handler)"], { PATH: process.env.PATH! });
    expect(load.stdout.trim(), load.stderr).toBe('function');
    // The committed package stays as built: npm ci wrote nothing but node_modules.
    expect((await n.run(process.execPath, ['bin/mta-sts.js', 'build', '--check'], { PATH: process.env.PATH!, HOME: n.dir })).stdout).toContain('functions/ is up to date.');
    if (process.env.MTA_STS_TEST_LOG) console.log(`${azureStageOutline('Deploy', vars).join(' | ')}\n\n${log}`);
  }, 120_000);

  it('without a service connection the Function App is not deployed, and the run says how to set one up', async () => {
    const n = await faCheckout();
    const steps = azureStageSteps('Deploy', { hostingKind: 'function-app', armServiceConnection: '' });
    const runs = await runSteps('azure', steps, n, { ...agentEnv('azure', n), ...npmEnv });
    expect(runs.map((r) => r.result)).toEqual(['Skipped', 'Succeeded', 'Succeeded', 'Failed']);
    expect(runs[3]!.output.stdout).toMatch(/^##vso\[task\.logissue type=error\]Not deployed: a Function App is deployed through an Azure Resource Manager service connection\..*set armServiceConnection/m);
  }, 120_000);

  it('a YAML left at hostingKind static-web-app stops before deploying a function-app config, naming both settings', async () => {
    const n = await faCheckout();
    const steps = azureStageSteps('Deploy').map((s) => (s.env.DEPLOYMENT_TOKEN ? { ...s, env: { ...s.env, DEPLOYMENT_TOKEN: 'a-token' } } : s));
    expect(azureStageOutline('Deploy').at(-1)).toBe('task AzureStaticWebApp@0: Deploy home/ to Azure Static Web Apps');
    const runs = await runSteps('azure', steps, n, agentEnv('azure', n));
    expect(runs.map((r) => r.result)).toEqual(['Succeeded', 'Skipped', 'Succeeded', 'Failed']);
    expect(runs[3]!.output.stdout).toContain('##vso[task.logissue type=error]Not deployed: the pipeline is set up for hosting kind static-web-app but mta-sts.config.yaml says hosting.kind: function-app; set hostingKind: function-app at the top of azure-pipelines.yml');
  }, 120_000);
});

describe('the azure pipeline, verbatim, first run of a Function App with twelve domains (issue 18)', () => {
  it('Build verifies functions/, Deploy prepares it, Domains binds every host through App Service with its managed certificate, Verify publishes contoso\'s TXT records and the live check passes', async () => {
    const n = (net = await LoopbackInternet.start());
    writeFileSync(join(n.dir, 'mta-sts.config.yaml'), FA_CONFIG);
    expect((await n.run(process.execPath, ['bin/mta-sts.js', 'build'], { PATH: process.env.PATH!, HOME: n.dir })).code).toBe(0);
    for (const d of FA_DOMAINS) n.addMx(d);
    n.arm.addZone(DNS_RG, 'contoso.com'); // Verify's publish-dns writes contoso's TXT records there
    const vars = { hostingKind: 'function-app' };
    const env = { ...agentEnv('azure', n), npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'), npm_config_offline: 'true' };
    const log: string[] = [];
    const record = (stage: string, runs: StepRun[]) => log.push(`${stage}: ${summary(runs).join(' | ')}`);

    // App Service: the Function App's ARM side (its own emulator, the same CA and token as the rest of this Internet).
    const fa = new FunctionAppEmulator({ name: FA_APP, resourceGroup: WEB_RG, defaultHostName: `${FA_APP}.azurewebsites.net`, customDomainVerificationId: 'A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90', location: 'West Europe' }, DNS_RG, TOKEN);
    fa.autoIssue = true;
    await fa.start(n.ca, `${n.net}.11`);
    fa.addZone('contoso.com');
    const appService: Checkout = { dir: n.dir, installed: true, run: (c, a, e, t) => n.run(c, a, e, t), cloudEnv: () => ({ ...n.cloudEnv(), MTA_STS_ARM_ENDPOINT: fa.endpoint }) };
    try {
      // README, Function App quick setup / step 4: outside Azure DNS the admin publishes the CNAME, the asuid TXT
      // and what `mta-sts records` prints before the first run.
      const verification = fa.site!.customDomainVerificationId;
      const records = await n.run(process.execPath, ['bin/mta-sts.js', 'records', '--json'], { PATH: process.env.PATH!, HOME: n.dir });
      for (const r of JSON.parse(records.stdout) as { name: string; type: string; value: string }[]) {
        if (!r.name.endsWith('contoso.com') && r.type === 'TXT') n.dns.zone.set(r.name, { txt: [r.value] });
      }
      for (const d of FA_DOMAINS.slice(1)) {
        fa.publicCname.set(`mta-sts.${d}`, fa.site!.defaultHostName);
        fa.publicTxt.set(`asuid.mta-sts.${d}`, [verification]);
      }

      const build = await runSteps('azure', azureStageSteps('Build', vars), n, env);
      record('Build', build);
      expect(find(build, 'verify').output.stdout).toContain('ok     functions/ is the fresh Function App package of mta-sts.config.yaml');

      const deploy = await runSteps('azure', azureStageSteps('Deploy', vars), n, env);
      record('Deploy', deploy);
      expect(deploy.at(-1)!.result).toBe('Succeeded');
      log.push(`  then ${azureStageOutline('Deploy', vars).at(-1)} (the task itself is not run here: the front end below serves the deployed handler)`);
      // AzureFunctionApp@2 zips functions/; the front end runs its handler for every host App Service has bound,
      // with the host's own certificate once it is bound with SNI, else App Service's *.azurewebsites.net one.
      const { mtaSts } = (await import(pathToFileURL(join(n.dir, 'functions/src/handler.js')).href)) as { mtaSts: (r: HttpRequest) => Promise<HttpResponseInit> };
      const appServiceDefault = await n.ca.issue({ names: ['*.azurewebsites.net'] });
      const frontEnd = async () => {
        for (const d of FA_DOMAINS) {
          const host = `mta-sts.${d}`;
          const cname = fa.publicCname.get(host);
          if (cname) n.dns.zone.set(host, { cname });
          n.https.certs.set(host, fa.bindings.get(host)?.sslState === 'SniEnabled' ? await n.ca.issue({ names: [host] }) : appServiceDefault);
          n.https.handlers.set(host, (req, res) => {
            if (!fa.bindings.has(host)) return void res.writeHead(404).end();
            void mtaSts(new HttpRequest({ method: req.method!, url: `https://${host}${req.url}`, headers: { host } })).then(async (init) => {
              const response = new HttpResponse(init);
              const headers: Record<string, string> = {};
              response.headers.forEach((v, k) => (headers[k] = v));
              res.writeHead(response.status, headers).end(Buffer.from(await response.arrayBuffer()));
            });
          });
        }
        n.dns.zone.set(fa.site!.defaultHostName, { a: [`${n.net}.2`] });
      };

      const domains = await runSteps('azure', azureStageSteps('Domains', vars), appService, env);
      record('Domains', domains);
      const bind = find(domains, 'azure bind');
      expect(bind.result).toBe('Succeeded');
      expect(bind.output.stdout).toContain(`contoso.com: CNAME mta-sts.contoso.com -> ${FA_APP}.azurewebsites.net in zone contoso.com`);
      expect(bind.output.stdout).toContain(`contoso.com: TXT asuid.mta-sts.contoso.com = ${verification} in zone contoso.com`);
      expect(bind.output.stdout.match(/bound mta-sts\.\S+ to mta-sts-fa/g)).toHaveLength(12);
      expect(bind.output.stdout.match(/is ready \(managed certificate [0-9A-F]{40}, SNI\)/g)).toHaveLength(12);
      await frontEnd();

      const verify = await runSteps('azure', azureStageSteps('Verify', vars), n, env);
      record('Verify', verify);
      const publish = find(verify, 'azure publish-dns');
      expect(publish.output.stdout).toContain('contoso.com: the new policy is live at https://mta-sts.contoso.com/.well-known/mta-sts.txt');
      expect(publish.output.stdout).toContain('d12.example: TXT _mta-sts.d12.example is live with this value');
      expect(n.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toEqual([expect.stringMatching(/^v=STSv1; id=\w+;$/)]);
      // Every host serves the policy with its own certificate; only STARTTLS (skipped on hosted agents) and the
      // absent TLS-RPT records are warnings.
      const check = find(verify, CHECK);
      expect(check.result, check.output.stdout).toBe('SucceededWithIssues');
      for (const d of FA_DOMAINS) expect(check.output.stdout).toMatch(new RegExp(`^${d.replace(/\./g, '\\.')} +ok +ok +ok +ok +warn +warn +ok +ok +warn$`, 'm'));
      expect(check.output.stdout).not.toMatch(/\bFAIL\b/);
      expect(fa.requests.every((q) => q.auth === `Bearer ${TOKEN}`)).toBe(true);
      expect(log).toEqual([
        'Build: Succeeded: Verify the config, home/, the policy and the SWA config',
        'Deploy: Succeeded: Check the new policy against the live MX hosts | Succeeded: Check hosting.kind and prepare the Function App package (functions/)',
        '  then task AzureFunctionApp@2: Deploy functions/ to the Function App (the task itself is not run here: the front end below serves the deployed handler)',
        'Domains: Succeeded: Bind mta-sts.<domain> (and create the CNAME in Azure DNS)',
        'Verify: Succeeded: Publish the TXT records once the new policy is live (Azure DNS) or print them | SucceededWithIssues: Check the live MTA-STS setup',
      ]);
      if (process.env.MTA_STS_TEST_LOG) console.log(`${log.join('\n')}\n\n${output([...build, ...deploy, ...domains, ...verify])}`);
    } finally {
      await fa.close();
    }
  }, 240_000);
});
