// `mta-sts azure publish-dns` through the real SDK clients against the ARM emulator, with the policy hosts
// on a local HTTPS server and every lookup through --dns-server.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SUBSCRIPTION } from './arm-emulator.ts';
import { APP, AzureWorld, DNS_RG, POLICY, WEB_RG, staticCredential } from './harness.ts';
import { loadConfig } from '../../src/config/config.ts';
import { dnsRecords } from '../../src/site/records.ts';
import { join } from 'node:path';

let world: AzureWorld;
beforeAll(async () => {
  world = await AzureWorld.start();
});
afterAll(() => world.close());
beforeEach(() => world.reset());

const OLD_POLICY = 'version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n';
const fast = ['--wait-seconds', '30', '--poll-seconds', '5'];

/** The TXT value `mta-sts records` gives for `name` with the config in the scratch folder. */
async function expected(name: string): Promise<string> {
  const loaded = await loadConfig(join(world.dir, 'mta-sts.config.yaml'));
  if (!loaded.ok) throw new Error('bad config');
  return dnsRecords(loaded.config).find((r) => r.name === name)!.value;
}

const puts = (name: string) => world.arm.calls('PUT', `/TXT/${name}`);

describe('in Azure DNS', () => {
  it('replaces _mta-sts and _smtp._tls each with ONE PUT of the whole set, If-Match on the etag read before', async () => {
    world.writeConfig({ tlsrpt: ['mailto:tlsrpt@contoso.com'] });
    await world.serve('contoso.com', POLICY);
    // Two v=STSv1 records (a half-done earlier change): both go, in the same PUT.
    const sts = world.arm.setRecordSet(DNS_RG, 'contoso.com', 'TXT', '_mta-sts', { TTL: 3600, TXTRecords: [{ value: ['v=STSv1; id=old0;'] }, { value: ['v=STSv1; id=old1;'] }] });
    const rpt = world.arm.setRecordSet(DNS_RG, 'contoso.com', 'TXT', '_smtp._tls', { TTL: 3600, TXTRecords: [{ value: ['v=TLSRPTv1; rua=mailto:old@contoso.com'] }] });
    const r = await world.run('publish-dns', fast);
    expect(r.err).toBe(world.overrideNotice('publish-dns'));
    expect(r.code).toBe(0);
    const value = await expected('_mta-sts.contoso.com');
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toEqual([value]);
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_smtp._tls')).toEqual(['v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com']);
    expect(puts('_mta-sts')).toHaveLength(1);
    expect(puts('_mta-sts')[0]!.headers['if-match']).toBe(sts.etag);
    expect(puts('_smtp._tls')[0]!.headers['if-match']).toBe(rpt.etag);
    // As the pipeline's identity (DNS Zone Contributor on rg-dns): every call allowed.
    expect(puts('_mta-sts')[0]!.headers.authorization).toBe('Bearer pipeline-identity-token');
    expect(world.arm.authz.refusals).toEqual([]);
    expect(world.arm.calls('DELETE')).toEqual([]);
    expect(puts('_mta-sts')[0]!.body).toEqual({ properties: { TTL: 3600, TXTRecords: [{ value: [value] }], metadata: { 'managed-by': 'mta-sts' } } });
    expect(r.out).toContain(`contoso.com: the new policy is live at https://mta-sts.contoso.com:${world.https.port}/.well-known/mta-sts.txt`);
    expect(r.out).toContain(`contoso.com: TXT _mta-sts.contoso.com = "${value}" (was "v=STSv1; id=old0;", "v=STSv1; id=old1;")`);
    // Azure's name servers answer the new set at once: the checker would see exactly one record.
    expect(world.dns.zone.get('_mta-sts.contoso.com')?.txt).toEqual([[value]]);
  });

  it('creates a missing set with If-None-Match: *', async () => {
    world.writeConfig();
    await world.serve('contoso.com', POLICY);
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    expect(puts('_mta-sts')[0]!.headers['if-none-match']).toBe('*');
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toEqual([await expected('_mta-sts.contoso.com')]);
  });

  it('leaves a set that already has exactly the new value (and our mark) alone', async () => {
    world.writeConfig();
    await world.serve('contoso.com', POLICY);
    expect((await world.run('publish-dns', fast)).code).toBe(0);
    world.arm.requests.length = 0;
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    expect(world.arm.calls('PUT')).toEqual([]);
    expect(r.out).toContain('already "v=STSv1; id=');
  });

  it('a concurrent change between read and write (412) is reported, never overwritten (exit 1)', async () => {
    world.writeConfig();
    await world.serve('contoso.com', POLICY);
    world.arm.setRecordSet(DNS_RG, 'contoso.com', 'TXT', '_mta-sts', { TTL: 3600, TXTRecords: [{ value: ['v=STSv1; id=old0;'] }] });
    world.arm.beforeRequest = (method, path) => {
      if (method === 'PUT' && path.endsWith('/TXT/_mta-sts')) {
        world.arm.setRecordSet(DNS_RG, 'contoso.com', 'TXT', '_mta-sts', { TTL: 3600, TXTRecords: [{ value: ['v=STSv1; id=byhand;'] }] });
      }
    };
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error: contoso.com: TXT _mta-sts.contoso.com was changed by someone else while we replaced it (412 Precondition Failed); it was not overwritten');
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toEqual(['v=STSv1; id=byhand;']);
  });

  it('puts a TXT value over 255 bytes into ONE record of several strings', async () => {
    const rua = Array.from({ length: 8 }, (_, i) => `mailto:tls-reports-${i}@reports.contoso.com`);
    world.writeConfig({ tlsrpt: rua });
    await world.serve('contoso.com', POLICY);
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    const records = world.arm.recordSet(DNS_RG, 'contoso.com', 'TXT', '_smtp._tls')!.properties.TXTRecords as { value: string[] }[];
    expect(records).toHaveLength(1);
    expect(records[0]!.value.length).toBeGreaterThan(1);
    expect(records[0]!.value.every((s) => Buffer.byteLength(s) <= 255)).toBe(true);
    expect(records[0]!.value.join('')).toBe(`v=TLSRPTv1; rua=${rua.join(',')}`);
  });

  it('writes the TXT of a domain whose zone is in another resource group of the subscription there', async () => {
    world.writeConfig({ domains: ['contoso.com', 'fabrikam.com'] });
    world.arm.addZone('rg-dns-fabrikam', 'fabrikam.com');
    await world.serve('contoso.com', POLICY);
    await world.serve('fabrikam.com', POLICY);
    // As an admin who may list the subscription's zones; the pipeline's identity may not (bind.test.ts says what it does).
    const r = await world.run('publish-dns', fast, {}, world.deps({ credential: staticCredential }));
    expect(r.code, r.err).toBe(0);
    expect(world.arm.txt('rg-dns-fabrikam', 'fabrikam.com', '_mta-sts')).toEqual([await expected('_mta-sts.fabrikam.com')]);
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toEqual([await expected('_mta-sts.contoso.com')]);
  });

  it('writes relative names in a parent zone (_mta-sts.eu in contoso.com)', async () => {
    world.writeConfig({ domains: ['eu.contoso.com'] });
    await world.serve('eu.contoso.com', POLICY);
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts.eu')).toEqual([await expected('_mta-sts.eu.contoso.com')]);
  });

  it('tlsrpt removed from the config: deletes _smtp._tls it wrote itself, with If-Match', async () => {
    world.writeConfig({ tlsrpt: ['mailto:tlsrpt@contoso.com'] });
    await world.serve('contoso.com', POLICY);
    expect((await world.run('publish-dns', fast)).code).toBe(0);
    const etag = world.arm.recordSet(DNS_RG, 'contoso.com', 'TXT', '_smtp._tls')!.etag;
    world.writeConfig();
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    expect(world.arm.recordSet(DNS_RG, 'contoso.com', 'TXT', '_smtp._tls')).toBeUndefined();
    expect(world.arm.calls('DELETE', '/TXT/_smtp._tls')[0]!.headers['if-match']).toBe(etag);
    expect(r.out).toContain('contoso.com: TXT _smtp._tls.contoso.com removed (tlsrpt is no longer in the config)');
  });

  it('tlsrpt not in the config: never removes a _smtp._tls record someone made by hand', async () => {
    world.writeConfig();
    await world.serve('contoso.com', POLICY);
    world.arm.setRecordSet(DNS_RG, 'contoso.com', 'TXT', '_smtp._tls', { TTL: 3600, TXTRecords: [{ value: ['v=TLSRPTv1; rua=mailto:mine@contoso.com'] }] });
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    expect(world.arm.calls('DELETE')).toEqual([]);
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_smtp._tls')).toEqual(['v=TLSRPTv1; rua=mailto:mine@contoso.com']);
    expect(r.out).toContain('left alone: the config has no tlsrpt, but the record was not written by mta-sts');
  });

  it('429 on a record-set read beyond the SDK\'s retries: waits Retry-After, then publishes', async () => {
    world.writeConfig();
    await world.serve('contoso.com', POLICY);
    world.arm.throttles = [{ match: (m, p) => m === 'GET' && p.endsWith('/TXT/_mta-sts'), remaining: 4, retryAfterSeconds: 0 }];
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    expect(world.arm.calls('GET', '/TXT/_mta-sts')).toHaveLength(5);
    expect(world.waits.filter((w) => w === 0)).toHaveLength(1); // our one wait of Retry-After: 0
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toHaveLength(1);
  });
});

describe('waiting for the policy (RFC 8461 §8.1)', () => {
  it('holds back the TXT of a host still on its default certificate: a warning, exit 0, SucceededWithIssues', async () => {
    world.writeConfig({ domains: ['contoso.com', 'eu.contoso.com'] });
    await world.serve('contoso.com', POLICY, false);
    await world.serve('eu.contoso.com', POLICY);
    world.arm.setRecordSet(DNS_RG, 'contoso.com', 'TXT', '_mta-sts', { TTL: 3600, TXTRecords: [{ value: ['v=STSv1; id=old0;'] }] });
    const r = await world.run('publish-dns', fast, { TF_BUILD: 'True' });
    expect(r.code).toBe(0);
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toEqual(['v=STSv1; id=old0;']);
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts.eu')).toHaveLength(1);
    expect(r.err).toContain('warning: contoso.com: TXT held back: certificate pending for mta-sts.contoso.com');
    expect(r.out).toContain('##vso[task.logissue type=warning]contoso.com: TXT held back: certificate pending');
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('##vso[task.complete result=SucceededWithIssues;]');
    // It kept polling until the deadline (30 s in 5 s steps), in case the certificate arrived.
    expect(world.waits.length).toBeGreaterThanOrEqual(5);
  });

  it('a host that does not resolve yet (no CNAME on a first run): TXT held back with a warning at once, exit 0', async () => {
    world.writeConfig({ domains: ['contoso.com', 'fabrikam.com'] });
    world.arm.addZone(DNS_RG, 'fabrikam.com');
    await world.serve('contoso.com', POLICY);
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    expect(r.err).toContain('warning: fabrikam.com: TXT held back: ');
    expect(r.err).toContain('point mta-sts.fabrikam.com at the app that serves the policy with a CNAME (mta-sts records prints it)');
    expect(r.err).toContain('`mta-sts azure bind` creates the CNAME');
    expect(world.arm.txt(DNS_RG, 'fabrikam.com', '_mta-sts')).toBeUndefined();
    expect(world.waits).toEqual([]);
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toHaveLength(1);
  });

  it('a host whose lookup fails (SERVFAIL) is no missing CNAME: it is waited on, then a failure that says the lookup failed (exit 1)', async () => {
    world.writeConfig();
    world.dns.zone.set('mta-sts.contoso.com', { servfail: true });
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(1);
    expect(world.waits.length).toBeGreaterThan(0);
    expect(r.err).toContain('error: contoso.com: TXT held back: the DNS lookup of mta-sts.contoso.com failed (DNS server failure (SERVFAIL)');
    expect(r.err).not.toContain('CNAME');
    expect(world.arm.calls('PUT')).toEqual([]);
  });

  it('a host still serving other bytes after the wait is a failure (exit 1) and its TXT is held back', async () => {
    world.writeConfig();
    await world.serve('contoso.com', OLD_POLICY);
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(1);
    expect(world.arm.calls('PUT')).toEqual([]);
    expect(r.err).toContain(`error: contoso.com: TXT held back: https://mta-sts.contoso.com:${world.https.port}/.well-known/mta-sts.txt does not serve home/.well-known/mta-sts.txt: it serves other bytes`);
    expect(r.err).toContain('RFC 8461 §8.1');
  });

  it('publishes as soon as a stale host turns live', async () => {
    world.writeConfig();
    await world.serve('contoso.com', OLD_POLICY);
    let hits = 0;
    world.https.handlers.set('mta-sts.contoso.com', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(++hits <= 2 ? OLD_POLICY : POLICY);
    });
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    expect(hits).toBe(3);
    expect(world.waits).toEqual([5000, 5000]);
    expect(r.out).toContain('contoso.com: not live yet: it serves other bytes');
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toHaveLength(1);
  });

  it('a redirect is never followed: not live, whatever it points at', async () => {
    world.writeConfig();
    await world.serve('contoso.com', POLICY);
    world.https.handlers.set('mta-sts.contoso.com', (_req, res) => res.writeHead(301, { location: 'https://elsewhere.example/.well-known/mta-sts.txt' }).end());
    const r = await world.run('publish-dns', ['--wait-seconds', '0']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('HTTP 301 redirect');
  });

  it('a missing home/ policy is exit 1 before anything else', async () => {
    world.writeConfig();
    const r = await world.run('publish-dns', ['--out', 'nowhere']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read nowhere/.well-known/mta-sts.txt (ENOENT); run npm run build');
    expect(world.arm.requests).toEqual([]);
  });
});

describe('outside Azure DNS', () => {
  it('without hosting.dns_resource_group: no Azure call at all; prints the exact records and says the live one differs', async () => {
    world.writeConfig({ hosting: { app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION }, tlsrpt: ['mailto:tlsrpt@contoso.com'] });
    await world.serve('contoso.com', POLICY);
    world.dns.zone.set('_mta-sts.contoso.com', { txt: ['v=STSv1; id=old0;'] });
    world.dns.zone.set('_smtp._tls.contoso.com', { txt: ['v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com'] });
    const r = await world.run('publish-dns', fast, { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(0);
    expect(world.arm.requests).toEqual([]);
    const value = await expected('_mta-sts.contoso.com');
    expect(r.out).toContain('DNS is not automated (no hosting.dns_resource_group); publish these records at your DNS host, replacing any existing _mta-sts TXT record (never add a second one):');
    expect(r.out).toContain(`  _mta-sts.contoso.com. 3600 IN TXT "${value}"\n`);
    expect(r.out).toContain('  _smtp._tls.contoso.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com"\n');
    expect(r.err).toContain(`warning: contoso.com: TXT _mta-sts.contoso.com differs: live "v=STSv1; id=old0;", wanted "${value}"`);
    expect(r.out).toContain('contoso.com: TXT _smtp._tls.contoso.com is live with this value');
    expect(r.out).toMatch(/^::warning::contoso\.com: TXT _mta-sts\.contoso\.com differs/m);
  });

  it('--print-only for a host that does not resolve yet still prints its records: the CNAME first, then the TXT for once the policy is live', async () => {
    world.writeConfig({ hosting: { app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION, dns_resource_group: DNS_RG, default_hostname: 'gentle-sea-0123456789.azurestaticapps.net' } });
    const r = await world.run('publish-dns', [...fast, '--print-only']);
    expect(r.code).toBe(0);
    expect(world.arm.requests).toEqual([]);
    const value = await expected('_mta-sts.contoso.com');
    expect(r.err).toContain('warning: contoso.com: TXT held back: mta-sts.contoso.com has no A or AAAA record');
    expect(r.err).toContain(`create the CNAME first, then, once https://mta-sts.contoso.com:${world.https.port}/.well-known/mta-sts.txt serves home/.well-known/mta-sts.txt, publish the TXT records (RFC 8461 §8.1)`);
    expect(r.out).toContain('  mta-sts.contoso.com. 3600 IN CNAME gentle-sea-0123456789.azurestaticapps.net.\n');
    expect(r.out).toContain(`  _mta-sts.contoso.com. 3600 IN TXT "${value}"\n`);
  });

  it('a Function App: prints the CNAME and the asuid TXT its host needs (a named placeholder until known), never "Static Web App"', async () => {
    world.writeConfig({ hosting: { kind: 'function-app', app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION, default_hostname: `${APP}.azurewebsites.net` } });
    const r = await world.run('publish-dns', [...fast, '--print-only']);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`create the CNAME and the asuid TXT first, then, once https://mta-sts.contoso.com:${world.https.port}/.well-known/mta-sts.txt serves`);
    expect(r.out).toContain(`  mta-sts.contoso.com. 3600 IN CNAME ${APP}.azurewebsites.net.\n`);
    expect(r.out).toContain(`  asuid.mta-sts.contoso.com. 3600 IN TXT "<customDomainVerificationId>" ; not known yet: the Function App's customDomainVerificationId (az functionapp show -n ${APP} -g ${WEB_RG} --query customDomainVerificationId -o tsv`);
    expect(`${r.out}${r.err}`).not.toMatch(/Static Web App|azurestaticapps/);
  });

  it('a Function App whose host serves *.azurewebsites.net\'s certificate: the TXT waits, said in App Service\'s words', async () => {
    world.writeConfig({ hosting: { kind: 'function-app', app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION } });
    await world.serve('contoso.com', POLICY, false);
    const r = await world.run('publish-dns', [...fast, '--print-only']);
    expect(`${r.out}${r.err}`).not.toMatch(/Static Web App|azurestaticapps/);
  });

  it('takes --app and --resource-group like every azure command', async () => {
    world.writeConfig({ hosting: { app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION } });
    await world.serve('contoso.com', POLICY);
    const r = await world.run('publish-dns', [...fast, '--app', APP, '--resource-group', WEB_RG]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('contoso.com: the new policy is live');
  });

  it('a TXT whose lookup fails (SERVFAIL) is said to be unknown, never "not published yet"', async () => {
    world.writeConfig({ hosting: { app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION } });
    await world.serve('contoso.com', POLICY);
    world.dns.zone.set('_mta-sts.contoso.com', { servfail: true });
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    const value = await expected('_mta-sts.contoso.com');
    expect(r.err).toContain(`warning: contoso.com: TXT _mta-sts.contoso.com: the lookup failed (DNS server failure (SERVFAIL) looking up TXT at _mta-sts.contoso.com; check the zone and its DNSSEC), so whether it is published is unknown; make sure it reads "${value}"`);
    expect(r.err).not.toContain('is not published yet');
  });

  it('a domain whose zone is not in the DNS resource group is printed while the others are written', async () => {
    world.writeConfig({ domains: ['contoso.com', 'fabrikam.com'] });
    await world.serve('contoso.com', POLICY);
    await world.serve('fabrikam.com', POLICY);
    const r = await world.run('publish-dns', fast);
    expect(r.code).toBe(0);
    expect(world.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toHaveLength(1);
    expect(r.out).toContain(`fabrikam.com: no Azure DNS zone in ${DNS_RG} holds fabrikam.com; publish these records`);
    expect(r.err).toContain('warning: fabrikam.com: TXT _mta-sts.fabrikam.com is not published yet');
  });

  it('--print-only with hosting.dns_resource_group: waits for the policy, prints every record without any Azure call, and one warning says how to let the pipeline write them', async () => {
    world.writeConfig({ domains: ['contoso.com', 'fabrikam.com'], tlsrpt: ['mailto:tlsrpt@contoso.com'] });
    await world.serve('contoso.com', OLD_POLICY);
    let hits = 0;
    world.https.handlers.set('mta-sts.contoso.com', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(++hits <= 1 ? OLD_POLICY : POLICY);
    });
    await world.serve('fabrikam.com', POLICY);
    world.dns.zone.set('_mta-sts.contoso.com', { txt: ['v=STSv1; id=old0;'] });
    // No login on this agent: a credential that is ever asked for a token fails the run, as AzureCliCredential would.
    const noLogin = world.deps({ credential: { getToken: () => Promise.reject(new Error('Please run \'az login\' to set up an account.')) } });
    const r = await world.run('publish-dns', [...fast, '--print-only'], { TF_BUILD: 'True' }, noLogin);
    expect(r.code).toBe(0);
    expect(world.arm.requests).toEqual([]);
    expect(hits).toBe(2);
    expect(r.out).toContain('contoso.com: not live yet: it serves other bytes');
    const value = await expected('_mta-sts.contoso.com');
    expect(r.out).toContain('contoso.com: Azure DNS is not written in this run (--print-only); publish these records at your DNS host, replacing any existing _mta-sts TXT record (never add a second one):');
    expect(r.out).toContain(`  _mta-sts.contoso.com. 3600 IN TXT "${value}"\n`);
    expect(r.out).toContain('  _smtp._tls.fabrikam.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com"\n');
    expect(r.err).toContain(`warning: contoso.com: TXT _mta-sts.contoso.com differs: live "v=STSv1; id=old0;", wanted "${value}"`);
    expect(r.err).toContain('warning: fabrikam.com: TXT _mta-sts.fabrikam.com is not published yet');
    const hint = `the records were printed, not written to the Azure DNS zones in ${DNS_RG} (hosting.dns_resource_group): this run has no Azure login (--print-only); set armServiceConnection at the top of azure-pipelines.yml to let the pipeline publish them (docs/azure-devops.md: "3. Let the pipeline reach Azure (service connection)")`;
    expect(r.err.split('\n').filter((l) => l.includes('not written to the Azure DNS zones'))).toEqual([`warning: ${hint}`]);
    expect(r.out).toContain(`##vso[task.logissue type=warning]${hint}\n`);
    expect(r.out.endsWith('##vso[task.complete result=SucceededWithIssues;]\n')).toBe(true);
  });

  it('--print-only says what gives a login where it runs: GitHub variables in a workflow, az login in a shell; without Azure DNS no such warning', async () => {
    world.writeConfig();
    await world.serve('contoso.com', POLICY);
    const github = await world.run('publish-dns', [...fast, '--print-only'], { GITHUB_ACTIONS: 'true' });
    expect(github.code).toBe(0);
    expect(github.err).toContain('set the variables AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID to let the workflow publish them');
    const shell = await world.run('publish-dns', [...fast, '--print-only']);
    expect(shell.err).toContain('(--print-only); run it without --print-only after az login to publish them');
    world.writeConfig({ hosting: { app: APP } });
    const plain = await world.run('publish-dns', [...fast, '--print-only'], { TF_BUILD: 'True' });
    expect(plain.code).toBe(0);
    expect(plain.out).toContain('DNS is not automated (no hosting.dns_resource_group)');
    expect(plain.err).not.toContain('not written to the Azure DNS zones');
    expect(world.arm.requests).toEqual([]);
  });
});
