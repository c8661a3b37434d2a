// The Function App runs of azure-pipelines.yml (hostingKind: function-app), their shell verbatim as in
// pipelines.test.ts, which has the Static Web App runs: Deploy prepares functions/ and AzureFunctionApp@2 deploys
// it, Domains binds every host through App Service, Verify publishes and checks.
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { SUBSCRIPTION, TOKEN } from './arm-emulator.ts';
import { FunctionAppEmulator } from './function-app-emulator.ts';
import { DNS_RG, WEB_RG } from './harness.ts';
import { LoopbackInternet } from './loopback-internet.ts';
import { CHECK, agentEnv, azureStageOutline, azureStageSteps, azureTaskInputs, find, output, runSteps, summary, type Checkout, type StepRun } from './pipeline-steps.ts';

let net: LoopbackInternet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

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
    const built = await n.cli(['build']);
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
    expect((await n.cli(['build', '--check'])).stdout).toContain('functions/ is up to date.');
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
    expect((await n.cli(['build'])).code).toBe(0);
    for (const d of FA_DOMAINS) n.addMx(d);
    n.arm.addZone(DNS_RG, 'contoso.com'); // Verify's publish-dns writes contoso's TXT records there
    const vars = { hostingKind: 'function-app' };
    const env = { ...agentEnv('azure', n), npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'), npm_config_offline: 'true' };
    const log: string[] = [];
    const record = (stage: string, runs: StepRun[]) => log.push(`${stage}: ${summary(runs).join(' | ')}`);

    // App Service: the Function App's ARM side (its own emulator, the same CA and token as the rest of this Internet).
    const fa = new FunctionAppEmulator({ name: FA_APP, resourceGroup: WEB_RG, defaultHostName: `${FA_APP}.azurewebsites.net`, customDomainVerificationId: 'A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90', location: 'West Europe' }, DNS_RG, TOKEN);
    fa.autoIssue = 0; // the pipeline runs on real time: issued by the first look after the request
    await fa.start(n.ca, `${n.net}.11`);
    fa.addZone('contoso.com');
    // Every step signs in as the pipeline's identity, with only the roles setup grants it, on both emulators.
    n.signInAsPipeline();
    n.signInAsPipeline(fa.authz);
    const appService: Checkout = { dir: n.dir, installed: true, run: (c, a, e, t) => n.run(c, a, e, t), cloudEnv: () => ({ ...n.cloudEnv(), MTA_STS_ARM_ENDPOINT: fa.endpoint }) };
    try {
      // docs/function-app.md, Function App quick setup / step 4: outside Azure DNS the admin publishes the CNAME, the asuid TXT
      // and what `mta-sts records` prints before the first run.
      const verification = fa.site!.customDomainVerificationId;
      const records = await n.cli(['records', '--json']);
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
      expect(publish.output.stdout).toContain(`contoso.com: the new policy is live at https://mta-sts.contoso.com:${n.https.port}/.well-known/mta-sts.txt`);
      expect(publish.output.stdout).toContain('d12.example: TXT _mta-sts.d12.example is live with this value');
      expect(n.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toEqual([expect.stringMatching(/^v=STSv1; id=\w+;$/)]);
      // Every host serves the policy with its own certificate; only STARTTLS (skipped on hosted agents) and the
      // absent TLS-RPT records are warnings.
      const check = find(verify, CHECK);
      expect(check.result, check.output.stdout).toBe('SucceededWithIssues');
      for (const d of FA_DOMAINS) expect(check.output.stdout).toMatch(new RegExp(`^${d.replace(/\./g, '\\.')} +ok +ok +ok +ok +warn +warn +ok +ok +warn$`, 'm'));
      expect(check.output.stdout).not.toMatch(/\bFAIL\b/);
      expect(fa.requests.every((q) => q.auth === `Bearer ${TOKEN}`)).toBe(true);
      // The pipeline's identity (Website Contributor on rg-web, DNS Zone Contributor on rg-dns) was refused nothing.
      expect(fa.authz.refusals).toEqual([]);
      expect(fa.requests.filter((q) => q.method === 'PUT' && q.path.includes('/certificates/')).map((q) => (q.body as { properties: { password?: string } }).properties.password)).toEqual(FA_DOMAINS.map(() => ''));
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
