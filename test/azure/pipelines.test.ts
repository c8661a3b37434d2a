// The Domains and Verify stages of azure-pipelines.yml (and the domains and verify jobs of deploy.yml), their
// shell taken verbatim from the YAML, run against the emulators: contoso.com has its zone in Azure DNS,
// fabrikam.com is hosted elsewhere. First the first run as the README describes it (fabrikam's records
// published beforehand), on both systems; then, on the Azure YAML, three runs of a rollout where the admin
// skipped that step. Only what replaces the cloud itself is added to each step's environment: the ARM endpoint
// (MTA_STS_ARM_ENDPOINT), the test CA (NODE_EXTRA_CA_CERTS), the login (a fake az first on PATH), and the
// loopback Internet through the documented MTA_STS_DNS_SERVER and MTA_STS_HTTPS_PORT: every step runs as an
// ordinary user, with no namespace and no privileged port.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SUBSCRIPTION } from './arm-emulator.ts';
import { APP, DEFAULT_HOST, DNS_RG, WEB_RG } from './harness.ts';
import { LoopbackInternet } from './loopback-internet.ts';
import { CHECK, agentEnv, azureStageSteps, find, githubJobSteps, output, runSteps, summary, type Step, type StepRun, type System } from './pipeline-steps.ts';

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
  const built = await n.cli(['build']);
  expect(built.code).toBe(0);
}

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
  // Every step signs in as the pipeline's identity, with only the roles setup grants it.
  n.signInAsPipeline();
  n.addMx('contoso.com');
  n.addMx('fabrikam.com');
  n.serveSite(() => readFileSync(join(n.dir, 'home/.well-known/mta-sts.txt')));
  return { n, env: agentEnv(system, n), domains, verify };
}

describe.each<System>(['azure', 'github'])('the %s pipeline, verbatim, on the first run the README describes', (system) => {
  it('fabrikam\'s records published beforehand (step 4): Domains warns only of pending certificates, Verify is green', async () => {
    const { n, env, domains, verify } = await rollout(system);
    // README step 4: outside Azure DNS, the admin publishes what `mta-sts records` prints before the first run.
    const records = await n.cli(['records', '--json']);
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
    // The loopback Internet is reached through the documented variables, and every step says so (issue 21).
    expect(publish.output.stderr).toContain(`mta-sts azure publish-dns: override in force: MTA_STS_HTTPS_PORT=${n.https.port}: every policy host is fetched on port ${n.https.port}, not on 443`);
    expect(publish.output.stderr.split('\n').filter((l) => l !== '' && !l.includes('override in force'))).toEqual([]);
    expect(publish.result).toBe('Succeeded');
    expect(publish.output.stdout).toMatch(/contoso\.com: TXT _mta-sts\.contoso\.com = "v=STSv1; id=\w+;"/);
    expect(publish.output.stdout).toContain('fabrikam.com: TXT _mta-sts.fabrikam.com is live with this value');
    expect(find(v, CHECK).result).not.toBe('Failed');
    expect(n.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toHaveLength(1);
    // As the pipeline's identity: nothing refused but the subscription-wide zone search for fabrikam.com (no
    // zone in rg-dns holds it), which the commands do without; never the operation URL of a binding.
    expect(new Set(n.arm.authz.refusals.map((x) => `${x.action} ${x.scope}`))).toEqual(new Set([`Microsoft.Network/dnszones/read /subscriptions/${SUBSCRIPTION}/providers/Microsoft.Network/dnszones`]));
    if (process.env.MTA_STS_TEST_LOG) console.log(`${summary(d).join(' | ')}\n${summary(v).join(' | ')}\n\n${output([...d, ...v])}`);
  }, 120_000);
});


describe.each<System>(['azure', 'github'])('the %s pipeline, verbatim, without an Azure login (no service connection / Azure variables)', (system) => {
  it('Verify waits for the policy, prints the records (the Azure DNS zone\'s too), never logs in, says how to let it publish them, and check annotates what is missing', async () => {
    const n = (net = await LoopbackInternet.start());
    const verify = system === 'azure' ? azureStageSteps('Verify', { armServiceConnection: '' }) : githubJobSteps('verify', { "vars.AZURE_CLIENT_ID != ''": 'false' });
    await checkout(n);
    n.arm.addZone(DNS_RG, 'contoso.com');
    n.addMx('contoso.com');
    n.addMx('fabrikam.com');
    // The admin bound both hosts in the portal (docs/azure-devops.md, step 3 skipped); Azure issued their certificates.
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
    expect(publish.output.stdout).toContain(`contoso.com: the new policy is live at https://mta-sts.contoso.com:${n.https.port}/.well-known/mta-sts.txt`);
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
    expect(publish1.output.stdout).toContain(`contoso.com: the new policy is live at https://mta-sts.contoso.com:${n.https.port}/.well-known/mta-sts.txt`);
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
