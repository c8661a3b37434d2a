// What `mta-sts azure setup` needs of ARM beyond bind and publish-dns, added to the ARM emulator as extension
// handlers: resource groups (Microsoft.Resources 2021-04-01 examples: GetResourceGroup, CreateResourceGroup),
// creating a Static Web App (Microsoft.Web/stable/2024-04-01/examples/CreateOrUpdateStaticSite.json: 202 with
// azure-asyncoperation, polled, then the site read back; or 200 when `createAnswers200`), its deployment token
// (ListStaticSiteSecrets.json: { properties: { apiKey } }), and the subscription's DNS zones (ListZonesBySubscription).
import { randomBytes, randomUUID } from 'node:crypto';
import type { ArmEmulator, ArmRequest } from './arm-emulator.ts';
import { SUBSCRIPTION } from './arm-emulator.ts';

export interface SetupArm {
  /** Resource groups by lower-case name → location. */
  resourceGroups: Map<string, string>;
  /** Deployment tokens by "resourceGroup/app" (lower-case). */
  tokens: Map<string, string>;
  /** 403 AuthorizationFailed for writes, as for a caller with Reader rights only. */
  readOnly: boolean;
  /** Answer the static-site PUT with the example's 200 instead of its 202 + long-running operation. */
  createAnswers200: boolean;
}

const ADJECTIVES = ['gentle', 'brave', 'calm', 'proud'];
const NOUNS = ['sea', 'river', 'meadow', 'stone'];

export function addSetupHandlers(arm: ArmEmulator): SetupArm {
  const state: SetupArm = { resourceGroups: new Map(), tokens: new Map(), readOnly: false, createAnswers200: false };
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
