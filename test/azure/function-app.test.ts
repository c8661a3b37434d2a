// `mta-sts azure bind` for a Function App (src/azure/function-app.ts) through @azure/arm-appservice and @azure/arm-dns
// against test/azure/function-app-emulator.ts (bodies from azure-rest-api-specs Microsoft.Web 2024-04-01
// examples GetWebApp.json, GetCertificate.json, CreateOrUpdateCertificate.json; the missing-asuid refusal from
// rcl-letsencrypt-auto-ssl/Lets-Encrypt-Auto#25). Issue 18's tenant: twelve domains on one app; contoso.com's zone
// is in Azure DNS, the other eleven are published by hand.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { azureBindCommand } from '../../src/cli/azure-bind.ts';
import type { TokenCredential } from '@azure/identity';
import { Reporter } from '../../src/azure/annotations.ts';
import { armClients } from '../../src/azure/arm.ts';
import { bindFunctionApp, type HostState } from '../../src/azure/function-app.ts';
import type { Config } from '../../src/config/config.ts';
import { TestCA } from '../check/servers.ts';
import { defaultConfig } from '../site/fixtures.ts';
import { FA_SUBSCRIPTION, FunctionAppEmulator } from './function-app-emulator.ts';
import { PIPELINE, grantPipeline, pipelineCredential } from './harness.ts';

const APP = 'mta-sts-fa';
const RG = 'rg-web';
const DNS_RG = 'rg-dns';
const DEFAULT_HOST = `${APP}.azurewebsites.net`;
const VERIFICATION = '7F3BB652450EF7AD0B6AA33064586E4A9CE823A46DF0B2EC6443A68086E84153'; // GetWebApp.json's
const DOMAINS = ['contoso.com', ...Array.from({ length: 11 }, (_, i) => `d${i + 2}.example`)];
const config: Config = { ...defaultConfig(), domains: DOMAINS, hosting: { kind: 'function-app', plan: 'standard', app: APP } };
// The pipeline's identity, with the roles setup grants it for a Function App: Website Contributor on the app's group,
// DNS Zone Contributor on the zones' group.
const credential: TokenCredential = pipelineCredential;
/** Every wait bindFunctionApp asked for (virtual time). */
let waits: number[] = [];

let ca: TestCA;
let arm: FunctionAppEmulator;
beforeAll(async () => {
  ca = await TestCA.create();
});
beforeEach(async () => {
  await arm?.close();
  arm = new FunctionAppEmulator({ name: APP, resourceGroup: RG, defaultHostName: DEFAULT_HOST, customDomainVerificationId: VERIFICATION, location: 'East US' }, DNS_RG);
  await arm.start(ca);
  arm.addZone('contoso.com');
  grantPipeline(arm.authz, { ...config, hosting: { ...config.hosting, dns_resource_group: DNS_RG } }, APP, RG, new Map([['contoso.com', DNS_RG]]));
  waits = [];
});
afterAll(() => arm?.close());

async function bind(dns: 'azure-dns' | 'by-hand' = 'azure-dns') {
  const dnsResourceGroup = dns === 'azure-dns' ? DNS_RG : undefined;
  let out = '';
  let err = '';
  const reporter = new Reporter({ out: (t) => (out += t), err: (t) => (err += t) }, {});
  const clients = armClients({ endpoint: arm.endpoint, subscription: FA_SUBSCRIPTION, credential, ca: ca.certPem });
  const states = await bindFunctionApp({
    config, target: { app: APP, resourceGroup: RG, dnsResourceGroup }, clients, reporter, throttle: { sleep: async () => {} },
    sleep: async (ms) => void waits.push(ms),
  });
  return { states, out, err, reporter };
}
const count = (states: Map<string, HostState>, state: HostState) => [...states.values()].filter((s) => s === state).length;

describe('azure bind, Function App', () => {
  it('first run: writes contoso.com\'s CNAME and asuid TXT, binds it and asks for its certificate; the others wait for DNS, with the records to create', async () => {
    const r = await bind();
    expect(r.states.get('mta-sts.contoso.com')).toBe('certificate pending');
    expect(count(r.states, "waiting for DNS"), r.err).toBe(11);
    expect(r.out).toContain(`contoso.com: CNAME mta-sts.contoso.com -> ${DEFAULT_HOST} in zone contoso.com`);
    expect(r.out).toContain(`contoso.com: TXT asuid.mta-sts.contoso.com = ${VERIFICATION} in zone contoso.com`);
    expect(arm.zones.get('contoso.com')!.get('TXT/asuid.mta-sts')).toMatchObject({ TXTRecords: [{ value: [VERIFICATION] }], metadata: { 'managed-by': 'mta-sts' } });
    expect(r.out).toContain('contoso.com: bound mta-sts.contoso.com to mta-sts-fa');
    expect(r.err).toContain('warning: contoso.com: mta-sts.contoso.com is bound, certificate pending');
    // Asked for (202, still issuing: GET answers 404), looked at a bounded number of times with progress, then left.
    expect(arm.certificates.has('mta-sts.contoso.com')).toBe(false);
    expect(arm.issuing.get('mta-sts.contoso.com')).toMatchObject({ canonicalName: 'mta-sts.contoso.com', serverFarmId: expect.stringMatching(/\/serverfarms\//), password: '' });
    expect(r.out).toContain('App Service is issuing the managed certificate of mta-sts.contoso.com; waiting for it (up to 8 looks, 15 s apart)');
    expect(r.out).toContain('certificate of mta-sts.contoso.com not issued yet (look 1 of 8); next look in 15 s');
    expect(waits).toEqual(Array(7).fill(15_000));
    expect(r.err).toContain('The next run (the pipeline runs daily) binds it.');
    // Azure's own refusal (missing asuid) becomes "waiting for DNS" with both records, and the run is not red.
    expect(r.err).toContain(`warning: d2.example: mta-sts.d2.example is waiting for DNS: App Service cannot see these records yet; create them at your DNS host, and the next run binds it: mta-sts.d2.example. 3600 IN CNAME ${DEFAULT_HOST}.  asuid.mta-sts.d2.example. 3600 IN TXT "${VERIFICATION}" (Azure: HTTP 400 BadRequest: A TXT record pointing from asuid.mta-sts.d2.example to ${VERIFICATION} was not found.)`);
    expect(r.reporter.failures).toBe(0);
    expect(arm.bindings.has('mta-sts.d2.example')).toBe(false);
    expect(arm.requests.every((q) => q.auth === 'Bearer pipeline-identity-token')).toBe(true);
    expect(arm.authz.refusals).toEqual([]);
  });

  it('goes host by host from waiting for DNS through certificate pending to ready over re-runs, and then changes nothing', async () => {
    await bind();
    // The admin publishes the printed records; App Service issues contoso's certificate.
    for (const d of DOMAINS.slice(1)) {
      arm.publicCname.set(`mta-sts.${d}`, DEFAULT_HOST);
      arm.publicTxt.set(`asuid.mta-sts.${d}`, [VERIFICATION]);
    }
    arm.issue('mta-sts.contoso.com');
    const second = await bind();
    expect(second.states.get('mta-sts.contoso.com')).toBe('ready');
    expect(second.out).toMatch(/contoso\.com: mta-sts\.contoso\.com is ready \(managed certificate [0-9A-F]{40}, SNI\)/);
    expect(arm.bindings.get('mta-sts.contoso.com')).toMatchObject({ sslState: 'SniEnabled', thumbprint: arm.certificates.get('mta-sts.contoso.com')!.thumbprint });
    expect(count(second.states, 'certificate pending')).toBe(11);
    // The eleven certificates just asked for share one bounded wait (8 looks), not one each.
    expect(waits.filter((w) => w === 15_000)).toHaveLength(7 + 7);
    expect(second.out).toContain('certificate of mta-sts.d2.example, mta-sts.d3.example, mta-sts.d4.example');

    for (const d of DOMAINS.slice(1)) arm.issue(`mta-sts.${d}`);
    const third = await bind();
    expect(count(third.states, 'ready')).toBe(12);
    expect(third.err).toBe('');

    const puts = arm.requests.filter((q) => q.method === 'PUT').length;
    const fourth = await bind();
    expect(count(fourth.states, 'ready')).toBe(12);
    expect(arm.requests.filter((q) => q.method === 'PUT').length).toBe(puts);
    expect(fourth.out).toContain('d12.example: mta-sts.d12.example is ready (its own certificate, SNI)');
  });

  it('a certificate App Service issues after several looks is bound with SNI in the same run (the SDK\'s 200-only createOrUpdate does not stop it)', async () => {
    arm.autoIssue = 3;
    const r = await bind();
    expect(r.states.get('mta-sts.contoso.com'), r.err).toBe('ready');
    expect(waits).toEqual([15_000, 15_000, 15_000]);
    expect(r.out).toContain('certificate of mta-sts.contoso.com not issued yet (look 3 of 8); next look in 15 s');
    expect(r.out).toMatch(/contoso\.com: mta-sts\.contoso\.com is ready \(managed certificate [0-9A-F]{40}, SNI\)/);
    expect(arm.bindings.get('mta-sts.contoso.com')).toMatchObject({ sslState: 'SniEnabled', thumbprint: arm.certificates.get('mta-sts.contoso.com')!.thumbprint });
    expect(arm.puts('/certificates/')).toBe(1);
    expect(r.err).not.toContain('Cannot read properties');
  });

  it('the pipeline\'s identity may not read the 202\'s Location (subscription scope), and never needs to', async () => {
    await bind();
    const put = arm.requests.find((q) => q.method === 'PUT' && q.path.includes('/certificates/'));
    expect(put).toBeDefined();
    expect(arm.requests.some((q) => q.path.includes('/operationResults/'))).toBe(false);
    const refused = arm.authz.check('Bearer pipeline-identity-token', 'GET', `/subscriptions/${FA_SUBSCRIPTION}/providers/Microsoft.Web/locations/eastus/operationResults/1`);
    expect(refused?.status).toBe(403);
    expect(JSON.stringify(refused?.body)).toContain(`The client '${PIPELINE.client}' with object id '${PIPELINE.objectId}' does not have authorization to perform action 'Microsoft.Web/locations/operationResults/read'`);
  });

  it('without hosting.dns_resource_group writes no DNS and prints what to create', async () => {
    const r = await bind('by-hand');
    expect(count(r.states, "waiting for DNS")).toBe(12);
    expect(arm.requests.some((q) => q.path.includes('Microsoft.Network'))).toBe(false);
    expect(r.out).toContain(`DNS is not automated (no hosting.dns_resource_group): each mta-sts.<domain> needs a CNAME to ${DEFAULT_HOST} and a TXT asuid.mta-sts.<domain> = ${VERIFICATION}.`);
  });

  it('leaves a CNAME that points elsewhere (a live Static Web App) alone, for the admin to switch', async () => {
    arm.zones.get('contoso.com')!.set('CNAME/mta-sts', { TTL: 3600, CNAMERecord: { cname: 'gentle-sea-0123456789.azurestaticapps.net' } });
    const r = await bind();
    expect(r.err).toContain('warning: contoso.com: mta-sts.contoso.com is a CNAME to gentle-sea-0123456789.azurestaticapps.net in zone contoso.com, not to mta-sts-fa.azurewebsites.net; bind it here first, then switch the CNAME yourself');
    expect(arm.zones.get('contoso.com')!.get('CNAME/mta-sts')).toMatchObject({ CNAMERecord: { cname: 'gentle-sea-0123456789.azurestaticapps.net' } });
    // The asuid TXT alone lets App Service bind the host before the switch: no gap.
    expect(r.states.get('mta-sts.contoso.com')).toBe('certificate pending');
  });

  it('fails with the reason when the app does not exist', async () => {
    const r = await bindOther('no-such-app');
    expect(r.reporter.failures).toBe(1);
    expect(r.err).toMatch(/^error: reading the Function App no-such-app in resource group rg-web failed: Azure answered HTTP 404 ResourceNotFound: .*was not found\.; check the name, the resource group and --subscription/m);
  });
});

async function bindOther(app: string) {
  let err = '';
  const reporter = new Reporter({ out: () => {}, err: (t) => (err += t) }, {});
  const clients = armClients({ endpoint: arm.endpoint, subscription: FA_SUBSCRIPTION, credential, ca: ca.certPem });
  await bindFunctionApp({ config, target: { app, resourceGroup: RG }, clients, reporter, throttle: { sleep: async () => {} } });
  return { err, reporter };
}

describe('mta-sts azure bind with hosting.kind function-app', () => {
  it('takes the Function App path (host-name bindings, not static-site custom domains) and exits 0 with warnings while hosts wait', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fa-bind-'));
    try {
      await writeFile(join(dir, 'mta-sts.config.yaml'), [
        'domains: [contoso.com, d2.example]', 'policy: {mode: testing, max_age: 1w}',
        `hosting: {kind: function-app, app: ${APP}, resource_group: ${RG}, subscription: ${FA_SUBSCRIPTION}, dns_resource_group: ${DNS_RG}}`, '',
      ].join('\n'));
      let out = '';
      let err = '';
      const command = azureBindCommand({ credential, armCa: ca.certPem, sleep: async () => {} });
      const code = await command.run([], { out: (t) => (out += t), err: (t) => (err += t), cwd: dir, isTTY: false, env: { MTA_STS_ARM_ENDPOINT: arm.endpoint, TF_BUILD: 'True' } });
      expect(code, err).toBe(0);
      expect(out).toContain('contoso.com: bound mta-sts.contoso.com to mta-sts-fa');
      expect(out).toMatch(/^##vso\[task\.logissue type=warning\]d2\.example: mta-sts\.d2\.example is waiting for DNS/m);
      // The certificate asked for is not issued within the run's looks: exit 0, and the next (daily) run binds it.
      expect(out).toMatch(/^##vso\[task\.logissue type=warning\]contoso\.com: mta-sts\.contoso\.com is bound, certificate pending: .*The next run \(the pipeline runs daily\) binds it\.$/m);
      expect(arm.requests.some((q) => q.path.includes('/staticSites/'))).toBe(false);
      expect(arm.requests.some((q) => q.method === 'PUT' && q.path.endsWith('/hostNameBindings/mta-sts.contoso.com'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
