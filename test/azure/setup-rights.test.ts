// `mta-sts azure setup` as the admins who really run it, each with only their roles (authorization.ts checks every
// request): (a) Owner of the subscription, (b) Owner of the resource groups only, (c) Contributor of the subscription
// only; then `azure bind` as the pipeline's identity with exactly the roles setup gave it. Also a fresh subscription
// that never used Microsoft.Web (MissingSubscriptionRegistration) and one without App Service quota (401).
import { describe, expect, it } from 'vitest';
import { ADMIN, SUBSCRIPTION } from './arm-emulator.ts';
import { DEVOPS, adminHolds, arm, bindAsIdentity, repo, setup, setupArm, useFunctionApp, useSetupWorld } from './setup-world.ts';

useSetupWorld();

const SUB = `/subscriptions/${SUBSCRIPTION}`;
const RG = `${SUB}/resourceGroups/rg-dns`;
const SITE = `${RG}/providers/Microsoft.Web/staticSites/mta-sts-contoso-com`;
const refused = () => arm.authz.refusals.map((r) => `${r.action} over ${r.scope}`);

describe('azure setup with the rights the admin really has', () => {
  it('(a) Owner of the subscription: everything, and the pipeline\'s identity then holds Contributor on the app and DNS Zone Contributor on the zones\' group, enough for bind', async () => {
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(refused()).toEqual([]);
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    expect(arm.authz.rolesAt(identity.principalId, SITE)).toEqual(['Contributor']);
    expect(arm.authz.rolesAt(identity.principalId, RG)).toEqual(['DNS Zone Contributor']);
    expect(arm.authz.assignments.filter((a) => a.principalId === identity.principalId)).toHaveLength(2);
    // The host is bound already (setup bound it); the pipeline's bind reads and finds it, refused nothing.
    arm.sites.get('rg-dns/mta-sts-contoso-com')!.customDomains.delete('mta-sts.contoso.com'); // as if setup had not bound it
    const bind = await bindAsIdentity();
    expect(bind.code, bind.out + bind.err).toBe(0);
    expect(bind.out).toContain('contoso.com: bound mta-sts.contoso.com to mta-sts-contoso-com (status Ready)');
    expect(refused()).toEqual([]);
  });

  it('(b) Owner of the resource groups only: creates the app and binds by reading the resources, never the subscription-scope operation URL', async () => {
    adminHolds(['Owner', RG]);
    arm.pollsInProgress = 3;
    try {
      const r = await setup([...DEVOPS(), '--resource-group', 'rg-dns', '--dns-resource-group', 'rg-dns', '--yes'], { deps: { sleep: async () => {} } });
      expect(r.code, r.out + r.err).toBe(0);
      expect(arm.calls('GET', '/operationResults/')).toEqual([]);
      expect(refused()).toEqual([]);
      expect(arm.sites.get('rg-dns/mta-sts-contoso-com')!.customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
      const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
      expect(arm.authz.rolesAt(identity.principalId, SITE)).toEqual(['Contributor']);
    } finally {
      arm.pollsInProgress = 0;
    }
  });

  it('(b) Owner of the resource groups only, naming no group: the subscription\'s zones cannot be listed, and setup says which flags to pass', async () => {
    adminHolds(['Owner', RG]);
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`(could not list the subscription's Azure DNS zones: Azure answered HTTP 403 AuthorizationFailed`);
    expect(r.out).toContain('; if your zones are in Azure DNS, name their resource group with --dns-resource-group (and the app\'s with --resource-group))');
    // Azure refuses even to say whether rg-mta-sts exists (403, not 404): nothing is changed, and the line says why.
    expect(r.err).toMatch(/^error: cannot read resource group rg-mta-sts: .*the signed-in identity may not Microsoft\.Resources\/subscriptions\/resourcegroups\/read over \/subscriptions\/[^/]+\/resourcegroups\/rg-mta-sts: .*Nothing was changed/m);
  });

  it('(b) Owner of the resource groups only, hosting.kind function-app: plan, storage, app, Website Contributor, and every host bound with its certificate, nothing refused', async () => {
    adminHolds(['Owner', RG]);
    const fa = useFunctionApp();
    const { readFileSync, writeFileSync } = await import('node:fs');
    const file = `${repo}/mta-sts.config.yaml`;
    writeFileSync(file, readFileSync(file, 'utf8').replace('  kind: static-web-app\n', '  kind: function-app\n'));
    const r = await setup([...DEVOPS(), '--resource-group', 'rg-dns', '--dns-resource-group', 'rg-dns', '--yes'], { deps: { sleep: async () => {} } });
    expect(r.code, r.out + r.err).toBe(0);
    expect(refused()).toEqual([]);
    expect(fa.fa.bindings.get('mta-sts.contoso.com')).toMatchObject({ sslState: 'SniEnabled' });
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    expect(arm.authz.rolesAt(identity.principalId, RG).sort()).toEqual(['DNS Zone Contributor', 'Website Contributor']);
  });

  it('(b) a subscription that never used Microsoft.Web: an Owner of the resource groups may not register it, so the step fails naming az provider register', async () => {
    adminHolds(['Owner', RG]);
    setupArm.unregistered.set('microsoft.web', { state: 'NotRegistered', looks: 0 });
    const r = await setup([...DEVOPS(), '--resource-group', 'rg-dns', '--dns-resource-group', 'rg-dns', '--yes']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('The subscription has never used Microsoft.Web: registering it (az provider register --namespace Microsoft.Web)');
    expect(r.out).toContain(`Registering Microsoft.Web failed: Azure answered HTTP 403 AuthorizationFailed`);
    expect(refused()).toContain(`Microsoft.Web/register/action over ${SUB}/providers/Microsoft.Web/register`);
    expect(r.err).toMatch(/Create Static Web App mta-sts-contoso-com .*: failed: Azure answered HTTP 409 MissingSubscriptionRegistration: The subscription is not registered to use namespace 'Microsoft.Web'.*; the subscription has never used Microsoft.Web: someone with Contributor or Owner on the subscription registers it once \(az provider register --namespace Microsoft.Web/);
    expect(r.out).toContain('By hand: Create Static Web App mta-sts-contoso-com (Standard plan) in westeurope: you lack the rights for this step; someone who has them can do it by hand: az provider register --namespace Microsoft.Web (once Registered) then az staticwebapp create');
    expect(r.err).not.toMatch(/status\.azure\.com|az login/);
  });

  it('an Owner of the subscription registers Microsoft.Web itself, waits until it reads Registered, and goes on', async () => {
    setupArm.unregistered.set('microsoft.web', { state: 'NotRegistered', looks: 0 });
    const r = await setup([...DEVOPS(), '--yes'], { deps: { sleep: async () => {} } });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('The subscription has never used Microsoft.Web: registering it (az provider register --namespace Microsoft.Web)');
    expect(r.out).toContain('  Microsoft.Web is Registering (look 1 of 40); next look in 15 s');
    expect(r.out).toContain('  Microsoft.Web is registered');
    expect(arm.calls('POST', `${SUB}/providers/Microsoft.Web/register`)).toHaveLength(1);
    expect(arm.sites.has('rg-dns/mta-sts-contoso-com')).toBe(true);
  });

  it('(c) Contributor of the subscription only: creates everything but the role assignments, which Azure refuses (NotActions), and prints the exact commands', async () => {
    adminHolds(['Contributor', SUB]);
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code).toBe(1);
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    // Contributor's NotActions hold Microsoft.Authorization/*/Write: the first grant is refused (the step stops there), nothing else.
    expect(refused()).toHaveLength(1);
    expect(refused()[0]).toMatch(new RegExp(`^Microsoft\\.Authorization/roleAssignments/write over ${SITE}/providers/Microsoft\\.Authorization/roleAssignments/[0-9a-f-]{36}$`));
    expect(r.err).toContain(`the signed-in identity may not Microsoft.Authorization/roleAssignments/write over ${SITE}/providers/Microsoft.Authorization/roleAssignments/`);
    expect(r.out).toContain(`az role assignment create --assignee-object-id ${identity.principalId} --assignee-principal-type ServicePrincipal --role "Contributor" --scope ${SITE}`);
    expect(r.out).toContain(`--role "DNS Zone Contributor" --scope ${RG}`);
    expect(arm.sites.get('rg-dns/mta-sts-contoso-com')!.customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
    expect(arm.authz.assignments.filter((a) => a.principalId === identity.principalId)).toEqual([]);
    // The client Azure names is the one signed in.
    expect(JSON.stringify(arm.authz.refusals)).toContain(ADMIN.objectId);
  });

  it.each([
    ['AzureCloud', 'api://AzureADTokenExchange'],
    ['AzureUSGovernment', 'api://AzureADTokenExchangeUSGov'],
    ['AzureChinaCloud', 'api://AzureADTokenExchangeChina'],
  ])('--cloud %s: the federated credential carries that cloud\'s token-exchange audience (%s)', async (cloud, audience) => {
    const r = await setup([...DEVOPS(), '--cloud', cloud, '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    expect([...identity.federated.values()].map((f) => f.audiences)).toEqual([[audience]]);
  });

  it('a Function App in a subscription without App Service quota: the plan step says what to do (quota, region, Static Web App), never "az login"', async () => {
    const fa = useFunctionApp();
    fa.noQuota = true;
    const { readFileSync, writeFileSync } = await import('node:fs');
    const file = `${repo}/mta-sts.config.yaml`;
    writeFileSync(file, readFileSync(file, 'utf8').replace('  kind: static-web-app\n', '  kind: function-app\n'));
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Create App Service plan asp-mta-sts .*: failed: Azure answered HTTP 401 Unauthorized: Operation cannot be completed without additional quota\..*; the subscription has no quota for this App Service plan tier in this region \(a quota refusal, not a sign-in problem\): request more \(Azure portal > Quotas > App Service/);
    expect(r.err).not.toContain('az login');
  });
});
