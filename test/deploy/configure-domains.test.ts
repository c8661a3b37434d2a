// scripts/configure-domains.sh against a fake `az` first on PATH and a policy server on 127.0.0.1.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PolicyServer, Sandbox, recordsFor } from './helpers.ts';

const SWA = { SWA_NAME: 'mta-sts-app', SWA_RESOURCE_GROUP: 'rg-web' };
const DNS = { DNS_RESOURCE_GROUP: 'rg-dns' };

let box: Sandbox;
const server = new PolicyServer();
let urlTemplate: string;

beforeAll(async () => {
  urlTemplate = await server.start();
});
afterAll(() => server.stop());
beforeEach(() => {
  box = new Sandbox();
  server.reset();
});
afterEach(() => box.dispose());

const hostnameSets = () => box.calls().filter((c) => c.slice(0, 3).join(' ') === 'staticwebapp hostname set');

describe('bind', () => {
  it('binds only the hosts not bound yet, listing the app\'s hostnames first', async () => {
    box.setRecords([...recordsFor('contoso.com'), ...recordsFor('fabrikam.com')]);
    const r = await box.run(['bind'], { ...SWA, FAKE_AZ_HOSTNAMES: 'mta-sts.contoso.com\tReady' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(box.callSummaries()).toEqual(['staticwebapp hostname list', 'staticwebapp hostname set']);
    expect(hostnameSets()[0]).toEqual(
      ['staticwebapp', 'hostname', 'set', '-n', 'mta-sts-app', '-g', 'rg-web', '--hostname', 'mta-sts.fabrikam.com'],
    );
    expect(r.stdout).toContain('contoso.com: mta-sts.contoso.com already bound (status Ready)');
    expect(r.stdout).toContain('fabrikam.com: bound mta-sts.fabrikam.com to mta-sts-app');
    // Without a DNS zone the script never touches DNS, and says what the admin must create.
    expect(r.stdout).toContain('DNS is not automated');
  });

  it('is idempotent: a re-run with every host bound (any letter case) makes no hostname set call', async () => {
    box.setRecords([...recordsFor('contoso.com'), ...recordsFor('fabrikam.com')]);
    const r = await box.run(['bind'], {
      ...SWA, ...DNS,
      FAKE_AZ_HOSTNAMES: 'MTA-STS.Contoso.com\tReady\nmta-sts.fabrikam.com\tValidating',
    });
    expect(r.code).toBe(0);
    expect(box.callSummaries()).toEqual(['staticwebapp hostname list']);
    expect(r.stdout).toContain('mta-sts.fabrikam.com already bound (status Validating)');
  });

  it('binds again a host whose earlier binding failed', async () => {
    box.setRecords(recordsFor('contoso.com'));
    const r = await box.run(['bind'], { ...SWA, FAKE_AZ_HOSTNAMES: 'mta-sts.contoso.com\tFailed' });
    expect(r.code).toBe(0);
    expect(hostnameSets()).toHaveLength(1);
  });

  it('with a DNS resource group, creates the mta-sts CNAME to the app\'s host before binding', async () => {
    box.setRecords(recordsFor('contoso.com'));
    const r = await box.run(['bind'], { ...SWA, ...DNS, FAKE_AZ_DEFAULT_HOSTNAME: 'gentle-sea-1.azurestaticapps.net' });
    expect(r.code).toBe(0);
    expect(box.callSummaries()).toEqual([
      'staticwebapp hostname list',
      'staticwebapp show',
      'network dns record-set cname set-record -z contoso.com -n mta-sts',
      'staticwebapp hostname set',
    ]);
    const cname = box.calls()[2]!;
    expect(cname).toEqual(expect.arrayContaining(['-g', 'rg-dns', '-c', 'gentle-sea-1.azurestaticapps.net']));
    expect(r.stdout).toContain('contoso.com: CNAME mta-sts.contoso.com -> gentle-sea-1.azurestaticapps.net');
  });

  it('warns when the config\'s default_hostname differs from the app\'s, and uses the app\'s', async () => {
    box.setRecords(recordsFor('contoso.com', { cname: 'old-app.azurestaticapps.net' }));
    const r = await box.run(['bind'], { ...SWA, ...DNS, FAKE_AZ_DEFAULT_HOSTNAME: 'gentle-sea-1.azurestaticapps.net' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: hosting\.default_hostname is old-app\.azurestaticapps\.net .* using gentle-sea-1/);
    expect(box.calls()[2]).toContain('gentle-sea-1.azurestaticapps.net');
  });

  it('retries the transient "CNAME Record is invalid" error, then succeeds', async () => {
    box.setRecords(recordsFor('contoso.com'));
    const r = await box.run(['bind'], { ...SWA, FAKE_AZ_CNAME_INVALID_TIMES: '2', BIND_ATTEMPTS: '5' });
    expect(r.code).toBe(0);
    expect(hostnameSets()).toHaveLength(3);
    expect(r.stderr).toContain('contoso.com: "CNAME Record is invalid" (attempt 1 of 5); retrying in 0s');
    expect(r.stderr).toContain('(attempt 2 of 5)');
    expect(r.stdout).toContain('contoso.com: bound mta-sts.contoso.com');
  });

  it('gives up after BIND_ATTEMPTS with a message naming the domain, the check to make and the az error', async () => {
    box.setRecords([...recordsFor('contoso.com'), ...recordsFor('fabrikam.com')]);
    const r = await box.run(['bind'], { ...SWA, FAKE_AZ_CNAME_INVALID_TIMES: '99', BIND_ATTEMPTS: '3' });
    expect(r.code).toBe(1);
    expect(hostnameSets()).toHaveLength(3);
    expect(r.stderr).toContain('error: contoso.com: binding mta-sts.contoso.com still fails after 3 attempts');
    expect(r.stderr).toContain('dig +short CNAME mta-sts.contoso.com');
    expect(r.stderr).toContain('Last az error: ERROR: (BadRequest) CNAME Record is invalid.');
  });

  it('fails at once on any other az error, naming the domain and quoting az', async () => {
    box.setRecords(recordsFor('contoso.com'));
    const r = await box.run(['bind'], {
      ...SWA,
      FAKE_AZ_FAIL_MATCH: 'hostname set',
      FAKE_AZ_FAIL_MESSAGE: "(AuthorizationFailed) The client 'x' does not have authorization",
    });
    expect(r.code).toBe(1);
    expect(hostnameSets()).toHaveLength(1);
    expect(r.stderr).toBe(
      "error: contoso.com: binding mta-sts.contoso.com to mta-sts-app failed: ERROR: (AuthorizationFailed) The client 'x' does not have authorization\n",
    );
  });

  it('fails clearly when the app is not named, before calling az', async () => {
    box.setRecords(recordsFor('contoso.com'));
    const r = await box.run(['bind'], { SWA_RESOURCE_GROUP: 'rg-web' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: SWA_NAME is not set/);
    expect(box.calls()).toEqual([]);
  });

  it('reports a failing hostname list with the app and the az error', async () => {
    box.setRecords(recordsFor('contoso.com'));
    const r = await box.run(['bind'], { ...SWA, FAKE_AZ_FAIL_MATCH: 'hostname list', FAKE_AZ_FAIL_MESSAGE: '(ResourceNotFound) no such app' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot list the custom domains of Static Web App mta-sts-app in rg-web: ERROR: (ResourceNotFound) no such app');
  });
});

describe('publish-txt', () => {
  const env = () => ({ ...DNS, POLICY_URL_TEMPLATE: urlTemplate });

  it('replaces an existing _mta-sts set (delete, create, add-record), never appends', async () => {
    box.setRecords(recordsFor('contoso.com', { id: 'new1', rua: 'mailto:tlsrpt@contoso.com' }));
    box.setTxt('contoso.com', '_mta-sts', ['v=STSv1; id=old0;']);
    box.setTxt('contoso.com', '_smtp._tls', ['v=TLSRPTv1; rua=mailto:old@contoso.com']);
    server.behaviour.set('contoso.com', { kind: 'live' });
    const r = await box.run(['publish-txt'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const txt = (verb: string, name: string) => `network dns record-set txt ${verb} -z contoso.com -n ${name}`;
    expect(box.callSummaries()).toEqual([
      txt('show', '_mta-sts'), txt('delete', '_mta-sts'), txt('create', '_mta-sts'), txt('add-record', '_mta-sts'),
      txt('show', '_smtp._tls'), txt('delete', '_smtp._tls'), txt('create', '_smtp._tls'), txt('add-record', '_smtp._tls'),
    ]);
    expect(box.txt('contoso.com', '_mta-sts')).toEqual(['v=STSv1; id=new1;']);
    expect(box.txt('contoso.com', '_smtp._tls')).toEqual(['v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com']);
    expect(box.calls()[2]).toEqual(expect.arrayContaining(['--ttl', '3600', '-g', 'rg-dns']));
    expect(r.stdout).toContain('contoso.com: TXT _mta-sts.contoso.com = "v=STSv1; id=new1;"');
  });

  it('also cleans up a set that already holds two v=STSv1 records', async () => {
    box.setRecords(recordsFor('contoso.com', { id: 'new1' }));
    box.setTxt('contoso.com', '_mta-sts', ['v=STSv1; id=a;', 'v=STSv1; id=new1;']);
    server.behaviour.set('contoso.com', { kind: 'live' });
    const r = await box.run(['publish-txt'], env());
    expect(r.code).toBe(0);
    expect(box.txt('contoso.com', '_mta-sts')).toEqual(['v=STSv1; id=new1;']);
  });

  it('leaves a set that already has exactly the new value alone', async () => {
    box.setRecords(recordsFor('contoso.com', { id: 'new1' }));
    box.setTxt('contoso.com', '_mta-sts', ['v=STSv1; id=new1;']);
    server.behaviour.set('contoso.com', { kind: 'live' });
    const r = await box.run(['publish-txt'], env());
    expect(r.code).toBe(0);
    expect(box.callSummaries()).toEqual(['network dns record-set txt show -z contoso.com -n _mta-sts']);
    expect(r.stdout).toContain('TXT _mta-sts.contoso.com already "v=STSv1; id=new1;"');
  });

  it('creates a missing set without a delete', async () => {
    box.setRecords(recordsFor('contoso.com', { id: 'new1' }));
    server.behaviour.set('contoso.com', { kind: 'live' });
    const r = await box.run(['publish-txt'], env());
    expect(r.code).toBe(0);
    expect(box.callSummaries().map((s) => s.split(' ')[4])).toEqual(['show', 'create', 'add-record']);
    expect(box.txt('contoso.com', '_mta-sts')).toEqual(['v=STSv1; id=new1;']);
  });

  it('withholds the TXT of a domain whose new policy is not live (RFC 8461 §8.1) and publishes the others', async () => {
    box.setRecords([...recordsFor('contoso.com', { id: 'new1' }), ...recordsFor('fabrikam.com', { id: 'new2' })]);
    box.setTxt('contoso.com', '_mta-sts', ['v=STSv1; id=old0;']);
    server.behaviour.set('contoso.com', { kind: 'old' });
    server.behaviour.set('fabrikam.com', { kind: 'live' });
    const r = await box.run(['publish-txt'], env());
    expect(r.code).toBe(1);
    expect(box.calls().some((c) => c.includes('contoso.com'))).toBe(false);
    expect(box.txt('contoso.com', '_mta-sts')).toEqual(['v=STSv1; id=old0;']);
    expect(box.txt('fabrikam.com', '_mta-sts')).toEqual(['v=STSv1; id=new2;']);
    expect(r.stdout).toContain('contoso.com: TXT withheld: the new policy is not live');
    expect(r.stdout).toContain('RFC 8461 §8.1');
    expect(r.stderr).toContain('error: TXT records withheld for: contoso.com');
  });

  it('without a DNS zone prints the exact records to publish and calls no az', async () => {
    box.setRecords([
      ...recordsFor('contoso.com', { id: 'new1', cname: 'gentle-sea-1.azurestaticapps.net', rua: 'mailto:r@contoso.com' }),
    ]);
    server.behaviour.set('contoso.com', { kind: 'live' });
    const r = await box.run(['publish-txt'], { POLICY_URL_TEMPLATE: urlTemplate });
    expect(r.code).toBe(0);
    expect(box.calls()).toEqual([]);
    expect(r.stdout).toContain('DNS is not automated');
    expect(r.stdout).toContain('never add a second one');
    expect(r.stdout).toContain('  _mta-sts.contoso.com. 3600 IN TXT "v=STSv1; id=new1;"\n');
    expect(r.stdout).toContain('  mta-sts.contoso.com. 3600 IN CNAME gentle-sea-1.azurestaticapps.net.\n');
    expect(r.stdout).toContain('  _smtp._tls.contoso.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:r@contoso.com"\n');
  });

  it('without a DNS zone prints a TXT value over 255 bytes as several quoted strings, escaped, like `records`', async () => {
    const rua = [...Array.from({ length: 8 }, (_, i) => `mailto:tls-reports-${i}@reports.contoso.com`), 'mailto:a"b\\c@contoso.com'].join(',');
    const value = `v=TLSRPTv1; rua=${rua}`;
    expect(value.length).toBeGreaterThan(255);
    box.setRecords(recordsFor('contoso.com', { id: 'new1', rua }));
    server.behaviour.set('contoso.com', { kind: 'live' });
    const r = await box.run(['publish-txt'], { POLICY_URL_TEMPLATE: urlTemplate });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('  _smtp._tls.contoso.com. 3600 IN TXT '))!;
    const strings = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    expect(strings.length).toBeGreaterThan(1);
    const unescaped = strings.map((s) => s.replace(/\\(.)/g, '$1'));
    expect(unescaped.every((s) => s.length <= 255)).toBe(true);
    expect(unescaped.join('')).toBe(value);
    expect(line).toContain('mailto:a\\"b\\\\c@contoso.com"');
  });

  it('without a DNS zone and a policy not live yet, prints only the CNAME still needed', async () => {
    box.setRecords(recordsFor('contoso.com', { id: 'new1' }));
    const r = await box.run(['publish-txt'], { POLICY_URL_TEMPLATE: urlTemplate });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('IN TXT');
    expect(r.stdout).toContain('  mta-sts.contoso.com. 3600 IN CNAME <the app default host name');
  });

  it('names the zone and quotes az when replacing fails', async () => {
    box.setRecords(recordsFor('contoso.com', { id: 'new1' }));
    box.setTxt('contoso.com', '_mta-sts', ['v=STSv1; id=old0;']);
    server.behaviour.set('contoso.com', { kind: 'live' });
    const r = await box.run(['publish-txt'], {
      ...env(), FAKE_AZ_FAIL_MATCH: 'txt delete', FAKE_AZ_FAIL_MESSAGE: '(AuthorizationFailed) no write access to rg-dns',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: contoso.com: deleting the old TXT _mta-sts.contoso.com failed: ERROR: (AuthorizationFailed) no write access to rg-dns\n',
    );
    expect(box.callSummaries().some((s) => s.includes('add-record'))).toBe(false);
  });

  it('stops on an az error reading the set that is not "not found"', async () => {
    box.setRecords(recordsFor('contoso.com'));
    server.behaviour.set('contoso.com', { kind: 'live' });
    const r = await box.run(['publish-txt'], {
      ...env(), FAKE_AZ_FAIL_MATCH: 'txt show', FAKE_AZ_FAIL_MESSAGE: '(ResourceGroupNotFound) rg-dns could not be found',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('contoso.com: reading TXT _mta-sts.contoso.com from Azure DNS (resource group rg-dns) failed');
    expect(box.callSummaries()).toEqual(['network dns record-set txt show -z contoso.com -n _mta-sts']);
  });
});

describe('wait-live', () => {
  const env = () => ({ POLICY_URL_TEMPLATE: urlTemplate, WAIT_ATTEMPTS: '4' });

  it('returns once every domain serves the built bytes', async () => {
    box.setRecords([...recordsFor('contoso.com'), ...recordsFor('fabrikam.com')]);
    server.behaviour.set('contoso.com', { kind: 'live' });
    server.behaviour.set('fabrikam.com', { kind: 'stale-then-live', staleTimes: 2 });
    const r = await box.run(['wait-live'], env());
    expect(r.code).toBe(0);
    expect(server.hits.get('contoso.com')).toBe(1); // live domains are not polled again
    expect(server.hits.get('fabrikam.com')).toBe(3);
    expect(r.stdout).toContain('fabrikam.com: not live yet:');
    expect(r.stdout).toContain('other bytes than');
    expect(r.stdout).toContain('fabrikam.com: new policy is live at http://127.0.0.1:');
  });

  it('gives up after WAIT_ATTEMPTS naming the domains and the §8.1 rule', async () => {
    box.setRecords(recordsFor('contoso.com'));
    server.behaviour.set('contoso.com', { kind: 'old' });
    const r = await box.run(['wait-live'], env());
    expect(r.code).toBe(1);
    expect(server.hits.get('contoso.com')).toBe(4);
    expect(r.stderr).toContain('error: the new policy is not live after 4 attempts for: contoso.com');
    expect(r.stderr).toContain('RFC 8461 §8.1');
  });

  it('never follows a redirect, and says so', async () => {
    box.setRecords(recordsFor('contoso.com'));
    server.behaviour.set('contoso.com', { kind: 'redirect', location: '/elsewhere/.well-known/mta-sts.txt' });
    server.behaviour.set('elsewhere', { kind: 'live' });
    const r = await box.run(['wait-live'], { ...env(), WAIT_ATTEMPTS: '1' });
    expect(r.code).toBe(1);
    expect(server.hits.get('elsewhere')).toBeUndefined();
    expect(r.stdout).toMatch(/HTTP 301 redirect to http:\/\/127\.0\.0\.1:\d+\/elsewhere\/\.well-known\/mta-sts\.txt; MTA-STS senders never follow redirects/);
  });

  it('reports a 404 and an unreachable host', async () => {
    box.setRecords([...recordsFor('contoso.com'), ...recordsFor('fabrikam.com')]);
    server.behaviour.set('contoso.com', { kind: 'status', status: 404 });
    const r404 = await box.run(['wait-live'], { ...env(), WAIT_ATTEMPTS: '1' });
    expect(r404.stdout).toContain('contoso.com: not live yet: HTTP 404 from http://127.0.0.1:');
    const down = await box.run(['wait-live'], {
      WAIT_ATTEMPTS: '1', POLICY_URL_TEMPLATE: 'http://127.0.0.1:1/{domain}/.well-known/mta-sts.txt',
    });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/contoso\.com: not live yet: fetch failed: curl: \(7\)/);
  });
});

describe('records from the CLI', () => {
  it('reads the domains from `mta-sts records --json` when RECORDS_JSON is not set', async () => {
    const config = join(box.dir, 'mta-sts.config.yaml');
    writeFileSync(config, [
      'domains: [contoso.com, fabrikam.com]',
      'policy:',
      '  mode: testing',
      '  mx: ["*.mail.protection.outlook.com"]',
      '  max_age: 604800',
      '',
    ].join('\n'));
    const r = await box.run(['bind'], { ...SWA, RECORDS_JSON: '', MTA_STS_CONFIG: config });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(hostnameSets().map((c) => c.at(-1))).toEqual(['mta-sts.contoso.com', 'mta-sts.fabrikam.com']);
  });

  it('stops before any az call when the config has errors, showing them', async () => {
    const config = join(box.dir, 'mta-sts.config.yaml');
    writeFileSync(config, 'domains: [contoso.com]\npolicy:\n  mode: enforced\n  mx: ["*.mail.protection.outlook.com"]\n  max_age: 604800\n');
    const r = await box.run(['bind'], { ...SWA, RECORDS_JSON: '', MTA_STS_CONFIG: config });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('policy.mode');
    expect(r.stderr).toContain("error: 'mta-sts records --json' failed; fix the config errors above");
    expect(box.calls()).toEqual([]);
  });
});

describe('input errors', () => {
  it('rejects malformed records JSON with the record and field, before calling az', async () => {
    box.setRecords([{ domain: 'contoso.com', name: '_mta-sts.contoso.com', type: 'MX', ttl: 3600, value: 'x' }]);
    const r = await box.run(['bind'], SWA);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('record 1: "type" must be TXT or CNAME');
    expect(r.stderr).toContain(`the DNS records from ${box.recordsFile} are not valid`);
    expect(box.calls()).toEqual([]);
  });

  it('rejects a non-numeric retry setting with exit 2', async () => {
    const r = await box.run(['bind'], { ...SWA, BIND_ATTEMPTS: 'five' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: BIND_ATTEMPTS must be a whole number (got "five")\n');
    expect(box.calls()).toEqual([]);
  });

  it('rejects an unknown subcommand with usage and exit 2', async () => {
    const r = await box.run(['deploy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage: .*configure-domains\.sh bind\|wait-live\|publish-txt/);
  });
});
