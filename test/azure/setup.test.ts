// `mta-sts azure setup` from a fresh clone, run as a child process exactly as the README says, with only the
// endpoints, the test CA and az's credential replaced: the ARM emulator (MTA_STS_ARM_ENDPOINT), the Azure DevOps
// emulator (its URL is the --devops-org value), a DNS server on loopback (--dns-server), NODE_EXTRA_CA_CERTS, and
// an `az` on PATH that answers `az account get-access-token` as AzureCliCredential calls it.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { pipelineVariable, setPipelineVariables } from '../../src/config/pipeline-yaml.ts';
import { devopsOrgError, runSetup } from '../../src/cli/azure-setup.ts';
import { startDns, TestCA, type DnsServer } from '../check/servers.ts';
import { ArmEmulator, SUBSCRIPTION, TOKEN } from './arm-emulator.ts';
import { FA_VERIFICATION_ID, addFunctionAppHandlers, addSetupHandlers, type SetupArm } from './arm-setup-handlers.ts';
import { startDevOpsEmulator, type DevOpsEmulator } from './devops-emulator.ts';

const git = promisify(execFile);
const ROOT = process.cwd();
const BIN = join(ROOT, 'bin/mta-sts.js');
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

let ca: TestCA;
let dns: DnsServer;
let arm: ArmEmulator;
let setupArm: SetupArm;
let devops: DevOpsEmulator;
let dir: string;
let repo: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ca = await TestCA.create();
  dns = await startDns();
  arm = new ArmEmulator(dns.zone);
  await arm.start(ca);
  arm.pollsInProgress = 0;
});
afterAll(async () => {
  await Promise.all([arm.close(), dns.close()]);
});

beforeEach(async () => {
  arm.sites.clear();
  arm.zones.clear();
  arm.requests.length = 0;
  arm.extensions.length = 0;
  dns.zone.clear();
  setupArm = addSetupHandlers(arm);
  arm.addZone('rg-dns', 'contoso.com');
  devops = await startDevOpsEmulator(ca);

  dir = mkdtempSync(join(tmpdir(), 'setup-test-'));
  // az's state as `az login` leaves it: the default subscription and its tenant, and an az that hands out tokens.
  const azDir = join(dir, 'azure');
  mkdirSync(azDir);
  writeFileSync(join(azDir, 'azureProfile.json'), '\uFEFF' + JSON.stringify({
    installationId: 'x', subscriptions: [{ id: SUBSCRIPTION, name: 'Contoso Production', tenantId: TENANT, isDefault: true, state: 'Enabled', environmentName: 'AzureCloud', user: { name: 'admin@contoso.com', type: 'user' } }],
  }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const answer = (token: string) => JSON.stringify({ accessToken: token, expiresOn: '2099-01-01 00:00:00.000000', expires_on: expires, subscription: SUBSCRIPTION, tenant: TENANT, tokenType: 'Bearer' });
  writeFileSync(join(bin, 'az'), [
    '#!/bin/sh',
    '# az account get-access-token --output json --resource R, as AzureCliCredential runs it',
    'case "$*" in',
    `  *"account get-access-token"*499b84ac-1321-427f-aa17-267ca6975798*) echo '${answer(devops.token)}' ;;`,
    // Only the emulator's own audience: a client that asked for the public cloud's (arm-resources 8 and
    // arm-appservice 19 do, unless told) fails here as it would against a sovereign or private cloud.
    `  *"account get-access-token --output json --resource ${arm.endpoint}") echo '${answer(TOKEN)}' ;;`,
    '  *) echo "fake az: unexpected: $*" >&2; exit 2 ;;',
    'esac',
    '',
  ].join('\n'));
  chmodSync(join(bin, 'az'), 0o755);
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);

  // A fresh clone of the template, with origin pointing at the Azure Repos repository it was imported into.
  repo = join(dir, 'mta-sts');
  await git('git', ['clone', '-q', '--depth', '1', `file://${ROOT}`, repo]);
  const g = (...args: string[]) => git('git', args, { cwd: repo });
  await g('config', 'user.email', 'admin@contoso.com');
  await g('config', 'user.name', 'Mail Admin');
  await g('remote', 'set-url', 'origin', `${devops.orgUrl}/mail/_git/mta-sts`);

  env = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: dir,
    AZURE_CONFIG_DIR: azDir,
    MTA_STS_ARM_ENDPOINT: arm.endpoint,
    NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
  };
});
afterEach(async () => {
  await devops.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Result { code: number | null; out: string; err: string }

function start(args: string[]): { done: Promise<Result>; err: () => string } {
  const child = spawn(process.execPath, [BIN, 'azure', 'setup', ...args, '--dns-server', dns.address], {
    cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<Result>((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, out, err });
  }));
  return { done, err: () => err };
}

const setup = (args: string[]) => start(args).done;

const DEVOPS = () => ['--devops-org', devops.orgUrl, '--devops-project', 'mail'];
const armWrites = () => arm.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/listSecrets'));

function filesUnder(path: string): string[] {
  return readdirSync(path).flatMap((name) => {
    const full = join(path, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('mta-sts azure setup', () => {
  it('from a fresh clone sets everything up, and a second run changes nothing', async () => {
    // The user's step 3: their domain in the config (not committed; setup commits it with its own changes).
    const template = readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8');
    expect(template).toContain('  - contoso.com\n');
    writeFileSync(join(repo, 'mta-sts.config.yaml'), template.replace('  - contoso.com\n', '  - fabrikam.com\n'));
    arm.zones.clear();
    arm.addZone('rg-dns', 'fabrikam.com');
    const first = await setup([...DEVOPS(), '--yes']);
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
    // setup polled the operation to its end before it read the token.
    const sitePath = `/resourceGroups/rg-dns/providers/Microsoft.Web/staticSites/mta-sts-fabrikam-com`;
    const order = (f: (r: (typeof arm.requests)[number]) => boolean) => arm.requests.findIndex(f);
    const put = order((r) => r.method === 'PUT' && r.path.endsWith(sitePath));
    const polled = order((r) => r.method === 'GET' && r.path.includes('/operationResults/'));
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
    expect(r.out).toMatch(/fabrikam\.com: bound \(Ready\).*TXT: the pipeline publishes it in Azure DNS once the policy is live/);
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
    expect(r.err).toMatch(/Create resource group rg-mta-sts in westeurope: failed: Azure answered HTTP 403 AuthorizationFailed: The client 'admin@contoso.com' .*; the signed-in account lacks the right for this/);
    expect(r.out).toContain('By hand: Create resource group rg-mta-sts in westeurope: you lack the rights for this step; someone who has them can do it by hand: az group create -n rg-mta-sts -l westeurope');
    expect(r.out).toMatch(/Create Static Web App mta-sts-contoso-com \(Standard plan\) in westeurope: skipped/);
    expect(r.out).toMatch(/Create variable group mta-sts .*: skipped/);
    expect(readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8')).not.toMatch(/^\s+app:/m); // the template's commented-out key aside
    expect(arm.sites.size).toBe(0);
  });

  it('an existing variable group: replaces the stale token, keeps the group\'s other variables and secrets', async () => {
    devops.variableGroups.push({
      id: 7, name: 'mta-sts', description: 'made by hand', projectIds: [devops.projects[0]!.id],
      variables: { deployment_token: { value: 'old-token', isSecret: true }, notify: { value: 'ops@contoso.com', isSecret: false }, api_key: { value: 'kept-secret', isSecret: true } },
    });
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('Update variable group mta-sts in project mail');
    const token = setupArm.tokens.get('rg-dns/mta-sts-contoso-com')!;
    expect(devops.variableGroups).toHaveLength(1);
    expect(devops.variableGroups[0]!.variables).toEqual({
      deployment_token: { value: token, isSecret: true },
      notify: { value: 'ops@contoso.com', isSecret: false },
      api_key: { value: 'kept-secret', isSecret: true },
    });
    expect(devops.permissions.get('variablegroup/7')?.get(devops.definitions[0]!.id)).toBe(true);
  });

  it('without the DevOps flags it sets up Azure and prints what to do in Azure DevOps', async () => {
    const r = await setup(['--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('Azure DevOps was not set up');
    expect(r.out).toContain('Pipelines > Library > + Variable group "mta-sts"');
    expect(devops.requests).toHaveLength(0);
    expect(arm.sites.has('rg-dns/mta-sts-contoso-com')).toBe(true);
  });

  it('a DNS host outside Azure: prints the CNAME and says to run again (no wait without a terminal)', async () => {
    arm.zones.clear();
    const config = join(repo, 'mta-sts.config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('# tlsrpt:\n#   rua:\n#     - mailto:tlsrpt@contoso.com', 'tlsrpt:\n  rua:\n    - mailto:tlsrpt@contoso.com'));
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    const site = arm.sites.get('rg-mta-sts/mta-sts-contoso-com')!;
    expect(r.out).toContain(`mta-sts.contoso.com. 3600 IN CNAME ${site.defaultHostname}.`);
    expect(r.err).toContain('then run the same command again');
    expect(r.out).toMatch(/TXT still to publish: _mta-sts\.contoso\.com\. 3600 IN TXT "v=STSv1; id=[A-Za-z0-9]+;"/);
    // The step says it waits, not "done"; the last line says who publishes the TXT records: the admin.
    expect(r.out).toMatch(/\[\d+\/\d+\] Bind mta-sts\.contoso\.com \(once its CNAME exists at your DNS host\) to mta-sts-contoso-com: waiting \(nothing bound yet; mta-sts\.contoso\.com waits for the CNAME at your DNS host \(below\)\)/);
    expect(r.out).not.toMatch(/Bind .*: done/);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('Then push: the pipeline deploys home/, binds the domains and prints the TXT records once the policy is live, for you to publish at your DNS host.');
    expect(r.out).toContain('TLS-RPT still to publish: _smtp._tls.contoso.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com"');
    expect(site.customDomains.size).toBe(0);

    // The user creates the record; the next run binds it.
    dns.zone.set('mta-sts.contoso.com', { cname: site.defaultHostname });
    arm.publicCnames.set('mta-sts.contoso.com', site.defaultHostname);
    const again = await setup([...DEVOPS(), '--yes']);
    expect(again.code, again.out + again.err).toBe(0);
    expect(site.customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
  });

  it('without az installed: says to install the Azure CLI (exit 1), not "run az login" (exit 2)', async () => {
    const r = await new Promise<Result>((done) => {
      const child = spawn(process.execPath, [BIN, 'azure', 'setup', '--yes'], { cwd: repo, env: { ...env, PATH: join(dir, 'empty-path') }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => done({ code, out, err }));
    });
    expect(r.code).toBe(1);
    expect(r.err).toBe('mta-sts azure setup: the Azure CLI (az) is not installed, or not on PATH: install it (https://aka.ms/installazurecli), run az login, then run the same command again\n');
    expect(arm.requests).toEqual([]);
  });

  it('a project URL in --devops-org is a usage error naming the two flags to pass', async () => {
    expect(devopsOrgError('https://dev.azure.com/contoso/mail')).toBe('--devops-org must be the organisation URL, not a project\'s: pass --devops-org https://dev.azure.com/contoso --devops-project mail (got "https://dev.azure.com/contoso/mail")');
    expect(devopsOrgError('https://contoso.visualstudio.com/mail/_git/mta-sts')).toContain('pass --devops-org https://contoso.visualstudio.com --devops-project mail');
    expect(devopsOrgError('https://dev.azure.com/')).toContain('must name the organisation');
    expect(devopsOrgError('http://dev.azure.com/contoso')).toContain('https://');
    expect(devopsOrgError('https://dev.azure.com/contoso')).toBeUndefined();
    expect(devopsOrgError('https://dev.azure.com/contoso/')).toBeUndefined();
    expect(devopsOrgError('https://tfs.contoso.com/tfs/DefaultCollection')).toBeUndefined();
    const r = await setup(['--devops-org', 'https://dev.azure.com/contoso/mail', '--devops-project', 'mail', '--yes']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('pass --devops-org https://dev.azure.com/contoso --devops-project mail');
  });

  it('a CAA record that forbids DigiCert: the state line says the certificate is blocked, and the run fails naming the record', async () => {
    dns.zone.set('contoso.com', { ...dns.zone.get('contoso.com'), caa: [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }] });
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/contoso\.com: bound \(Ready\);.*; certificate blocked by CAA;/);
    expect(r.out).toMatch(/\[\d+\/\d+\] Bind .*: done/);
    expect(r.err).toContain('add contoso.com. CAA 0 issue "digicert.com"');
  });

  it('a new Azure DevOps organisation without hosted parallel jobs: says so before the push, with the request link and the self-hosted way', async () => {
    devops.hostedParallelJobs = 0;
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    const asked = devops.requests.find((q) => q.path.includes('/_apis/distributedtask/resourceusage'))!;
    expect(asked.path).toMatch(/parallelismTag=Private/);
    expect(asked.path).toMatch(/poolIsHosted=true/);
    expect(r.err).toContain(`warning: the Azure DevOps organisation ${devops.orgUrl} has no Microsoft-hosted parallel job yet`);
    expect(r.err).toContain('https://aka.ms/azpipelines-parallelism-request');
    expect(r.err).toContain('self-hosted Linux agent');
  });

  it('a TXT lookup that fails (SERVFAIL) is reported as failed, never as "still to publish"', async () => {
    arm.zones.clear();
    dns.zone.set('_mta-sts.contoso.com', { servfail: true });
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('TXT: lookup failed (DNS server failure (SERVFAIL) looking up TXT at _mta-sts.contoso.com; check the zone and its DNSSEC), cannot tell whether it is published');
    expect(r.out).not.toContain('TXT still to publish');
  });

  it('a DNS host outside Azure with --wait-dns: counts down, binds as soon as the CNAME resolves (on a virtual clock)', async () => {
    arm.zones.clear();
    let out = '';
    let err = '';
    let skipped = 0;
    const waits: number[] = [];
    const code = await runSetup([...DEVOPS(), '--yes', '--wait-dns', '60', '--dns-server', dns.address], {
      out: (t) => (out += t), err: (t) => (err += t), cwd: repo, isTTY: false, env,
    }, {
      credential: { getToken: async (scopes) => ({ token: [scopes].flat()[0]!.startsWith('499b84ac') ? devops.token : TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }) },
      armCa: ca.certPem,
      devopsCaFile: join(dir, 'ca.pem'),
      now: () => Date.now() + skipped,
      // A wait returns at once but moves the clock; the admin creates the CNAME during the first wait for it.
      sleep: async (ms) => {
        waits.push(ms);
        skipped += ms;
        if (err.includes('waiting for the CNAME of mta-sts.contoso.com')) {
          dns.zone.set('mta-sts.contoso.com', { cname: arm.sites.get('rg-mta-sts/mta-sts-contoso-com')!.defaultHostname });
        }
      },
    });
    expect(err).toMatch(/waiting for the CNAME of mta-sts\.contoso\.com: 1:00 left/);
    expect(code, out + err).toBe(0);
    expect(waits.filter((ms) => ms === 10_000).length).toBeGreaterThanOrEqual(1);
    expect(out).toContain('CNAME visible for contoso.com; binding.');
    expect(arm.sites.get('rg-mta-sts/mta-sts-contoso-com')!.customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
  });

  it('a repository on GitHub: the pipeline uses the named GitHub service connection', async () => {
    await git('git', ['remote', 'set-url', 'origin', 'https://github.com/contoso/mta-sts.git'], { cwd: repo });
    const missing = await setup([...DEVOPS(), '--yes']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('pass --github-connection NAME');
    const id = randomUUID();
    devops.endpoints.push({ id, body: { name: 'github-contoso', type: 'github', url: 'https://github.com' }, projectIds: [devops.projects[0]!.id], readyAfterGets: 0 });
    const r = await setup([...DEVOPS(), '--yes', '--github-connection', 'github-contoso']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(devops.definitions[0]!.body).toMatchObject({ repository: { type: 'GitHub', id: 'contoso/mta-sts', properties: { connectedServiceId: id } } });
  });

  it('answering no to the question changes nothing', async () => {
    let out = '';
    let asked = '';
    const code = await runSetup([...DEVOPS(), '--dns-server', dns.address], {
      out: (t) => (out += t), err: (t) => (out += t), cwd: repo, isTTY: false, stdinIsTTY: true, env,
    }, {
      credential: { getToken: async (scopes) => ({ token: [scopes].flat()[0]!.startsWith('499b84ac') ? devops.token : TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }) },
      armCa: ca.certPem,
      devopsCaFile: join(dir, 'ca.pem'),
      confirm: async (question) => { asked = question; return false; },
    });
    expect(code).toBe(0);
    expect(asked).toMatch(/^Apply these \d+ changes\? \[y\/N\] $/);
    expect(out).toContain('Nothing was changed.');
    expect(armWrites()).toHaveLength(0);
    expect(devops.writes()).toHaveLength(0);
    expect((await git('git', ['status', '--porcelain'], { cwd: repo })).stdout).toBe('');
  });
});

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

  it('a fresh setup for 12 domains creates the plan, the storage, the app, the identity\'s roles and the pipeline, binds every host; a second run changes nothing', async () => {
    const functionArm = addFunctionAppHandlers(arm, setupArm, dns.zone);
    arm.zones.clear();
    for (const d of FA_DOMAINS) arm.addZone('rg-dns', d);
    functionAppConfig();
    const first = await setup([...DEVOPS(), '--yes']);
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
    expect(site.properties).toMatchObject({ httpsOnly: true, reserved: true, serverFarmId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-dns/providers/Microsoft.Web/serverfarms/asp-mta-sts` });
    expect(site.properties.siteConfig.linuxFxVersion).toBe('Node|22');
    const settings = Object.fromEntries(site.properties.siteConfig.appSettings.map((a) => [a.name, a.value]));
    const [account, storage] = [...functionArm.storageAccounts].find(([k]) => k.startsWith('rg-dns/'))!;
    const accountName = account.split('/')[1]!;
    expect(settings).toEqual({
      FUNCTIONS_EXTENSION_VERSION: '~4', FUNCTIONS_WORKER_RUNTIME: 'node', AzureWebJobsDisableHomepage: 'true',
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
    expect(first.out.trimEnd().split('\n').at(-1)).toMatch(/^Then push: the pipeline deploys functions\/, binds the domains and publishes the TXT records in Azure DNS/);

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
    const functionArm = addFunctionAppHandlers(arm, setupArm, dns.zone);
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
    expect(second.out).toMatch(/Plan \(1 change\):\n {3}1\. Bind mta-sts\.contoso\.com/);
    expect(second.out).toMatch(/\[1\/1\] Bind .*: done \(ready with their managed certificates/);
    expect([...functionArm.fa.bindings.values()].filter((b) => b.sslState === 'SniEnabled')).toHaveLength(12);
    const third = await setup([...DEVOPS(), '--yes']);
    expect(third.out).toContain('Nothing to change');
  });

  it('DNS outside Azure with --wait-dns: waits for the CNAME and the asuid TXT of each host, and binds a host only once both resolve (virtual clock)', async () => {
    const functionArm = addFunctionAppHandlers(arm, setupArm, dns.zone);
    arm.zones.clear();
    const file = join(repo, 'mta-sts.config.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  kind: static-web-app\n', '  kind: function-app\n'));
    let out = '';
    let err = '';
    let skipped = 0;
    let waits = 0;
    const code = await runSetup([...DEVOPS(), '--yes', '--wait-dns', '60', '--dns-server', dns.address], {
      out: (t) => (out += t), err: (t) => (err += t), cwd: repo, isTTY: false, env,
    }, {
      credential: { getToken: async (scopes) => ({ token: [scopes].flat()[0]!.startsWith('499b84ac') ? devops.token : TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }) },
      armCa: ca.certPem,
      devopsCaFile: join(dir, 'ca.pem'),
      now: () => Date.now() + skipped,
      // The admin creates the CNAME during the first wait, and the asuid TXT only during the second.
      sleep: async (ms) => {
        skipped += ms;
        if (!err.includes('waiting for the records of mta-sts.contoso.com')) return;
        waits++;
        if (waits === 1) dns.zone.set('mta-sts.contoso.com', { cname: `${APP}.azurewebsites.net` });
        if (waits === 2) {
          expect(functionArm.fa.bindings.size).toBe(0); // the CNAME alone is not enough to bind
          dns.zone.set('asuid.mta-sts.contoso.com', { txt: [FA_VERIFICATION_ID] });
        }
      },
    });
    expect(code, out + err).toBe(0);
    expect(err).toMatch(/waiting for the records of mta-sts\.contoso\.com: 1:00 left/);
    expect(waits).toBeGreaterThanOrEqual(2);
    expect(out).toContain('CNAME and TXT visible for contoso.com; binding.');
    expect(functionArm.fa.bindings.get('mta-sts.contoso.com')?.sslState).toBe('SniEnabled');
    expect(out).toMatch(/contoso\.com: bound \(Ready\)/);
  });

  it('an existing Function App is reused as it is: nothing created, and a Flex Consumption plan or plain HTTP is named as the reason hosts would not get their certificates', async () => {
    const functionArm = addFunctionAppHandlers(arm, setupArm, dns.zone);
    const farm = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-dns/providers/Microsoft.Web/serverfarms/ASP-flex`;
    functionArm.plans.set('rg-dns/asp-flex', { location: 'westeurope', reserved: true, kind: 'functionapp', sku: { name: 'FC1', tier: 'FlexConsumption' } });
    functionArm.fa.site = { name: APP, resourceGroup: 'rg-dns', defaultHostName: `${APP}.azurewebsites.net`, customDomainVerificationId: FA_VERIFICATION_ID, location: 'westeurope', serverFarmId: farm, httpsOnly: false };
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
    const functionArm = addFunctionAppHandlers(arm, setupArm, dns.zone);
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
    addFunctionAppHandlers(arm, setupArm, dns.zone);
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
    const functionArm = addFunctionAppHandlers(arm, setupArm, dns.zone);
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
    addFunctionAppHandlers(arm, setupArm, dns.zone);
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
      `By hand: Create Function App ${APP} (Linux, Node 22, Functions v4, HTTPS only) on asp-mta-sts: skipped, as it needs a step above; after that: az functionapp create -n ${APP} -g rg-mta-sts --plan asp-mta-sts --storage-account ${account} --runtime node --runtime-version 22 --functions-version 4 --os-type Linux --https-only true && az functionapp config appsettings set -n ${APP} -g rg-mta-sts --settings AzureWebJobsDisableHomepage=true`,
    ]);
    expect(r.err).toMatch(/Create resource group rg-mta-sts in northeurope: failed: Azure answered HTTP 403 AuthorizationFailed/);
    expect(arm.calls('PUT', '/serverfarms/')).toHaveLength(0);
    expect(arm.calls('PUT', '/storageAccounts/')).toHaveLength(0);
    expect(arm.calls('PUT', '/Microsoft.Web/sites/')).toHaveLength(0);
    expect(readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8')).not.toMatch(/^\s+app:/m);
  });

  it('in an existing resource group without write rights: the plan and storage steps fail with 403 and name their az commands', async () => {
    addFunctionAppHandlers(arm, setupArm, dns.zone);
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

describe('pipeline variables in azure-pipelines.yml', () => {
  it('sets declared variables only, keeping comments, and reports no change when they match', () => {
    const text = readFileSync(join(ROOT, 'azure-pipelines.yml'), 'utf8');
    const next = setPipelineVariables(text, { armServiceConnection: 'conn', notDeclared: 'x' });
    expect(pipelineVariable(next, 'armServiceConnection')).toBe('conn');
    expect(next).not.toContain('notDeclared');
    expect(next.split('\n').filter((l) => l.trimStart().startsWith('#'))).toEqual(text.split('\n').filter((l) => l.trimStart().startsWith('#')));
    expect(setPipelineVariables(next, { armServiceConnection: 'conn' })).toBe(next);
  });
});
