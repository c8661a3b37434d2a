// `mta-sts azure setup` for hosting.kind function-app (the world: setup-world.ts).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pipelineVariable } from '../../src/config/pipeline-yaml.ts';
import { SUBSCRIPTION } from './arm-emulator.ts';
import { FA_VERIFICATION_ID } from './arm-setup-handlers.ts';
import { useSetupWorld, useFunctionApp, addMx, azure, dns, arm, setupArm, devops, dir, repo, git, BIN, setup, setupProcess, DEVOPS, armWrites, filesUnder, stderrSoFar } from './setup-world.ts';

useSetupWorld();

// hosting.kind function-app: issue 18's tenant, twelve accepted domains on one Function App, every zone in Azure DNS.
// ARM bodies: test/azure/arm-setup-handlers.ts addFunctionAppHandlers (Microsoft.Web/stable/2024-04-01/examples/
// CreateOrUpdateAppServicePlan.json, CreateOrUpdateWebApp.json; Microsoft.Storage/stable/2024-01-01/examples/
// StorageAccountCreate.json, StorageAccountListKeys.json) and test/azure/function-app-emulator.ts (host-name
// bindings, managed certificates, the asuid check).
describe('mta-sts azure setup, hosting.kind function-app', () => {
  const FA_DOMAINS = ['contoso.com', ...Array.from({ length: 11 }, (_, i) => `d${i + 2}.example`)];
  const APP = 'mta-sts-contoso-com';

  function functionAppConfig(): void {
    const file = join(repo, 'mta-sts.config.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('  kind: static-web-app\n');
    writeFileSync(file, text.replace('  - contoso.com\n', FA_DOMAINS.map((d) => `  - ${d}\n`).join('')).replace('  kind: static-web-app\n', '  kind: function-app\n'));
  }

  // Child processes that each load every Azure SDK, deploy and check 12 domains: about 25 s alone, over 90 s among the
  // suite's other files on a loaded 2-core machine, so this test has its own, longer timeout.
  it('a fresh setup for 12 domains creates the plan, the storage, the app, the identity\'s roles and the pipeline, binds every host; a second run changes nothing', { timeout: 240_000 }, async () => {
    const functionArm = useFunctionApp();
    arm.zones.clear();
    for (const d of FA_DOMAINS) arm.addZone('rg-dns', d);
    functionAppConfig();
    for (const d of FA_DOMAINS) addMx(d);
    const first = await setupProcess([...DEVOPS(), '--yes']);
    expect(first.err).not.toMatch(/^\s+at /m);
    expect(first.code, first.out + first.err).toBe(0);
    const plan = first.out.slice(0, first.out.indexOf('[1/'));
    expect(plan).toContain('Found the Azure DNS zones of 12 of 12 domain(s) in resource group rg-dns.');
    expect(plan).toContain(`Create App Service plan asp-mta-sts (Linux, Basic B1: the lowest with managed certificates) in westeurope`);
    expect(plan).toMatch(/Create storage account stmtasts[0-9a-f]{16} \(the Functions host's AzureWebJobsStorage/);
    expect(plan).toContain(`Create Function App ${APP} (Linux, Node 22, Functions v4, HTTPS only) on asp-mta-sts`);
    expect(plan).toContain("Set armServiceConnection: 'mta-sts-azure', hostingKind: 'function-app' in azure-pipelines.yml");
    expect(plan).toContain(`Give mta-sts-pipeline Website Contributor on resourceGroups rg-dns, DNS Zone Contributor on resourceGroups rg-dns`);
    // No Static Web App, no deployment token: the group exists only because the pipeline names it.
    expect(plan).not.toContain('Static Web App');
    expect(plan).not.toContain('deployment token');
    expect(plan).toContain('Create variable group mta-sts in project mail (azure-pipelines.yml names it; a Function App needs no deployment_token, so it stays empty)');

    // The plan: Linux (reserved), Basic B1.
    expect(functionArm.plans.get(`rg-dns/asp-mta-sts`)).toMatchObject({ reserved: true, kind: 'linux', sku: { name: 'B1', tier: 'Basic' } });
    // The site: what README's az functionapp create makes.
    const sitePut = arm.calls('PUT', `/providers/Microsoft.Web/sites/${APP}`).filter((q) => q.path.endsWith(`/sites/${APP}`));
    expect(sitePut).toHaveLength(1);
    const site = sitePut[0]!.body as { kind: string; location: string; properties: { serverFarmId: string; httpsOnly: boolean; reserved: boolean; siteConfig: { linuxFxVersion: string; appSettings: { name: string; value: string }[] } } };
    expect(site.kind).toBe('functionapp,linux');
    expect(site.properties).toMatchObject({ httpsOnly: true, reserved: true, clientAffinityEnabled: false, serverFarmId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-dns/providers/Microsoft.Web/serverfarms/asp-mta-sts` });
    expect(site.properties.siteConfig.linuxFxVersion).toBe('Node|22');
    const settings = Object.fromEntries(site.properties.siteConfig.appSettings.map((a) => [a.name, a.value]));
    const [account, storage] = [...functionArm.storageAccounts].find(([k]) => k.startsWith('rg-dns/'))!;
    const accountName = account.split('/')[1]!;
    expect(settings).toEqual({
      FUNCTIONS_EXTENSION_VERSION: '~4', FUNCTIONS_WORKER_RUNTIME: 'node', AzureWebJobsDisableHomepage: 'true', SCM_DO_BUILD_DURING_DEPLOYMENT: 'true',
      AzureWebJobsStorage: `DefaultEndpointsProtocol=https;AccountName=${accountName};AccountKey=${storage.keys[0]};EndpointSuffix=core.windows.net`,
    });
    expect(first.out).toContain(`Create Function App ${APP} (Linux, Node 22, Functions v4, HTTPS only) on asp-mta-sts: done (default host name ${APP}.azurewebsites.net)`);

    // Every host: CNAME and asuid TXT in its Azure DNS zone, the host-name binding, its managed certificate, SNI.
    for (const d of FA_DOMAINS) {
      expect(arm.recordSet('rg-dns', d, 'CNAME', 'mta-sts')?.properties.CNAMERecord, d).toEqual({ cname: `${APP}.azurewebsites.net` });
      expect(arm.txt('rg-dns', d, 'asuid.mta-sts'), d).toEqual([FA_VERIFICATION_ID]);
      const binding = functionArm.fa.bindings.get(`mta-sts.${d}`);
      expect(binding?.sslState, d).toBe('SniEnabled');
      expect(binding?.thumbprint, d).toBe(functionArm.fa.certificates.get(`mta-sts.${d}`)?.thumbprint);
    }
    expect(first.out).toMatch(/\[\d+\/\d+\] Bind .*: done \(ready with their managed certificates: mta-sts\.contoso\.com, .*mta-sts\.d12\.example\)/);
    expect(first.out).toMatch(/d12\.example: bound \(Ready\)/);

    // The identity: Website Contributor on the app's group (site, certificates, deploy) and DNS Zone Contributor.
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    const granted = [...setupArm.roleAssignments].flatMap(([scope, m]) => [...m.values()].map((a) => [scope, a.roleDefinitionId.split('/').at(-1), a.principalId]));
    expect(granted.sort()).toEqual([
      [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-dns`, 'befefa01-2a29-4197-83a8-272ff33ce314', identity.principalId],
      [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-dns`, 'de139f84-1756-47ae-9be6-808fbbe84772', identity.principalId],
    ].sort());

    // Azure DevOps: the group (no token), the connection, the pipeline and both permissions.
    expect(devops.variableGroups).toHaveLength(1);
    expect(devops.variableGroups[0]!.variables).toEqual({ deployment_token: { value: '', isSecret: false } });
    expect(devops.endpoints).toHaveLength(1);
    expect(devops.definitions).toHaveLength(1);
    const definition = devops.definitions[0]!;
    expect(devops.permissions.get(`variablegroup/${devops.variableGroups[0]!.id}`)?.get(definition.id)).toBe(true);
    expect(devops.permissions.get(`endpoint/${devops.endpoints[0]!.id}`)?.get(definition.id)).toBe(true);

    // The files: config, pipeline variables, home/ and functions/ built and committed.
    const yaml = readFileSync(join(repo, 'azure-pipelines.yml'), 'utf8');
    expect(pipelineVariable(yaml, 'hostingKind')).toBe('function-app');
    expect(pipelineVariable(yaml, 'armServiceConnection')).toBe('mta-sts-azure');
    const config = readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8');
    expect(config).toContain('  kind: function-app\n');
    expect(config).toContain(`  app: ${APP}\n`);
    expect(config).toContain(`  default_hostname: ${APP}.azurewebsites.net\n`);
    expect(config).toContain('  resource_group: rg-dns\n');
    expect((await git('git', ['status', '--porcelain'], { cwd: repo })).stdout).toBe('');
    const inCommit = (await git('git', ['show', '--name-only', '--format=', 'HEAD'], { cwd: repo })).stdout.split('\n');
    expect(inCommit).toEqual(expect.arrayContaining(['mta-sts.config.yaml', 'azure-pipelines.yml', 'functions/host.json']));
    const stale = await promisify(execFile)(process.execPath, [BIN, 'build', '--check'], { cwd: repo });
    expect(stale.stdout).toContain('up to date');
    expect(first.out).toContain('Later changes: edit mta-sts.config.yaml, commit and push; the pipeline deploys functions/, binds new domains and publishes the TXT records once the new policy is live.');
    // setup made the policy live itself: deployed, bound, the TXT published; the last line is check's verdict.
    expect(first.out.trimEnd().split('\n').at(-1)).toMatch(/^mta-sts check: contoso\.com (pass|warn), d2\.example (pass|warn), .*d12\.example (pass|warn)$/);

    // The storage key goes to the app's settings only: never printed, never in a file or a commit.
    const key = storage.keys[0]!;
    expect(first.out + first.err).not.toContain(key);
    for (const file of filesUnder(dir).filter((f) => !f.includes(`${join(repo, '.git')}/objects`))) {
      expect(readFileSync(file, 'latin1').includes(key), file).toBe(false);
    }
    expect((await git('git', ['log', '-p', '--all'], { cwd: repo, maxBuffer: 64 * 1024 * 1024 })).stdout).not.toContain(key);

    // Second run: nothing to change, nothing written in Azure, Azure DevOps or git.
    const armBefore = armWrites().length;
    const devopsBefore = devops.writes().length;
    const head = (await git('git', ['rev-parse', 'HEAD'], { cwd: repo })).stdout;
    const second = await setup([...DEVOPS(), '--yes']);
    expect(second.code, second.out + second.err).toBe(0);
    expect(second.out).toContain('Nothing to change');
    expect(armWrites().length).toBe(armBefore);
    expect(devops.writes().length).toBe(devopsBefore);
    expect((await git('git', ['rev-parse', 'HEAD'], { cwd: repo })).stdout).toBe(head);
    expect(readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8')).toBe(config);
  });

  it('DNS outside Azure: the bind step waits, naming the hosts and both records; once they are published the next run binds them', async () => {
    const functionArm = useFunctionApp();
    arm.zones.clear();
    functionAppConfig();
    const first = await setup([...DEVOPS(), '--yes']);
    expect(first.code, first.out + first.err).toBe(0);
    expect(first.out).toContain('Bind mta-sts.contoso.com (once its CNAME and asuid TXT exist at your DNS host)');
    expect(first.out).toMatch(/\[\d+\/\d+\] Bind .*: waiting \(waiting for DNS \(their CNAME and asuid TXT, printed below\): mta-sts\.contoso\.com, .*mta-sts\.d12\.example\)/);
    expect(first.out).not.toMatch(/\] Bind .*: done/);
    expect(first.err).toContain(`warning: d7.example: mta-sts.d7.example is waiting for DNS: App Service cannot see these records yet; create them at your DNS host, and the next run binds it: mta-sts.d7.example. 3600 IN CNAME ${APP}.azurewebsites.net.  asuid.mta-sts.d7.example. 3600 IN TXT "${FA_VERIFICATION_ID}"`);
    expect(first.out).toMatch(/d7\.example: not bound;/);
    expect(first.out).toContain(`Create these records at your DNS host (two per domain):\n  mta-sts.contoso.com. 3600 IN CNAME ${APP}.azurewebsites.net.\n  asuid.mta-sts.contoso.com. 3600 IN TXT "${FA_VERIFICATION_ID}"\n`);
    expect(first.err).toContain('create the CNAME and TXT record(s) above, then run the same command again');
    expect(functionArm.fa.bindings.size).toBe(0);

    // The admin publishes both records for every domain; the next run binds them all and is then done.
    for (const d of FA_DOMAINS) {
      dns.zone.set(`mta-sts.${d}`, { cname: `${APP}.azurewebsites.net` });
      dns.zone.set(`asuid.mta-sts.${d}`, { txt: [FA_VERIFICATION_ID] });
    }
    const second = await setup([...DEVOPS(), '--yes']);
    expect(second.code, second.out + second.err).toBe(0);
    // The package is live already (setup deployed it in the first run): bind, then the TXT records, printed now that
    // the policy is live, for the admin's DNS host.
    expect(second.out).toMatch(/Plan \(2 changes\):\n {3}1\. Bind mta-sts\.contoso\.com.*\n {3}2\. Publish the _mta-sts TXT records/);
    expect(second.out).toMatch(/\[1\/2\] Bind .*: done \(ready with their managed certificates/);
    expect([...functionArm.fa.bindings.values()].filter((b) => b.sslState === 'SniEnabled')).toHaveLength(12);
    expect(azure.deployments).toHaveLength(1);
    const printed = [...second.out.matchAll(/^ {2}(_mta-sts\.[a-z0-9.]+)\. 3600 IN TXT "(v=STSv1; id=[0-9a-f]+;)"$/gm)];
    expect(printed.map((m) => m[1])).toEqual(FA_DOMAINS.map((d) => `_mta-sts.${d}`));
    for (const [, name, value] of printed) dns.zone.set(name!, { txt: [value!] }); // the admin publishes them
    const third = await setup([...DEVOPS(), '--yes']);
    expect(third.out).toContain('Nothing to change');
  });

  it('DNS outside Azure with --wait-dns: waits for the CNAME and the asuid TXT of each host, and binds a host only once both resolve (virtual clock)', async () => {
    const functionArm = useFunctionApp();
    arm.zones.clear();
    const file = join(repo, 'mta-sts.config.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  kind: static-web-app\n', '  kind: function-app\n'));
    let skipped = 0;
    let waits = 0;
    const { code, out, err } = await setup([...DEVOPS(), '--yes', '--wait-dns', '60'], { deps: {
      now: () => Date.now() + skipped,
      // The admin creates the CNAME during the first wait, and the asuid TXT only during the second.
      sleep: async (ms) => {
        skipped += ms;
        if (!stderrSoFar().includes('waiting for the records of mta-sts.contoso.com')) return;
        waits++;
        if (waits === 1) dns.zone.set('mta-sts.contoso.com', { cname: `${APP}.azurewebsites.net` });
        if (waits === 2) {
          expect(functionArm.fa.bindings.size).toBe(0); // the CNAME alone is not enough to bind
          dns.zone.set('asuid.mta-sts.contoso.com', { txt: [FA_VERIFICATION_ID] });
        }
      },
    } });
    expect(code, out + err).toBe(0);
    expect(err).toMatch(/waiting for the records of mta-sts\.contoso\.com: 1:00 left/);
    expect(waits).toBeGreaterThanOrEqual(2);
    expect(out).toContain('CNAME and TXT visible for contoso.com; binding.');
    expect(functionArm.fa.bindings.get('mta-sts.contoso.com')?.sslState).toBe('SniEnabled');
    expect(out).toMatch(/contoso\.com: bound \(Ready\)/);
  });

  it('an existing Function App is reused as it is: nothing created, and a Flex Consumption plan or plain HTTP is named as the reason hosts would not get their certificates', async () => {
    const functionArm = useFunctionApp();
    const farm = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-dns/providers/Microsoft.Web/serverfarms/ASP-flex`;
    functionArm.plans.set('rg-dns/asp-flex', { location: 'westeurope', reserved: true, kind: 'functionapp', sku: { name: 'FC1', tier: 'FlexConsumption' } });
    functionArm.fa.site = { name: APP, resourceGroup: 'rg-dns', defaultHostName: `${APP}.azurewebsites.net`, customDomainVerificationId: FA_VERIFICATION_ID, location: 'westeurope', serverFarmId: farm, httpsOnly: false, clientAffinityEnabled: true };
    functionAppConfig();
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).not.toContain('Create App Service plan');
    expect(r.out).not.toContain('Create storage account');
    expect(r.out).not.toContain('Create Function App');
    expect(arm.calls('PUT', '/serverfarms/')).toHaveLength(0);
    expect(arm.calls('PUT', '/storageAccounts/')).toHaveLength(0);
    expect(arm.calls('PUT').filter((q) => q.path.endsWith(`/Microsoft.Web/sites/${APP}`))).toHaveLength(0);
    expect(r.err).toContain(`warning: ${APP} runs on a FlexConsumption plan, which has no App Service managed certificates`);
    expect(r.err).toContain(`warning: ${APP} answers plain HTTP too: turn on HTTPS only (az functionapp update -n ${APP} -g rg-dns --set httpsOnly=true)`);
    expect(r.err).toContain(`warning: ${APP} has ARR affinity on, so App Service adds an ARRAffinity Set-Cookie to every policy response: turn it off (az functionapp update -n ${APP} -g rg-dns --set clientAffinityEnabled=false)`);
    expect(readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8')).toContain(`  default_hostname: ${APP}.azurewebsites.net\n`);
  });

  it('--region: any Azure region for a Function App, only the five Static Web Apps regions for a Static Web App (usage error, exit 2)', async () => {
    const swa = await setup([...DEVOPS(), '--region', 'northeurope', '--yes']);
    expect(swa.code).toBe(2);
    expect(swa.err).toContain('--region must be one of centralus, eastus2, westus2, westeurope, eastasia, where Static Web Apps can be created (got "northeurope")');
    const odd = await setup([...DEVOPS(), '--region', 'North Europe', '--yes']);
    expect(odd.code).toBe(2);
    expect(odd.err).toContain('--region must be an Azure region name such as westeurope (got "North Europe")');
    expect(armWrites()).toHaveLength(0);
  });

  it('a plan named asp-mta-sts that cannot carry the app (Windows, or a tier without managed certificates) stops the run before any change', async () => {
    const functionArm = useFunctionApp();
    functionAppConfig();
    functionArm.plans.set('rg-dns/asp-mta-sts', { location: 'westeurope', reserved: true, kind: 'linux', sku: { name: 'F1', tier: 'Free' } });
    const free = await setup([...DEVOPS(), '--yes']);
    expect(free.code).toBe(1);
    expect(free.err).toContain('App Service plan asp-mta-sts in rg-dns exists on the Free tier, which has no App Service managed certificates: scale it up to Basic (B1) or higher (az appservice plan update -n asp-mta-sts -g rg-dns --sku B1), or delete it so setup creates it. Nothing was changed');
    functionArm.plans.set('rg-dns/asp-mta-sts', { location: 'westeurope', reserved: false, kind: 'app', sku: { name: 'B1', tier: 'Basic' } });
    const windows = await setup([...DEVOPS(), '--yes']);
    expect(windows.code).toBe(1);
    expect(windows.err).toContain('App Service plan asp-mta-sts in rg-dns exists but is a Windows plan; the Function App needs a Linux plan');
    expect(armWrites()).toHaveLength(0);
    expect(devops.writes()).toHaveLength(0);
  });

  it('without the DevOps flags: sets hostingKind in the pipeline file and says the variable group needs no token', async () => {
    useFunctionApp();
    functionAppConfig();
    const r = await setup(['--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("Set hostingKind: 'function-app' in azure-pipelines.yml: done");
    expect(pipelineVariable(readFileSync(join(repo, 'azure-pipelines.yml'), 'utf8'), 'hostingKind')).toBe('function-app');
    expect(pipelineVariable(readFileSync(join(repo, 'azure-pipelines.yml'), 'utf8'), 'armServiceConnection')).toBe('');
    expect(r.out).toContain('Pipelines > Library > + Variable group "mta-sts" (azure-pipelines.yml names it; a Function App needs no deployment_token');
    expect(devops.requests).toHaveLength(0);
  });

  it('an app name another tenant holds: the app step fails saying so and what to pass; a run with --app continues on the same plan and storage', async () => {
    const functionArm = useFunctionApp();
    functionArm.takenSiteNames.add(APP);
    functionAppConfig();
    const first = await setup([...DEVOPS(), '--yes']);
    expect(first.code).toBe(1);
    expect(first.err).toContain(`Create Function App ${APP} (Linux, Node 22, Functions v4, HTTPS only) on asp-mta-sts: failed: the name ${APP} is taken by another app somewhere in Azure (Azure answered HTTP 409 Conflict: Website with given name ${APP} already exists.); names under azurewebsites.net are global: choose another with --app NAME (or hosting.app) and run the command again`);
    expect(first.out).toMatch(/Bind .*: skipped \(it needs a step that failed\)/);
    expect(functionArm.plans.has('rg-dns/asp-mta-sts')).toBe(true);
    expect(readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8')).not.toMatch(/^\s+app:/m);

    const second = await setup([...DEVOPS(), '--app', 'mta-sts-contoso-mail', '--yes']);
    expect(second.code, second.out + second.err).toBe(0);
    expect(functionArm.fa.site?.name).toBe('mta-sts-contoso-mail');
    // The plan and storage account of the first run are reused, not paid for twice.
    expect(second.out).not.toContain('Create App Service plan');
    expect(second.out).not.toContain('Create storage account');
    expect(functionArm.plans.size).toBe(1);
    expect(functionArm.storageAccounts.size).toBe(1);
    expect(readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8')).toContain('  default_hostname: mta-sts-contoso-mail.azurewebsites.net\n');
  });

  it('without the right to create resources: every Azure step fails or is skipped, and the exact az commands are printed in order', async () => {
    useFunctionApp();
    setupArm.readOnly = true;
    functionAppConfig();
    const r = await setup([...DEVOPS(), '--resource-group', 'rg-mta-sts', '--region', 'northeurope', '--yes']);
    expect(r.code).toBe(1);
    const byHand = r.out.split('\n').filter((l) => l.startsWith('By hand: '));
    const account = /az storage account create -n (st[a-z0-9]+) /.exec(r.out)?.[1];
    expect(account).toBeDefined();
    expect(byHand.slice(0, 4)).toEqual([
      'By hand: Create resource group rg-mta-sts in northeurope: you lack the rights for this step; someone who has them can do it by hand: az group create -n rg-mta-sts -l northeurope',
      `By hand: Create App Service plan asp-mta-sts (Linux, Basic B1: the lowest with managed certificates) in northeurope: skipped, as it needs a step above; after that: az appservice plan create -n asp-mta-sts -g rg-mta-sts -l northeurope --is-linux --sku B1`,
      `By hand: Create storage account ${account} (the Functions host's AzureWebJobsStorage; Standard LRS, TLS 1.2, no public blobs) in northeurope: skipped, as it needs a step above; after that: az storage account create -n ${account} -g rg-mta-sts -l northeurope --sku Standard_LRS --kind StorageV2 --min-tls-version TLS1_2 --allow-blob-public-access false --https-only true`,
      `By hand: Create Function App ${APP} (Linux, Node 22, Functions v4, HTTPS only) on asp-mta-sts: skipped, as it needs a step above; after that: az functionapp create -n ${APP} -g rg-mta-sts --plan asp-mta-sts --storage-account ${account} --runtime node --runtime-version 22 --functions-version 4 --os-type Linux --https-only true && az functionapp config appsettings set -n ${APP} -g rg-mta-sts --settings AzureWebJobsDisableHomepage=true && az functionapp update -n ${APP} -g rg-mta-sts --set clientAffinityEnabled=false`,
    ]);
    expect(r.err).toMatch(/Create resource group rg-mta-sts in northeurope: failed: Azure answered HTTP 403 AuthorizationFailed/);
    expect(arm.calls('PUT', '/serverfarms/')).toHaveLength(0);
    expect(arm.calls('PUT', '/storageAccounts/')).toHaveLength(0);
    expect(arm.calls('PUT', '/Microsoft.Web/sites/')).toHaveLength(0);
    expect(readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8')).not.toMatch(/^\s+app:/m);
  });

  it('in an existing resource group without write rights: the plan and storage steps fail with 403 and name their az commands', async () => {
    useFunctionApp();
    setupArm.readOnly = true;
    functionAppConfig();
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`Create App Service plan asp-mta-sts .*: failed: Azure answered HTTP 403 AuthorizationFailed: .*Microsoft\\.Web/serverfarms/write`));
    expect(r.err).toMatch(/Create storage account st[a-z0-9]+ .*: failed: Azure answered HTTP 403 AuthorizationFailed: .*Microsoft\.Storage\/storageAccounts\/write/);
    expect(r.out).toContain(`can do it by hand: az appservice plan create -n asp-mta-sts -g rg-dns -l westeurope --is-linux --sku B1`);
    expect(r.out).toMatch(/can do it by hand: az storage account create -n st[a-z0-9]+ -g rg-dns -l westeurope --sku Standard_LRS/);
    expect(r.out).toContain(`skipped, as it needs a step above; after that: az functionapp create -n ${APP} -g rg-dns --plan asp-mta-sts`);
  });
});
