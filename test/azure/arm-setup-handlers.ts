// What `mta-sts azure setup` needs of ARM beyond bind and publish-dns, added to the ARM emulator as extension
// handlers: resource groups (Microsoft.Resources 2021-04-01 examples: GetResourceGroup, CreateResourceGroup),
// creating a Static Web App (Microsoft.Web/stable/2024-04-01/examples/CreateOrUpdateStaticSite.json: 202 with
// azure-asyncoperation, polled, then the site read back; or 200 when `createAnswers200`), its deployment token
// (ListStaticSiteSecrets.json: { properties: { apiKey } }), the subscription's DNS zones (ListZonesBySubscription), and
// the pipeline's managed identity: specification/msi/resource-manager/Microsoft.ManagedIdentity/stable/2024-11-30/
// examples/IdentityCreate.json, IdentityGet.json, FederatedIdentityCredentialCreate.json, FederatedIdentityCredentialGet.json;
// its roles: specification/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/examples/
// RoleAssignments_CreateForResourceGroup.json, RoleAssignments_ListForScope.json (403 AuthorizationFailed on
// Microsoft.Authorization/roleAssignments/write for a caller without Owner or User Access Administrator).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Zone } from '../check/servers.ts';
import type { ArmEmulator, ArmRequest } from './arm-emulator.ts';
import { FunctionAppEmulator } from './function-app-emulator.ts';
import { SUBSCRIPTION, appServiceError } from './arm-emulator.ts';

/** The tenant the emulated identities live in. */
export const TENANT_ID = 'b6c948ef-f6b5-4384-8354-da3a15eca969';

export interface SetupArm {
  /** Resource groups by lower-case name → location. */
  resourceGroups: Map<string, string>;
  /** Deployment tokens by "resourceGroup/app" (lower-case). */
  tokens: Map<string, string>;
  /** 403 AuthorizationFailed for writes, as for a caller with Reader rights only. */
  readOnly: boolean;
  /** Answer the static-site PUT with the example's 200 instead of its 202 + long-running operation. */
  createAnswers200: boolean;
  /** User-assigned identities by "resourceGroup/name" (lower-case). */
  identities: Map<string, { clientId: string; principalId: string; tenantId: string; location: string; federated: Map<string, { issuer: string; subject: string; audiences: string[] }> }>;
  /** Role assignments: scope (lower-case) -> assignment name -> { roleDefinitionId, principalId }. */
  roleAssignments: Map<string, Map<string, { roleDefinitionId: string; principalId: string; principalType?: string }>>;
  /** The caller may create resources but not assign roles (Contributor without User Access Administrator). */
  cannotAssignRoles: boolean;
  /**
   * Resource providers the subscription never registered (lower-case namespace): a PUT of their resources answers
   * 409 MissingSubscriptionRegistration until POST …/providers/{ns}/register, which takes a few looks to finish.
   */
  unregistered: Map<string, { state: 'NotRegistered' | 'Registering' | 'Registered'; looks: number }>;
}

/** ARM's refusal of a resource in a namespace the subscription never registered (as users receive it: 409). */
export function missingRegistration(namespace: string): unknown {
  const message = `The subscription is not registered to use namespace '${namespace}'. See https://aka.ms/rps-not-found for how to register subscriptions.`;
  return { error: { code: 'MissingSubscriptionRegistration', message, details: [{ code: 'MissingSubscriptionRegistration', target: namespace, message }] } };
}

const ADJECTIVES = ['gentle', 'brave', 'calm', 'proud'];
const NOUNS = ['sea', 'river', 'meadow', 'stone'];

export function addSetupHandlers(arm: ArmEmulator): SetupArm {
  const state: SetupArm = { resourceGroups: new Map(), tokens: new Map(), readOnly: false, createAnswers200: false, identities: new Map(), roleAssignments: new Map(), cannotAssignRoles: false, unregistered: new Map() };
  const rgExists = (rg: string) =>
    state.resourceGroups.has(rg.toLowerCase()) ||
    [...arm.sites.keys()].some((k) => k.startsWith(`${rg.toLowerCase()}/`)) ||
    [...arm.zones.keys()].some((k) => k.toLowerCase() === rg.toLowerCase());
  const rgJson = (name: string) => ({
    id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${name}`, name, type: 'Microsoft.Resources/resourceGroups',
    location: state.resourceGroups.get(name.toLowerCase()) ?? 'westeurope', properties: { provisioningState: 'Succeeded' },
  });
  const forbidden = (r: ArmRequest, action: string, scope: string) => r.error(403, 'AuthorizationFailed',
    `The client 'admin@contoso.com' with object id '${randomUUID()}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid.`);

  arm.extensions.push((r) => {
    const { method, p } = r;
    // /subscriptions/{sub}/providers/{ns} (GET) and …/{ns}/register (POST): Microsoft.Resources' ProvidersGet and
    // ProvidersRegister examples (registrationState NotRegistered → Registering → Registered).
    if (p[1] === 'subscriptions' && p[3] === 'providers' && p[4] && (p.length === 5 || (p.length === 6 && p[5] === 'register'))) {
      const ns = p[4];
      const entry = state.unregistered.get(ns.toLowerCase());
      const json = (registrationState: string) => ({ id: `/subscriptions/${SUBSCRIPTION}/providers/${ns}`, namespace: ns, registrationState, registrationPolicy: 'RegistrationRequired', resourceTypes: [] });
      if (p.length === 6 && method === 'POST') {
        if (entry && entry.state === 'NotRegistered') entry.state = 'Registering';
        r.send(200, json(entry?.state ?? 'Registered'));
        return true;
      }
      if (p.length === 5 && method === 'GET') {
        if (entry?.state === 'Registering' && ++entry.looks >= 2) {
          entry.state = 'Registered';
          state.unregistered.delete(ns.toLowerCase());
        }
        r.send(200, json(entry?.state ?? 'Registered'));
        return true;
      }
      return false;
    }
    const at = p.findIndex((x) => x.toLowerCase() === 'providers');
    const namespace = at > 0 ? p[at + 1] : undefined;
    const registration = namespace ? state.unregistered.get(namespace.toLowerCase()) : undefined;
    if (method === 'PUT' && namespace && registration && registration.state !== 'Registered') {
      r.send(409, missingRegistration(namespace));
      return true;
    }
    // {scope}/providers/Microsoft.Authorization/roleAssignments[/{name}]
    const auth = p.findIndex((x, i) => x.toLowerCase() === 'microsoft.authorization' && p[i - 1] === 'providers' && p[i + 1]?.toLowerCase() === 'roleassignments');
    if (auth > 0) {
      const scope = p.slice(0, auth - 1).join('/');
      const key = scope.toLowerCase();
      const name = p[auth + 2];
      const json = (n: string, a: { roleDefinitionId: string; principalId: string; principalType?: string }) => ({
        properties: { roleDefinitionId: a.roleDefinitionId.replace(/^\/subscriptions\/[^/]+/, ''), principalId: a.principalId, principalType: a.principalType ?? 'ServicePrincipal', scope },
        id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${n}`, type: 'Microsoft.Authorization/roleAssignments', name: n,
      });
      if (method === 'GET' && !name) {
        // RoleAssignments_ListForScope.json, with $filter=principalId eq '...'
        const principal = /principalId eq '([^']+)'/.exec(r.url.searchParams.get('$filter') ?? '')?.[1];
        const held = [...(state.roleAssignments.get(key) ?? new Map())].filter(([, a]) => !principal || a.principalId === principal);
        r.send(200, { value: held.map(([n, a]) => json(n, a)) });
        return true;
      }
      if (method === 'PUT' && name) {
        if (state.readOnly || state.cannotAssignRoles) {
          forbidden(r, 'Microsoft.Authorization/roleAssignments/write', `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`);
          return true;
        }
        const body = (r.body as { properties: { roleDefinitionId: string; principalId: string; principalType?: string } }).properties;
        if (!state.roleAssignments.has(key)) state.roleAssignments.set(key, new Map());
        const existed = state.roleAssignments.get(key)!.has(name);
        state.roleAssignments.get(key)!.set(name, body);
        // From now on the principal holds the role there (authorization.ts checks its every request).
        if (!existed) arm.authz.assign(body.principalId, body.roleDefinitionId, scope);
        r.send(existed ? 200 : 201, json(name, body));
        return true;
      }
      return false;
    }
    // /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}[/federatedIdentityCredentials/{fic}]
    if (p[3]?.toLowerCase() === 'resourcegroups' && p[6]?.toLowerCase() === 'microsoft.managedidentity' && p[7]?.toLowerCase() === 'userassignedidentities' && p[8]) {
      const rg = p[4]!;
      const name = p[8];
      const key = `${rg}/${name}`.toLowerCase();
      const id = `/subscriptions/${SUBSCRIPTION}/resourcegroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
      const identity = state.identities.get(key);
      if (p.length === 9) {
        const json = (i: NonNullable<typeof identity>) => ({
          id, location: i.location, name, type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
          properties: { clientId: i.clientId, principalId: i.principalId, tenantId: i.tenantId, isolationScope: 'None' }, tags: { 'managed-by': 'mta-sts' },
        });
        if (method === 'GET') {
          // IdentityGet.json
          if (!identity) r.error(404, 'ResourceNotFound', `The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${name}' under resource group '${rg}' was not found.`);
          else r.send(200, json(identity));
          return true;
        }
        if (method === 'PUT') {
          if (state.readOnly) return forbidden(r, 'Microsoft.ManagedIdentity/userAssignedIdentities/write', id), true;
          if (!rgExists(rg)) return r.error(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`), true;
          // IdentityCreate.json: 201 with the new ids, 200 for an existing one.
          const made = identity ?? { clientId: randomUUID(), principalId: randomUUID(), tenantId: TENANT_ID, location: String((r.body as { location?: string }).location ?? 'westeurope'), federated: new Map() };
          state.identities.set(key, made);
          r.send(identity ? 200 : 201, json(made));
          return true;
        }
        return false;
      }
      if (p[9]?.toLowerCase() === 'federatedidentitycredentials' && p[10]) {
        const fic = p[10];
        const ficId = `${id}/federatedIdentityCredentials/${fic}`;
        const ficJson = (f: { issuer: string; subject: string; audiences: string[] }) => ({ id: ficId, name: fic, properties: f, type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials' });
        if (!identity) return r.error(404, 'ParentResourceNotFound', `Parent resource '${name}' not found.`), true;
        if (method === 'GET') {
          // FederatedIdentityCredentialGet.json
          const f = identity.federated.get(fic.toLowerCase());
          if (!f) r.error(404, 'NotFound', `Federated identity credential '${fic}' was not found.`);
          else r.send(200, ficJson(f));
          return true;
        }
        if (method === 'PUT') {
          if (state.readOnly) return forbidden(r, 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write', ficId), true;
          // FederatedIdentityCredentialCreate.json
          const f = (r.body as { properties: { issuer: string; subject: string; audiences: string[] } }).properties;
          const existed = identity.federated.has(fic.toLowerCase());
          identity.federated.set(fic.toLowerCase(), f);
          r.send(existed ? 200 : 201, ficJson(f));
          return true;
        }
      }
      return false;
    }
    if (p[1] !== 'subscriptions' || p[2] !== SUBSCRIPTION) return false;
    // /subscriptions/{sub}/resourcegroups/{rg}
    if (p[3]?.toLowerCase() === 'resourcegroups' && p.length === 5) {
      const rg = p[4]!;
      if (method === 'GET') {
        if (!rgExists(rg)) r.error(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
        else r.send(200, rgJson(rg));
        return true;
      }
      if (method === 'PUT') {
        if (state.readOnly) return forbidden(r, 'Microsoft.Resources/subscriptions/resourcegroups/write', `/subscriptions/${SUBSCRIPTION}/resourcegroups/${rg}`), true;
        const existed = rgExists(rg);
        state.resourceGroups.set(rg.toLowerCase(), String((r.body as { location?: string }).location ?? 'westeurope'));
        r.send(existed ? 200 : 201, rgJson(rg));
        return true;
      }
      return false;
    }
    // /subscriptions/{sub}/providers/Microsoft.Network/dnszones
    if (p[3] === 'providers' && p[4]?.toLowerCase() === 'microsoft.network' && p[5]?.toLowerCase() === 'dnszones' && p.length === 6 && method === 'GET') {
      const value = [...arm.zones].flatMap(([rg, zones]) => [...zones.keys()].map((z) => ({
        id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Network/dnsZones/${z}`,
        etag: randomUUID(), location: 'global', name: z, type: 'Microsoft.Network/dnsZones',
        properties: { maxNumberOfRecordSets: 10000, numberOfRecordSets: zones.get(z)!.size + 2, nameServers: ['ns1-01.azure-dns.com'] },
      })));
      r.send(200, { value });
      return true;
    }
    // /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/staticSites/{name}[/listSecrets]
    if (p[3] !== 'resourceGroups' || `${p[6]}/${p[7]}` !== 'Microsoft.Web/staticSites' || !p[8]) return false;
    const rg = p[4]!;
    const name = p[8];
    const key = `${rg}/${name}`.toLowerCase();
    const siteId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Web/staticSites/${name}`;
    if (method === 'PUT' && p.length === 9) {
      if (state.readOnly) return forbidden(r, 'Microsoft.Web/staticSites/write', siteId), true;
      if (!rgExists(rg)) return r.error(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`), true;
      if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,38}[A-Za-z0-9])?$/.test(name)) return r.error(400, 'InvalidResourceName', `The name '${name}' is not valid for a static site.`), true;
      const body = r.body as { location?: string; sku?: { name?: string } };
      const sku = body.sku?.name === 'Free' ? 'Free' : 'Standard';
      const existing = arm.sites.get(key);
      const pick = (list: string[]) => list[randomBytes(1)[0]! % list.length];
      const site = existing ?? arm.addSite(rg, name, {
        defaultHostname: `${pick(ADJECTIVES)}-${pick(NOUNS)}-0${randomBytes(5).toString('hex')}.azurestaticapps.net`, sku,
      });
      if (!state.tokens.has(key)) state.tokens.set(key, randomBytes(40).toString('hex') + '-swa-token');
      const json = {
        id: siteId, name, type: 'Microsoft.Web/staticSites', location: body.location ?? 'West Europe',
        properties: {
          defaultHostname: site.defaultHostname, customDomains: [...site.customDomains.keys()], provisioningState: 'Succeeded',
          stagingEnvironmentPolicy: 'Disabled', allowConfigFileUpdates: true,
        },
        sku: { name: site.sku, tier: site.sku },
      };
      // CreateOrUpdateStaticSite.json: response 200, or 202 with azure-asyncoperation (the SDK polls, then GETs the site).
      if (state.createAnswers200 || existing) r.send(200, json);
      else r.send(202, json, { 'azure-asyncoperation': arm.startOperation(r.url, () => ({ status: 'Succeeded' })) });
      return true;
    }
    if (method === 'POST' && p[9] === 'listSecrets' && p.length === 10) {
      if (!arm.sites.has(key)) return r.error(404, 'ResourceNotFound', `The Resource 'Microsoft.Web/staticSites/${name}' under resource group '${rg}' was not found.`), true;
      if (!state.tokens.has(key)) state.tokens.set(key, randomBytes(40).toString('hex') + '-swa-token');
      r.send(200, { id: `${siteId}/secrets`, name: 'secrets', type: 'Microsoft.Web/staticSites/secrets', properties: { apiKey: state.tokens.get(key) } });
      return true;
    }
    return false;
  });
  return state;
}

/**
 * `azure setup` for hosting.kind function-app, on the same ARM emulator: the App Service plan
 * (Microsoft.Web/stable/2024-04-01/examples/CreateOrUpdateAppServicePlan.json; GET answers the same body), the
 * storage account (specification/storage/resource-manager/Microsoft.Storage/stable/2024-01-01/examples/
 * StorageAccountCreate.json, StorageAccountGetProperties.json, StorageAccountListKeys.json), and the site
 * (Microsoft.Web/stable/2024-04-01/examples/CreateOrUpdateWebApp.json: 200 with the site, its defaultHostName
 * <name>.azurewebsites.net and customDomainVerificationId). The site once created, its host-name bindings and
 * managed certificates are test/azure/function-app-emulator.ts's, whose asuid check reads `dnsZone` (the test's DNS
 * server, which the Azure DNS record sets of the ARM emulator keep in step).
 */
export interface FunctionAppArm {
  fa: FunctionAppEmulator;
  plans: Map<string, { location: string; sku: Record<string, unknown>; reserved: boolean; kind?: string }>;
  storageAccounts: Map<string, { location: string; keys: string[] }>;
  /** Site names (lower-case) another tenant holds: 409 Conflict. */
  takenSiteNames: Set<string>;
  /** The subscription has no quota for the plan's tier in the region: the plan PUT answers 401 (azure-arm.md). */
  noQuota: boolean;
}

/** The verification id of CreateOrUpdateWebApp.json's site. */
export const FA_VERIFICATION_ID = '7F3BB652450EF7AD0B6AA33064586E4A9CE823A46DF0B2EC6443A68086E84153';

export function addFunctionAppHandlers(arm: ArmEmulator, setup: SetupArm, dnsZone: Zone): FunctionAppArm {
  const fa = new FunctionAppEmulator(undefined);
  fa.autoIssue = 0; // issued by the first look after the request: setup runs as a child process, on real time
  fa.seesTxt = (name) => (dnsZone.get(name)?.txt ?? []).map((v) => (typeof v === 'string' ? v : v.join('')));
  const state: FunctionAppArm = { fa, plans: new Map(), storageAccounts: new Map(), takenSiteNames: new Set(), noQuota: false };
  const forbidden = (r: ArmRequest, action: string, scope: string) => r.error(403, 'AuthorizationFailed',
    `The client 'admin@contoso.com' with object id '${randomUUID()}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid.`);
  const rgExists = (rg: string) => setup.resourceGroups.has(rg.toLowerCase()) || [...arm.zones.keys()].some((k) => k.toLowerCase() === rg.toLowerCase());

  arm.extensions.push((r) => {
    const { method, p } = r;
    if (p[1] !== 'subscriptions' || p[2] !== SUBSCRIPTION || p[3]?.toLowerCase() !== 'resourcegroups' || p[5] !== 'providers' || !p[8]) return false;
    const rg = p[4]!;
    const type = `${p[6]}/${p[7]}`.toLowerCase();
    const name = p[8];
    const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/${p[6]}/${p[7]}/${name}`;
    const key = `${rg}/${name}`.toLowerCase();
    const notFound = () => r.error(404, 'ResourceNotFound', `The Resource '${p[6]}/${p[7]}/${name}' under resource group '${rg}' was not found.`);
    const write = (action: string) => {
      if (setup.readOnly) return forbidden(r, action, id), false;
      if (!rgExists(rg)) return r.error(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`), false;
      return true;
    };

    if (type === 'microsoft.web/serverfarms' && p.length === 9) {
      // CreateOrUpdateAppServicePlan.json (200)
      const json = (plan: { location: string; sku: Record<string, unknown>; reserved: boolean; kind?: string }) => ({
        id, name, type: 'Microsoft.Web/serverfarms', kind: plan.kind ?? 'app', location: plan.location,
        properties: { status: 'Ready', maximumNumberOfWorkers: 3, geoRegion: plan.location, numberOfSites: fa.site ? 1 : 0, reserved: plan.reserved, targetWorkerCount: 0, targetWorkerSizeId: 0, provisioningState: 'Succeeded' },
        sku: plan.sku,
      });
      const plan = state.plans.get(key);
      if (method === 'GET') return plan ? r.send(200, json(plan)) : notFound(), true;
      if (method !== 'PUT') return false;
      if (!write('Microsoft.Web/serverfarms/write')) return true;
      if (state.noQuota) {
        // App Service's own body for a subscription without quota for the tier: 401, and no sign-in problem.
        r.send(401, appServiceError('Unauthorized', 'Operation cannot be completed without additional quota. \r\nAdditional Details - Location:   \r\nCurrent Limit (Basic VMs): 0 \r\nCurrent Usage: 0\r\nAmount required for this deployment (Basic VMs): 1 \r\n(Minimum) New Limit that you should request to enable this deployment: 1. \r\nNote that if you experience multiple scaling operations failing (in addition to this one) and need to accommodate the aggregate quota requirements of these operations, you will need to request based on the aggregate quota requirements.'));
        return true;
      }
      const body = r.body as { location: string; kind?: string; sku: Record<string, unknown>; properties?: { reserved?: boolean } };
      const made = { location: body.location, sku: body.sku, kind: body.kind, reserved: body.properties?.reserved === true };
      state.plans.set(key, made);
      r.send(200, json(made));
      return true;
    }

    if (type === 'microsoft.storage/storageaccounts' && (p.length === 9 || (p.length === 10 && p[9] === 'listKeys'))) {
      const account = state.storageAccounts.get(key);
      // StorageAccountCreate.json / StorageAccountGetProperties.json
      const json = (a: { location: string }) => ({
        id, name, type: 'Microsoft.Storage/storageAccounts', kind: 'StorageV2', location: a.location,
        properties: {
          allowBlobPublicAccess: false, creationTime: '2017-05-24T13:25:33.4863236Z', minimumTlsVersion: 'TLS1_2', provisioningState: 'Succeeded',
          primaryEndpoints: { blob: `https://${name}.blob.core.windows.net/`, file: `https://${name}.file.core.windows.net/`, queue: `https://${name}.queue.core.windows.net/`, table: `https://${name}.table.core.windows.net/` },
          primaryLocation: a.location, statusOfPrimary: 'available', supportsHttpsTrafficOnly: true,
        },
        sku: { name: 'Standard_LRS', tier: 'Standard' },
      });
      if (p.length === 10) {
        if (method !== 'POST') return false;
        if (!account) return notFound(), true;
        // StorageAccountListKeys.json
        r.send(200, { keys: account.keys.map((value, i) => ({ keyName: `key${i + 1}`, permissions: 'Full', value })) });
        return true;
      }
      if (method === 'GET') return account ? r.send(200, json(account)) : notFound(), true;
      if (method !== 'PUT') return false;
      // The refusal real users received for a name that breaks the rules (pulumi/templates#274, Azure/AzureMonitorStarterPacks#171).
      if (!/^[a-z0-9]{3,24}$/.test(name)) return r.error(400, 'AccountNameInvalid', `${name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`), true;
      if (!write('Microsoft.Storage/storageAccounts/write')) return true;
      const made = account ?? { location: String((r.body as { location?: string }).location), keys: [randomBytes(64).toString('base64'), randomBytes(64).toString('base64')] };
      state.storageAccounts.set(key, made);
      r.send(200, json(made));
      return true;
    }

    if (type === 'microsoft.web/sites' && p.length === 9 && method === 'PUT') {
      if (!write('Microsoft.Web/sites/write')) return true;
      const body = r.body as { kind?: string; location: string; properties?: { serverFarmId?: string; httpsOnly?: boolean; clientAffinityEnabled?: boolean; siteConfig?: Record<string, unknown> } };
      const props = body.properties ?? {};
      if (!props.serverFarmId || !state.plans.has(props.serverFarmId.split('/resourceGroups/')[1]!.replace('/providers/Microsoft.Web/serverfarms/', '/').toLowerCase())) {
        // App Service's refusal of a site on a plan that is not there, as real users received it
        // (microsoft/vscode-azurefunctions#2255, microsoft/fhir-server#3562: NotFound, "Cannot find ServerFarm with name …").
        return r.send(404, appServiceError('NotFound', `Cannot find ServerFarm with name ${props.serverFarmId?.split('/').pop()}.`)), true;
      }
      if (state.takenSiteNames.has(name.toLowerCase())) {
        // Another tenant's app holds <name>.azurewebsites.net: the body real users received
        // (serverless/serverless-azure-functions#125, Azure/azure-functions-host#6749).
        const message = `Website with given name ${name} already exists.`;
        return r.send(409, appServiceError('Conflict', message, { ExtendedCode: '54001', MessageTemplate: 'Website with given name {0} already exists.', Parameters: [name] })), true;
      }
      const defaultHostName = `${name.toLowerCase()}.azurewebsites.net`;
      fa.site = { name, resourceGroup: rg, defaultHostName, customDomainVerificationId: FA_VERIFICATION_ID, location: body.location, serverFarmId: props.serverFarmId, httpsOnly: props.httpsOnly === true, siteConfig: props.siteConfig, clientAffinityEnabled: props.clientAffinityEnabled !== false };
      // CreateOrUpdateWebApp.json, response 200
      r.send(200, {
        id, name, type: 'Microsoft.Web/sites', kind: body.kind, location: body.location,
        properties: {
          state: 'Running', hostNames: [defaultHostName], repositorySiteName: name, usageState: 'Normal', enabled: true,
          enabledHostNames: [defaultHostName, `${name.toLowerCase()}.scm.azurewebsites.net`], availabilityState: 'Normal',
          hostNameSslStates: [{ name: defaultHostName, sslState: 'Disabled', hostType: 'Standard' }],
          serverFarmId: props.serverFarmId, reserved: true, customDomainVerificationId: FA_VERIFICATION_ID, resourceGroup: rg,
          // App Service's default is true (an ARRAffinity cookie on every response) unless the request says false.
          defaultHostName, httpsOnly: props.httpsOnly === true, clientAffinityEnabled: props.clientAffinityEnabled !== false, storageAccountRequired: false,
        },
      });
      return true;
    }
    if (type === 'microsoft.web/sites' || type === 'microsoft.web/certificates') {
      if (method !== 'GET' && setup.readOnly) return forbidden(r, `${p[6]}/${p[7]}/write`, id), true;
      return fa.route(method, p.join('/'), r.body as { properties?: Record<string, unknown>; location?: string } | undefined, (status, json, headers) => r.send(status, json, headers));
    }
    return false;
  });
  return state;
}
