// `mta-sts azure bind` through the real SDK clients against the ARM emulator.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SUBSCRIPTION } from './arm-emulator.ts';
import { armClients } from '../../src/azure/arm.ts';
import { azureErrorLine } from '../../src/azure/azure-error.ts';
import { parseConfig } from '../../src/config/config.ts';
import { APP, AzureWorld, DEFAULT_HOST, DNS_RG, PIPELINE, POLICY, WEB_RG, grantPipeline, pipelineCredential, staticCredential } from './harness.ts';

let world: AzureWorld;
beforeAll(async () => {
  world = await AzureWorld.start();
});
afterAll(() => world.close());
beforeEach(() => world.reset());

const site = () => world.arm.sites.get(`${WEB_RG}/${APP}`)!;
/** The config world.writeConfig() writes by default, parsed. */
const defaultConfigFor = () => {
  const parsed = parseConfig(`domains: [contoso.com]\npolicy: {mode: testing, max_age: 1w}\nhosting: {app: ${APP}, resource_group: ${WEB_RG}, subscription: ${SUBSCRIPTION}, dns_resource_group: ${DNS_RG}}\n`, 'mta-sts.config.yaml');
  if (!parsed.ok) throw new Error('the test config does not parse');
  return parsed.config;
};
const domainPuts = () => world.arm.calls('PUT', '/customDomains/');

describe('with the zone in Azure DNS', () => {
  it('creates the mta-sts CNAME (one PUT, If-None-Match, marked), then binds the host, following the custom domain itself', async () => {
    world.writeConfig();
    const r = await world.run('bind', []);
    expect(r.err).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    const cname = world.arm.recordSet(DNS_RG, 'contoso.com', 'CNAME', 'mta-sts')!;
    expect(cname.properties).toEqual({ TTL: 3600, CNAMERecord: { cname: DEFAULT_HOST }, metadata: { 'managed-by': 'mta-sts' } });
    const dnsPut = world.arm.calls('PUT', '/dnsZones/contoso.com/CNAME/mta-sts');
    expect(dnsPut).toHaveLength(1);
    expect(dnsPut[0]!.headers['if-none-match']).toBe('*');
    // 202 with Azure-AsyncOperation at the subscription's scope, which the pipeline's identity may not read: it reads
    // the custom domain instead (Validating for three looks, then Ready), and never the operation URL.
    expect(domainPuts().map((c) => c.path)).toEqual([`/subscriptions/${SUBSCRIPTION}/resourceGroups/${WEB_RG}/providers/Microsoft.Web/staticSites/${APP}/customDomains/mta-sts.contoso.com`]);
    expect(domainPuts()[0]!.body).toEqual({ properties: { validationMethod: 'cname-delegation' } });
    expect(domainPuts()[0]!.headers.authorization).toBe('Bearer pipeline-identity-token');
    expect(world.arm.calls('GET', '/operationResults/')).toEqual([]);
    expect(world.arm.calls('GET', '/customDomains/mta-sts.contoso.com')).toHaveLength(4);
    expect(r.out).toContain('contoso.com: Azure is validating mta-sts.contoso.com (status Validating, look 1 of 40); next look in 0.001 s');
    expect(world.arm.authz.refusals).toEqual([]);
    expect(site().customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
    expect(r.out).toContain('contoso.com: CNAME mta-sts.contoso.com -> gentle-sea-0123456789.azurestaticapps.net in zone contoso.com');
    expect(r.out).toContain('contoso.com: bound mta-sts.contoso.com to mta-sts-app (status Ready)');
  });

  it('the 202\'s operation URL is at the subscription\'s scope: the SDK\'s poller, as the pipeline\'s identity, gets 403 there (terraform-provider-azurerm#28451), which is why bind reads the domain', async () => {
    world.writeConfig();
    grantPipeline(world.arm.authz, defaultConfigFor(), APP, WEB_RG, world.zoneGroups());
    world.arm.publicCnames.set('mta-sts.contoso.com', DEFAULT_HOST);
    const clients = armClients({ endpoint: world.arm.endpoint, subscription: SUBSCRIPTION, credential: pipelineCredential, ca: world.ca.certPem });
    const e = await clients.web.staticSites.beginCreateOrUpdateStaticSiteCustomDomainAndWait(WEB_RG, APP, 'mta-sts.contoso.com', { validationMethod: 'cname-delegation' }, { updateIntervalInMs: 1 }).then(() => undefined, (x: unknown) => x);
    expect(azureErrorLine('polling', e)).toMatch(/HTTP 403 AuthorizationFailed: .*perform action 'Microsoft\.Web\/locations\/operationResults\/read' over scope '\/subscriptions\/[^/]+\/providers\/Microsoft\.Web\/locations\/westus2\/operationResults\/[0-9a-f-]+'/);
    expect(world.arm.authz.refusals.map((x) => x.action)).toEqual(['Microsoft.Web/locations/operationResults/read']);
  });

  it('a domain Azure still validates after the run\'s 40 looks: a warning, exit 0, and the next run looks again without a second PUT', async () => {
    world.writeConfig();
    world.arm.pollsInProgress = 100;
    try {
      const r = await world.run('bind', []);
      expect(r.code).toBe(0);
      expect(world.arm.calls('GET', '/customDomains/mta-sts.contoso.com')).toHaveLength(40);
      expect(r.err).toContain('warning: contoso.com: Azure is still validating mta-sts.contoso.com after 40 looks (status Validating); the next run looks again');
      expect(r.out).toContain('contoso.com: mta-sts.contoso.com is validating; Azure issues its certificate after validation');
      const again = await world.run('bind', []);
      expect(again.code).toBe(0);
      expect(domainPuts()).toHaveLength(1);
      expect(again.out).toContain('contoso.com: mta-sts.contoso.com already bound (status Validating)');
    } finally {
      world.arm.pollsInProgress = 3;
    }
  });

  it('reports a bound host whose certificate is pending as a warning (exit 0), and one with its certificate as ready', async () => {
    world.writeConfig({ domains: ['contoso.com', 'fabrikam.com'] });
    world.arm.addZone(DNS_RG, 'fabrikam.com');
    await world.serve('fabrikam.com', POLICY); // fabrikam's certificate is issued; contoso's is not
    const r = await world.run('bind', []);
    expect(r.code).toBe(0);
    expect(r.err).toContain('warning: contoso.com: mta-sts.contoso.com is bound, certificate pending');
    expect(r.out).toContain('fabrikam.com: mta-sts.fabrikam.com is ready');
  });

  it('a bound host whose policy cannot be fetched is not "ready": a warning names the failure', async () => {
    world.writeConfig();
    // The managed certificate is issued but nothing is deployed yet: the host answers 404.
    world.https.certs.set('mta-sts.contoso.com', await world.ca.issue({ names: ['mta-sts.contoso.com'] }));
    const r = await world.run('bind', []);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('mta-sts.contoso.com is ready');
    expect(r.err).toMatch(/warning: contoso\.com: mta-sts\.contoso\.com is bound, but fetching its policy failed: .*404.*; the pipeline deploys home\/ on push, then run check/);
  });

  it('a CAA record that forbids DigiCert (RFC 8659): bound, but a failure naming the record to add, since the certificate never comes', async () => {
    world.writeConfig();
    world.dns.zone.set('contoso.com', { caa: [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }] });
    const r = await world.run('bind', []);
    expect(r.code).toBe(1);
    expect(site().customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
    expect(r.err).toContain(`error: contoso.com: mta-sts.contoso.com is bound, but the CAA records at contoso.com forbid digicert.com (it allows only letsencrypt.org), which issues Azure's managed certificate for mta-sts.contoso.com (served by ${DEFAULT_HOST}): add contoso.com. CAA 0 issue "digicert.com"`);
    // Allowing DigiCert is enough: pending again, a warning.
    world.dns.zone.set('contoso.com', { caa: [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }, { flags: 0, tag: 'issue', value: 'digicert.com' }] });
    const again = await world.run('bind', []);
    expect(again.code).toBe(0);
    expect(again.err).toContain('warning: contoso.com: mta-sts.contoso.com is bound, certificate pending');
  });

  it('is idempotent: a re-run with every host bound makes no binding and no DNS write', async () => {
    world.writeConfig();
    expect((await world.run('bind', [])).code).toBe(0);
    world.arm.requests.length = 0;
    const r = await world.run('bind', []);
    expect(r.code).toBe(0);
    expect(domainPuts()).toEqual([]);
    expect(world.arm.calls('PUT')).toEqual([]);
    expect(r.out).toContain('mta-sts.contoso.com already bound (status Ready)');
  });

  it('binds again a host whose earlier validation failed', async () => {
    world.writeConfig();
    site().customDomains.set('mta-sts.contoso.com', { status: 'Failed', createdOn: '2026-01-01T00:00:00Z' });
    const r = await world.run('bind', []);
    expect(r.code).toBe(0);
    expect(domainPuts()).toHaveLength(1);
    expect(site().customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
  });

  it('finds a parent zone: eu.contoso.com lives in contoso.com, so the CNAME is mta-sts.eu', async () => {
    world.writeConfig({ domains: ['eu.contoso.com'] });
    world.arm.addZone(DNS_RG, 'other.com');
    const r = await world.run('bind', []);
    expect(r.code).toBe(0);
    expect(world.arm.recordSet(DNS_RG, 'contoso.com', 'CNAME', 'mta-sts.eu')).toBeDefined();
    expect(site().customDomains.get('mta-sts.eu.contoso.com')?.status).toBe('Ready');
  });

  it('finds a domain\'s zone in another resource group of the subscription, and writes the CNAME there', async () => {
    world.writeConfig({ domains: ['contoso.com', 'fabrikam.com'] });
    world.arm.addZone('rg-dns-fabrikam', 'fabrikam.com');
    // As an admin who may list the subscription's zones (the pipeline's identity may not: the next test).
    const r = await world.run('bind', [], {}, world.deps({ credential: staticCredential }));
    expect(r.code, r.err).toBe(0);
    expect(world.arm.recordSet('rg-dns-fabrikam', 'fabrikam.com', 'CNAME', 'mta-sts')?.properties.CNAMERecord).toEqual({ cname: DEFAULT_HOST });
    expect(world.arm.recordSet(DNS_RG, 'contoso.com', 'CNAME', 'mta-sts')).toBeDefined();
    expect(world.arm.calls('GET', `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Network/dnszones`)).toHaveLength(1);
    expect(site().customDomains.get('mta-sts.fabrikam.com')?.status).toBe('Ready');
  });

  // Azure DNS does not filter a list-by-subscription down to rights held on resource groups: 403 over
  // '/subscriptions/<id>' (users' reports, e.g. polymind-inc/acmebot's README, "list-by-subscription request").
  it('as the pipeline\'s identity, the subscription\'s zones cannot be listed (403): a zone in another group is treated as DNS outside Azure', async () => {
    world.writeConfig({ domains: ['contoso.com', 'fabrikam.com'] });
    world.arm.addZone('rg-dns-fabrikam', 'fabrikam.com');
    const r = await world.run('bind', []);
    expect(r.code, r.err).toBe(0);
    expect(world.arm.authz.refusals).toEqual([{ action: 'Microsoft.Network/dnszones/read', scope: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Network/dnszones`, principal: PIPELINE.objectId }]);
    expect(world.arm.recordSet('rg-dns-fabrikam', 'fabrikam.com', 'CNAME', 'mta-sts')).toBeUndefined();
    expect(r.err).toContain(`warning: fabrikam.com: no zone in ${DNS_RG} holds mta-sts.fabrikam.com, so mta-sts.fabrikam.com is not yet a CNAME to ${DEFAULT_HOST}`);
    expect(r.out).toContain(`(the subscription's other Azure DNS zones could not be searched (Azure answered HTTP 403 AuthorizationFailed: The client '${PIPELINE.client}'`);
    expect(r.out).toContain(`a domain whose zone is in another resource group than ${DNS_RG} is handled as DNS outside Azure)`);
    expect(site().customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
  });

  it('prefers the longest matching zone', async () => {
    world.writeConfig({ domains: ['eu.contoso.com'] });
    world.arm.addZone(DNS_RG, 'eu.contoso.com');
    expect((await world.run('bind', [])).code).toBe(0);
    expect(world.arm.recordSet(DNS_RG, 'eu.contoso.com', 'CNAME', 'mta-sts')).toBeDefined();
    expect(world.arm.recordSet(DNS_RG, 'contoso.com', 'CNAME', 'mta-sts.eu')).toBeUndefined();
  });

  it('corrects a CNAME that points elsewhere with If-Match on the etag it read', async () => {
    world.writeConfig();
    const old = world.arm.setRecordSet(DNS_RG, 'contoso.com', 'CNAME', 'mta-sts', { TTL: 600, CNAMERecord: { cname: 'old-app.azurestaticapps.net' } });
    const r = await world.run('bind', []);
    expect(r.code).toBe(0);
    expect(world.arm.calls('PUT', '/CNAME/mta-sts')[0]!.headers['if-match']).toBe(old.etag);
    expect(world.arm.recordSet(DNS_RG, 'contoso.com', 'CNAME', 'mta-sts')!.properties.CNAMERecord).toEqual({ cname: DEFAULT_HOST });
    expect(r.out).toContain('(was old-app.azurestaticapps.net)');
  });

  it('refuses to overwrite a CNAME changed between its read and its write (412), and binds nothing', async () => {
    world.writeConfig();
    world.arm.setRecordSet(DNS_RG, 'contoso.com', 'CNAME', 'mta-sts', { TTL: 600, CNAMERecord: { cname: 'old-app.azurestaticapps.net' } });
    world.arm.beforeRequest = (method, path) => {
      if (method === 'PUT' && path.endsWith('/CNAME/mta-sts')) {
        world.arm.setRecordSet(DNS_RG, 'contoso.com', 'CNAME', 'mta-sts', { TTL: 600, CNAMERecord: { cname: 'someone-else.example' } });
      }
    };
    const r = await world.run('bind', []);
    expect(r.code).toBe(1);
    expect(r.err).toContain('someone changed the record set while we wrote it; it was not overwritten');
    expect(world.arm.recordSet(DNS_RG, 'contoso.com', 'CNAME', 'mta-sts')!.properties.CNAMERecord).toEqual({ cname: 'someone-else.example' });
    expect(domainPuts()).toEqual([]);
  });
});

describe('retries while Azure does not see the CNAME yet', () => {
  it.each([
    ['CNAME Record is invalid.  Please ensure the CNAME record has been created.', false],
    ['CNAMERecord is invalid.', false],
    ['CNAME Record is invalid.  Please ensure the CNAME record has been created.', true],
    ['CNAMERecord is invalid.', true],
  ])('"%s" (at the PUT: %s): backs off, doubling the wait, then succeeds', async (text, atPut) => {
    world.writeConfig();
    world.arm.cnameErrorText = text;
    world.arm.cnameErrorAtPut = atPut;
    world.arm.validationLag = 2;
    const r = await world.run('bind', []);
    expect(r.err).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    expect(domainPuts()).toHaveLength(3);
    // The back-off between bindings; the 1 ms waits are the looks at a validating domain.
    expect(world.waits.filter((w) => w > 1)).toEqual([30_000, 60_000]);
    expect(r.out).toContain('contoso.com: Azure does not see the CNAME yet (attempt 1 of 5); retrying in 30 s');
    expect(site().customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
  });

  it('gives up after --attempts, naming the host, the check to make and Azure\'s error (exit 1)', async () => {
    world.writeConfig();
    world.arm.cnameErrorText = 'CNAMERecord is invalid.';
    world.arm.validationLag = 99;
    const r = await world.run('bind', ['--attempts', '3', '--retry-delay', '2']);
    expect(r.code).toBe(1);
    expect(domainPuts()).toHaveLength(3);
    expect(world.waits.filter((w) => w > 1)).toEqual([2000, 4000]);
    expect(r.err).toContain('error: contoso.com: binding mta-sts.contoso.com (3 attempts) failed: Azure answered Failed: CNAMERecord is invalid.; ');
    expect(r.err).toContain(`Azure cannot see mta-sts.contoso.com as a CNAME to ${DEFAULT_HOST} yet: check it with dig +short CNAME mta-sts.contoso.com`);
  });

  it('waits for real on the default path (no injected clock)', async () => {
    world.writeConfig();
    world.arm.validationLag = 1;
    const started = Date.now();
    const deps = world.deps();
    delete deps.sleep;
    delete deps.now;
    const r = await world.run('bind', ['--retry-delay', '0.2'], {}, deps);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(domainPuts()).toHaveLength(2);
  });
});

describe('with the zone elsewhere', () => {
  const noDns = { app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION };

  it('first run: the CNAME does not resolve yet, so it prints the record and a warning, binds nothing, and exits 0', async () => {
    world.writeConfig({ hosting: noDns });
    const r = await world.run('bind', [], { TF_BUILD: 'True' });
    expect(r.code).toBe(0);
    expect(domainPuts()).toEqual([]);
    expect(world.waits).toEqual([]);
    const message = `contoso.com: mta-sts.contoso.com is not yet a CNAME to ${DEFAULT_HOST}; create this record at your DNS host, and the next run binds it: mta-sts.contoso.com. 3600 IN CNAME ${DEFAULT_HOST}.`;
    expect(r.err).toContain(`warning: ${message}`);
    expect(r.out).toContain(`##vso[task.logissue type=warning]${message}\n`);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('##vso[task.complete result=SucceededWithIssues;]');
  });

  it('writes GitHub Actions warnings under GITHUB_ACTIONS', async () => {
    world.writeConfig({ hosting: noDns });
    const r = await world.run('bind', [], { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^::warning::contoso\.com: mta-sts\.contoso\.com is not yet a CNAME/m);
    expect(r.out).not.toContain('##vso');
  });

  it('a failed lookup (SERVFAIL) is reported as such: never "create this record", nothing bound (exit 1)', async () => {
    world.writeConfig({ hosting: noDns });
    world.dns.zone.set('mta-sts.contoso.com', { servfail: true });
    const r = await world.run('bind', []);
    expect(r.code).toBe(1);
    expect(domainPuts()).toEqual([]);
    expect(r.err).toContain(`error: contoso.com: cannot tell whether mta-sts.contoso.com is a CNAME to ${DEFAULT_HOST}: DNS server failure (SERVFAIL) looking up CNAME at mta-sts.contoso.com`);
    expect(r.err).not.toContain('create this record');
  });

  it('binds once the CNAME resolves (through --dns-server)', async () => {
    world.writeConfig({ hosting: noDns });
    world.dns.zone.set('mta-sts.contoso.com', { cname: DEFAULT_HOST });
    const r = await world.run('bind', []);
    expect(r.code).toBe(0);
    expect(domainPuts()).toHaveLength(1);
    expect(world.arm.calls(undefined, '/dnsZones')).toEqual([]);
    expect(r.out).toContain('DNS is not automated');
  });

  it('a domain outside the DNS resource group\'s zones is treated like any other DNS host', async () => {
    world.writeConfig({ domains: ['fabrikam.com'] });
    const r = await world.run('bind', []);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`warning: fabrikam.com: no zone in ${DNS_RG} holds mta-sts.fabrikam.com, so mta-sts.fabrikam.com is not yet a CNAME`);
  });
});

describe('Azure refusals', () => {
  it('the Free plan\'s quota: Azure\'s 400 in App Service\'s {Code,Message,Details} (Azure/azure-cli#21186) names the limit and the ways out', async () => {
    world.writeConfig({ domains: ['contoso.com', 'fabrikam.com', 'northwind.com'], hosting: { app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION } });
    site().sku = 'Free';
    for (const d of ['contoso.com', 'fabrikam.com', 'northwind.com']) world.dns.zone.set(`mta-sts.${d}`, { cname: DEFAULT_HOST });
    const r = await world.run('bind', []);
    expect(r.code).toBe(1);
    expect(site().customDomains.size).toBe(2);
    const line = r.err.split('\n').find((l) => l.startsWith('error: northwind.com'))!;
    expect(line).toBe('error: northwind.com: binding mta-sts.northwind.com to mta-sts-app failed: Azure answered HTTP 400 BadRequest: '
      + 'The maximum number of custom domains allowed for this static site is 2.; the app\'s plan allows 2 custom domains per app (Free 2, Standard 5): '
      + 'serve the other domains from a second Static Web App, move mta-sts-app to the Standard plan (az staticwebapp update -n mta-sts-app -g rg-web --sku Standard), '
      + 'or host the policy on Azure Functions (500 custom domains per app)');
    expect(r.err).not.toContain('{');
  });

  it('a host still attached to another app: 409 "Request Envelope is invalid" (Azure/static-web-apps#925, #1804) says to release it there', async () => {
    world.writeConfig();
    world.arm.linkedElsewhere.add('mta-sts.contoso.com');
    const r = await world.run('bind', []);
    expect(r.code).toBe(1);
    expect(domainPuts()).toHaveLength(1); // not retried: it is no DNS lag
    expect(r.err).toContain('error: contoso.com: binding mta-sts.contoso.com to mta-sts-app failed: Azure answered HTTP 409 Conflict: Request Envelope is invalid. Please ensure the custom domain is not linked to another site.; ');
    expect(r.err).toContain('mta-sts.contoso.com is still attached to another Static Web App, perhaps one already deleted');
  });

  it('an operation that ends Failed with ResourceOperationFailure and no reason (Azure/static-web-apps#225) says what to check', async () => {
    world.writeConfig();
    world.arm.failWithoutReason = 1;
    const r = await world.run('bind', []);
    expect(r.code).toBe(1);
    expect(site().customDomains.get('mta-sts.contoso.com')?.status).toBe('Failed');
    // The custom domain reads status Failed with an empty errorMessage.
    expect(r.err).toContain('error: contoso.com: binding mta-sts.contoso.com to mta-sts-app failed: Azure answered Failed: (no message); Azure gave no reason: ');
    expect(r.err).toContain(`check that mta-sts.contoso.com is a CNAME to ${DEFAULT_HOST} as public DNS sees it, that no CAA record forbids digicert.com`);
    // The next run tries the failed binding again, and it goes through.
    const again = await world.run('bind', []);
    expect(again.code).toBe(0);
    expect(site().customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
  });

  it('429 beyond the SDK\'s own retries: waits as long as Retry-After says, then goes on', async () => {
    world.writeConfig();
    world.arm.throttles = [{ match: (m, p) => m === 'PUT' && p.includes('/customDomains/'), remaining: 5, retryAfterSeconds: 1 }];
    const r = await world.run('bind', []);
    expect(r.code).toBe(0);
    // 1 + 3 SDK retries answered 429, our wait of Retry-After, then the 5th 429 and the SDK's retry that passes.
    expect(domainPuts().length).toBe(6);
    expect(world.waits.filter((w) => w > 1)).toEqual([1000]);
    expect(r.out).toContain('Azure is throttling requests (429); waiting 1 s (retry 1)');
    expect(site().customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
  }, 20_000);

  it('without az (AzureCliCredential cannot run it): says to install the Azure CLI, no raw error', async () => {
    world.writeConfig();
    const noCli = { getToken: async () => { throw Object.assign(new Error('Azure CLI could not be found. Please visit https://aka.ms/azure-cli for installation instructions and then, once installed, authenticate to your Azure account using \'az login\'.'), { name: 'CredentialUnavailableError' }); } };
    const r = await world.run('bind', [], {}, world.deps({ credential: noCli }));
    expect(r.code).toBe(1);
    expect(r.err).toContain('error: reading the Static Web App mta-sts-app in resource group rg-web failed: no Azure sign-in (Azure CLI could not be found.');
    expect(r.err).toContain('the Azure CLI (az) is not installed, or not on PATH: install it (https://aka.ms/installazurecli), run az login, then re-run');
    expect(world.arm.requests).toEqual([]);
  });

  it('an app that does not exist: exit 1 with Azure\'s message', async () => {
    world.writeConfig();
    // As an admin: the pipeline's identity, with rights on its own app only, is refused before Azure looks (403).
    const r = await world.run('bind', ['--app', 'no-such-app'], {}, world.deps({ credential: staticCredential }));
    expect(r.code).toBe(1);
    expect(r.err).toContain("error: reading the Static Web App no-such-app in resource group rg-web failed: Azure answered HTTP 404 ResourceNotFound: The Resource 'Microsoft.Web/staticSites/no-such-app'");
    expect(r.err).toContain('check the name, the resource group and --subscription');
  });

  it('warns when hosting.default_hostname differs from the app\'s, and uses the app\'s', async () => {
    world.writeConfig({ hosting: { app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION, dns_resource_group: DNS_RG, default_hostname: 'old-app.azurestaticapps.net' } });
    const r = await world.run('bind', []);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`warning: hosting.default_hostname is old-app.azurestaticapps.net but mta-sts-app's host is ${DEFAULT_HOST}; using ${DEFAULT_HOST}`);
  });
});

describe('settings', () => {
  it('flags override the config\'s hosting keys', async () => {
    world.writeConfig({ hosting: { app: 'wrong-app', resource_group: 'wrong-rg', subscription: '00000000-0000-0000-0000-000000000000' } });
    const r = await world.run('bind', ['--app', APP, '--resource-group', WEB_RG, '--subscription', SUBSCRIPTION, '--dns-resource-group', DNS_RG], {}, world.deps({ credential: staticCredential }));
    expect(r.code).toBe(0);
    expect(site().customDomains.has('mta-sts.contoso.com')).toBe(true);
  });

  it.each([
    ['app', '--app', 'the Static Web App is not named: pass --app or set hosting.app in mta-sts.config.yaml'],
    ['resource_group', '--resource-group', "the app's resource group is not named: pass --resource-group or set hosting.resource_group"],
    ['subscription', '--subscription', 'the Azure subscription is not named: pass --subscription or set hosting.subscription'],
  ])('without hosting.%s or %s: usage error (exit 2) before any Azure call', async (key, _flag, message) => {
    const hosting: Record<string, string> = { app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION };
    delete hosting[key];
    world.writeConfig({ hosting });
    const r = await world.run('bind', []);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(world.arm.requests).toEqual([]);
  });

  it('all missing hosting: keys are named in one usage error (exit 2), not one per run', async () => {
    world.writeConfig({ hosting: { plan: 'standard' } });
    const r = await world.run('bind', []);
    expect(r.code).toBe(2);
    expect(r.err).toContain('mta-sts azure bind: 3 settings are missing; set them in mta-sts.config.yaml (or pass the flags):\n'
      + '  the Static Web App is not named: pass --app or set hosting.app\n'
      + "  the app's resource group is not named: pass --resource-group or set hosting.resource_group\n"
      + '  the Azure subscription is not named: pass --subscription or set hosting.subscription\n');
    expect(world.arm.requests).toEqual([]);
  });

  it('a --subscription that is not an ID is a usage error (exit 2)', async () => {
    world.writeConfig();
    const r = await world.run('bind', ['--subscription', 'My Subscription']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--subscription must be a subscription ID like 00000000-0000-0000-0000-000000000000');
    expect(world.arm.requests).toEqual([]);
  });

  it('an invalid hosting key is a config error at its line (exit 1)', async () => {
    world.writeConfig({ hosting: { app: 'bad_name!', resource_group: WEB_RG, subscription: 'not-a-guid' } });
    const r = await world.run('bind', []);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/mta-sts\.config\.yaml:\d+:\d+: hosting\.app must be the Static Web App name/);
    expect(r.err).toMatch(/hosting\.subscription must be a subscription ID/);
  });
});
