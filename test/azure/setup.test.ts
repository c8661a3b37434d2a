// `mta-sts azure setup` for a Static Web App, from a fresh clone (the world: setup-world.ts): the whole run and a
// second one as a child process exactly as the README says, then rights missing in Azure or Azure DevOps and the
// question on a terminal. The edge cases are in setup-edges.test.ts, the Function App in setup-function-app.test.ts.
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { pipelineVariable } from '../../src/config/pipeline-yaml.ts';
import { SUBSCRIPTION } from './arm-emulator.ts';
import { useSetupWorld, dns, arm, setupArm, devops, dir, repo, env, git, BIN, setup, setupProcess, DEVOPS, armWrites, filesUnder } from './setup-world.ts';

useSetupWorld();

describe('mta-sts azure setup', () => {
  // The first run a child process exactly as the README says (it loads every Azure SDK, deploys through swa deploy,
  // a child of its own, and runs check), the second in this process: slow on a loaded 2-core machine, so this test
  // has its own timeout.
  it('from a fresh clone sets everything up, and a second run changes nothing', { timeout: 240_000 }, async () => {
    // The user's step 3: their domain in the config (not committed; setup commits it with its own changes).
    const template = readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8');
    expect(template).toContain('  - contoso.com\n');
    writeFileSync(join(repo, 'mta-sts.config.yaml'), template.replace('  - contoso.com\n', '  - fabrikam.com\n'));
    arm.zones.clear();
    arm.addZone('rg-dns', 'fabrikam.com');
    const first = await setupProcess([...DEVOPS(), '--yes']);
    expect(first.err).not.toMatch(/^\s+at /m);
    expect(first.code, first.out + first.err).toBe(0);
    expect(first.out).toMatch(/Plan \(\d+ changes\):/);
    expect(first.out).toContain('Found the Azure DNS zones of 1 of 1 domain(s) in resource group rg-dns.');

    // Azure: the app beside the DNS zones (nobody named a resource group), on the config's plan, in the default region.
    expect(first.out).toContain('Using resource group rg-dns for the app too');
    expect(setupArm.resourceGroups.has('rg-mta-sts')).toBe(false);
    const site = arm.sites.get('rg-dns/mta-sts-fabrikam-com')!;
    expect(site.sku).toBe('Standard');
    expect(site.customDomains.get('mta-sts.fabrikam.com')?.status).toBe('Ready');
    // Creation answered 202 + azure-asyncoperation (Microsoft.Web/stable/2024-04-01/examples/CreateOrUpdateStaticSite.json):
    // setup read the site itself until it had its host name (the operation URL is at the subscription's scope, which
    // an Owner of the resource group alone may not read), then read the token.
    const sitePath = `/resourceGroups/rg-dns/providers/Microsoft.Web/staticSites/mta-sts-fabrikam-com`;
    const order = (f: (r: (typeof arm.requests)[number]) => boolean) => arm.requests.findIndex(f);
    const put = order((r) => r.method === 'PUT' && r.path.endsWith(sitePath));
    const polled = arm.requests.findIndex((r, i) => i > put && r.method === 'GET' && r.path.endsWith(sitePath));
    expect(arm.calls('GET', '/operationResults/')).toEqual([]);
    expect(put).toBeGreaterThanOrEqual(0);
    expect(polled).toBeGreaterThan(put);
    expect(order((r) => r.method === 'POST' && r.path.endsWith(`${sitePath}/listSecrets`))).toBeGreaterThan(polled);
    expect(arm.recordSet('rg-dns', 'fabrikam.com', 'CNAME', 'mta-sts')?.properties.CNAMERecord).toEqual({ cname: site.defaultHostname });

    // The config learned the names; its comments survived; home/ was rebuilt; all of it committed.
    const config = readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8');
    expect(config).toContain('# The Azure app that serves the policy.');
    expect(config).toContain('  - fabrikam.com\n');
    expect(config).toContain('  app: mta-sts-fabrikam-com');
    expect(config).toContain('  resource_group: rg-dns');
    expect(config).toContain(`  subscription: ${SUBSCRIPTION}`);
    expect(config).toContain(`  default_hostname: ${site.defaultHostname}`);
    expect(config).toContain('  dns_resource_group: rg-dns');
    expect(pipelineVariable(readFileSync(join(repo, 'azure-pipelines.yml'), 'utf8'), 'armServiceConnection')).toBe('mta-sts-azure');
    const status = await git('git', ['status', '--porcelain'], { cwd: repo });
    expect(status.stdout).toBe('');
    const log = await git('git', ['log', '--format=%s', '-n', '1'], { cwd: repo });
    expect(log.stdout).toMatch(/azure setup/);
    const inCommit = await git('git', ['show', '--name-only', '--format=', 'HEAD'], { cwd: repo });
    expect(inCommit.stdout.split('\n')).toEqual(expect.arrayContaining(['mta-sts.config.yaml', 'azure-pipelines.yml']));
    // home/ is the fresh build of the committed config.
    const stale = await promisify(execFile)(process.execPath, [BIN, 'build', '--check'], { cwd: repo });
    expect(stale.stdout).toContain('up to date');

    // Azure DevOps: the secret, the connection, the pipeline, and both permissions for it.
    const token = setupArm.tokens.get('rg-dns/mta-sts-fabrikam-com')!;
    expect(devops.variableGroups).toHaveLength(1);
    expect(devops.variableGroups[0]!.name).toBe('mta-sts');
    expect(devops.variableGroups[0]!.variables.deployment_token).toEqual({ value: token, isSecret: true });
    expect(devops.endpoints).toHaveLength(1);
    const endpoint = devops.endpoints[0]!;
    // The connection signs in as a user-assigned managed identity (workload identity federation, manual): Azure
    // DevOps registers nothing in Entra ID, so no Entra right is needed.
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    expect(identity).toBeDefined();
    expect(endpoint.body).toMatchObject({
      name: 'mta-sts-azure', type: 'azurerm', url: 'https://management.azure.com/',
      authorization: { scheme: 'WorkloadIdentityFederation', parameters: { tenantid: identity.tenantId, serviceprincipalid: identity.clientId } },
      data: { creationMode: 'Manual', scopeLevel: 'Subscription', subscriptionId: SUBSCRIPTION, subscriptionName: 'Contoso Production', environment: 'AzureCloud' },
    });
    // Exactly the roles it needs, and trust in exactly this connection's tokens.
    const granted = [...setupArm.roleAssignments].flatMap(([scope, m]) => [...m.values()].map((a) => [scope, a.roleDefinitionId.split('/').at(-1), a.principalId]));
    expect(granted.sort()).toEqual([
      [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-dns`, 'befefa01-2a29-4197-83a8-272ff33ce314', identity.principalId],
      [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-dns/providers/microsoft.web/staticsites/mta-sts-fabrikam-com`, 'b24988ac-6180-42a0-ab88-20f7382dd24c', identity.principalId],
    ]);
    const parameters = (endpoint.body.authorization as { parameters: Record<string, string> }).parameters;
    expect(identity.federated.get('azure-devops')).toEqual({
      issuer: parameters.workloadIdentityFederationIssuer, subject: parameters.workloadIdentityFederationSubject, audiences: ['api://AzureADTokenExchange'],
    });
    expect(devops.definitions).toHaveLength(1);
    const definition = devops.definitions[0]!;
    expect(definition.body).toMatchObject({ name: 'mta-sts', process: { type: 2, yamlFilename: 'azure-pipelines.yml' }, repository: { type: 'TfsGit', id: devops.repositories[0]!.id } });
    expect(devops.permissions.get(`variablegroup/${devops.variableGroups[0]!.id}`)?.get(definition.id)).toBe(true);
    expect(devops.permissions.get(`endpoint/${endpoint.id}`)?.get(definition.id)).toBe(true);

    // The connection's scope holds the zones too: no role assignment is left to the user.
    expect(first.out).not.toContain('az role assignment');
    // The organisation has its hosted job: nothing to say about it.
    expect(first.err).not.toContain('hosted parallel job');
    expect(first.out).toMatch(/fabrikam\.com: bound \(Ready\)/);

    // The token is never printed nor written to a file.
    expect(first.out + first.err).not.toContain(token);
    for (const file of filesUnder(dir).filter((f) => !f.includes(`${join(repo, '.git')}/objects`))) {
      expect(readFileSync(file, 'latin1').includes(token), file).toBe(false);
    }
    const committed = await git('git', ['log', '-p', '--all'], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
    expect(committed.stdout).not.toContain(token);

    // Second run: same end state, nothing written anywhere.
    const armBefore = armWrites().length;
    const devopsBefore = devops.writes().length;
    const head = (await git('git', ['rev-parse', 'HEAD'], { cwd: repo })).stdout;
    const second = await setup([...DEVOPS(), '--yes']);
    expect(second.code, second.out + second.err).toBe(0);
    expect(second.out).toContain('Nothing to change');
    expect(second.out).not.toContain('Plan (');
    expect(armWrites().length).toBe(armBefore);
    expect(devops.writes().length).toBe(devopsBefore);
    expect((await git('git', ['rev-parse', 'HEAD'], { cwd: repo })).stdout).toBe(head);
    expect(readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8')).toBe(config);
    expect(second.out + second.err).not.toContain(token);
  });

  it('with the app in a resource group of its own, gives the identity DNS Zone Contributor on the zones\' group itself', async () => {
    writeFileSync(join(repo, 'mta-sts.config.yaml'), readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8').replace('  - contoso.com\n', '  - fabrikam.com\n'));
    arm.zones.clear();
    arm.addZone('rg-dns', 'fabrikam.com');
    const r = await setup([...DEVOPS(), '--resource-group', 'rg-mta-sts', '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).not.toContain('Using resource group rg-dns');
    expect(arm.sites.has('rg-mta-sts/mta-sts-fabrikam-com')).toBe(true);
    const identity = setupArm.identities.get('rg-mta-sts/mta-sts-pipeline')!;
    expect([...setupArm.roleAssignments.get(`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-dns`)!.values()]).toEqual([
      expect.objectContaining({ principalId: identity.principalId, roleDefinitionId: expect.stringMatching(/befefa01-2a29-4197-83a8-272ff33ce314$/) }),
    ]);
    expect(r.out).toMatch(/Give mta-sts-pipeline Contributor on staticSites mta-sts-fabrikam-com, DNS Zone Contributor on resourceGroups rg-dns: done/);
    expect(r.out).not.toContain('az role assignment');
  });

  it('zones in two resource groups: binds both, and gives the identity DNS Zone Contributor on each zone\'s group', async () => {
    writeFileSync(join(repo, 'mta-sts.config.yaml'), readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8').replace('  - contoso.com\n', '  - contoso.com\n  - fabrikam.com\n'));
    arm.addZone('rg-dns-fabrikam', 'fabrikam.com');
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('Found Azure DNS zones of your domains also in resource group(s) rg-dns-fabrikam.');
    const site = arm.sites.get('rg-dns/mta-sts-contoso-com')!;
    expect(arm.recordSet('rg-dns-fabrikam', 'fabrikam.com', 'CNAME', 'mta-sts')?.properties.CNAMERecord).toEqual({ cname: site.defaultHostname });
    expect(site.customDomains.get('mta-sts.fabrikam.com')?.status).toBe('Ready');
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    for (const rg of ['rg-dns', 'rg-dns-fabrikam']) {
      expect([...setupArm.roleAssignments.get(`/subscriptions/${SUBSCRIPTION}/resourcegroups/${rg}`)?.values() ?? []], rg).toEqual([
        expect.objectContaining({ principalId: identity.principalId, roleDefinitionId: expect.stringMatching(/befefa01-2a29-4197-83a8-272ff33ce314$/) }),
      ]);
    }
    expect(r.out).toContain('State per domain:');
    expect(r.out).toMatch(/fabrikam\.com: bound \(Ready\); certificate ready; policy live; TXT published/);
  });

  it('without the right to assign roles: does the rest, names the exact az commands for someone who has it, and a re-run continues', async () => {
    setupArm.cannotAssignRoles = true;
    const first = await setup([...DEVOPS(), '--yes']);
    expect(first.code).toBe(1);
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    expect(first.err).toMatch(/Give mta-sts-pipeline .*: failed: Azure answered HTTP 403 AuthorizationFailed: .*Microsoft\.Authorization\/roleAssignments\/write/);
    expect(first.out).toContain(`az role assignment create --assignee-object-id ${identity.principalId} --assignee-principal-type ServicePrincipal --role "Contributor" --scope /subscriptions/${SUBSCRIPTION}/resourceGroups/rg-dns/providers/Microsoft.Web/staticSites/mta-sts-contoso-com`);
    expect(first.out).toContain(`--role "DNS Zone Contributor" --scope /subscriptions/${SUBSCRIPTION}/resourceGroups/rg-dns`);
    // The connection and its federated credential need no role right: done.
    expect(devops.endpoints).toHaveLength(1);
    expect(identity.federated.size).toBe(1);
    expect(setupArm.roleAssignments.size).toBe(0);

    setupArm.cannotAssignRoles = false; // an Owner granted the right (or ran the commands)
    const second = await setup([...DEVOPS(), '--yes']);
    expect(second.code, second.out + second.err).toBe(0);
    const plan = second.out.slice(0, second.out.indexOf('[1/'));
    expect(plan).toMatch(/Plan \(1 change\):\n {3}1\. Give mta-sts-pipeline Contributor/);
    expect(setupArm.roleAssignments.size).toBe(2);
  });

  it('on a terminal, exactly as the README says (no --yes): shows the plan, asks once, and applies on y', async () => {
    // util-linux script(1) gives the command a real pseudo-terminal; we type the answer once the question shows.
    const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    const line = [process.execPath, BIN, 'azure', 'setup', ...DEVOPS(), '--dns-server', dns.address].map(quote).join(' ');
    const terminal = (answer: string) => {
      const child = spawn('script', ['-qfec', line, '/dev/null'], { cwd: repo, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let answered = false;
      child.stdout.on('data', (d) => {
        out += d;
        if (!answered && out.includes('[y/N]')) {
          answered = true;
          child.stdin.write(`${answer}\r`);
        }
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      return new Promise<{ code: number | null; out: string }>((resolve) => child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      }));
    };
    const first = await terminal('y');
    expect(first.code, first.out).toBe(0);
    expect(first.out.match(/Apply these \d+ changes\? \[y\/N\]/g)).toHaveLength(1);
    expect(first.out).toMatch(/\[1\/\d+\] Create Static Web App mta-sts-contoso-com \(Standard plan\) in westeurope: done/);
    expect(devops.definitions).toHaveLength(1);
    const second = await terminal('y');
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('Nothing to change');
    expect(second.out).not.toContain('[y/N]');
  });

  it('without a terminal and without --yes it is a usage error and changes nothing', async () => {
    const r = await setup(DEVOPS());
    expect(r.code).toBe(2);
    expect(r.err).toContain('pass --yes');
    expect(r.err).toContain('usage: mta-sts azure setup');
    expect(arm.requests).toHaveLength(0);
    expect(devops.requests).toHaveLength(0);
  });

  it('without the right to create service connections it does the rest, names the portal step, and a re-run continues', async () => {
    devops.denied.add('endpoints.create');
    const first = await setup([...DEVOPS(), '--yes']);
    expect(first.code).toBe(1);
    expect(first.err).toMatch(/Create service connection mta-sts-azure .*: failed: .*HTTP 403/);
    expect(first.out).toContain('By hand: Create service connection mta-sts-azure');
    expect(first.out).toContain('Project settings > Service connections > New service connection > Azure Resource Manager > Identity type: Managed identity, the subscription Contoso Production and the identity mta-sts-pipeline');
    expect(first.out).toContain('Run the same command again to continue from here');
    expect(first.out).toMatch(/Allow pipeline mta-sts to use service connection mta-sts-azure: skipped/);
    // The pipeline must not name a connection that does not exist: it would not even start.
    expect(first.out).toMatch(/Set armServiceConnection: 'mta-sts-azure' in azure-pipelines.yml: skipped/);
    expect(pipelineVariable(readFileSync(join(repo, 'azure-pipelines.yml'), 'utf8'), 'armServiceConnection')).toBe('');
    // Everything that did not need the connection is done.
    expect(devops.variableGroups).toHaveLength(1);
    expect(devops.definitions).toHaveLength(1);
    expect(arm.sites.get('rg-dns/mta-sts-contoso-com')?.customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');

    devops.denied.clear();
    const second = await setup([...DEVOPS(), '--yes']);
    expect(second.code, second.out + second.err).toBe(0);
    const plan = second.out.slice(0, second.out.indexOf('[1/'));
    expect(plan).toContain('Create service connection mta-sts-azure');
    expect(plan).toContain('Allow pipeline mta-sts to use service connection mta-sts-azure');
    expect(plan).toContain("Set armServiceConnection: 'mta-sts-azure' in azure-pipelines.yml");
    expect(pipelineVariable(readFileSync(join(repo, 'azure-pipelines.yml'), 'utf8'), 'armServiceConnection')).toBe('mta-sts-azure');
    expect((await git('git', ['status', '--porcelain'], { cwd: repo })).stdout).toBe('');
    expect(plan).not.toContain('Create Static Web App');
    expect(plan).not.toContain('variable group');
    expect(devops.endpoints).toHaveLength(1);
  });

  it('a service connection whose automatic creation failed: says to delete it, and a re-run after that creates it', async () => {
    devops.endpoints.push({
      id: randomUUID(), projectIds: [devops.projects[0]!.id], readyAfterGets: 0,
      failed: 'Failed to create an app in Microsoft Entra ID. Error: Insufficient privileges to complete the operation.',
      body: { name: 'mta-sts-azure', type: 'azurerm', url: 'https://management.azure.com/', authorization: { scheme: 'WorkloadIdentityFederation', parameters: {} }, data: { creationMode: 'Automatic' } },
    });
    const first = await setup([...DEVOPS(), '--yes']);
    expect(first.code).toBe(1);
    expect(first.out).toContain('Service connection mta-sts-azure exists but Azure DevOps reports it failed (Failed to create an app in Microsoft Entra ID.');
    expect(first.err).toContain('is in a failed state; delete it (Project settings > Service connections > mta-sts-azure > Delete) and run the same command again');
    expect(pipelineVariable(readFileSync(join(repo, 'azure-pipelines.yml'), 'utf8'), 'armServiceConnection')).toBe('');
    expect(devops.definitions).toHaveLength(1);

    devops.endpoints.length = 0; // the admin deleted it
    const second = await setup([...DEVOPS(), '--yes']);
    expect(second.code, second.out + second.err).toBe(0);
    expect(devops.endpoints).toHaveLength(1);
    expect(devops.endpoints[0]!.failed).toBeUndefined();
  });

  it('without the right to create resources in Azure: names the az command that remains, skips what needs it', async () => {
    setupArm.readOnly = true;
    const r = await setup([...DEVOPS(), '--resource-group', 'rg-mta-sts', '--yes']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Create resource group rg-mta-sts in westeurope: failed: Azure answered HTTP 403 AuthorizationFailed: The client 'admin@contoso.com' .*; the signed-in identity may not Microsoft\.Resources\/subscriptions\/resourcegroups\/write over \/subscriptions\/[^ ]+\/resourcegroups\/rg-mta-sts: someone with Owner or User Access Administrator/);
    expect(r.out).toContain('By hand: Create resource group rg-mta-sts in westeurope: you lack the rights for this step; someone who has them can do it by hand: az group create -n rg-mta-sts -l westeurope');
    expect(r.out).toMatch(/Create Static Web App mta-sts-contoso-com \(Standard plan\) in westeurope: skipped/);
    expect(r.out).toMatch(/Create variable group mta-sts .*: skipped/);
    expect(readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8')).not.toMatch(/^\s+app:/m); // the template's commented-out key aside
    expect(arm.sites.size).toBe(0);
  });
});
