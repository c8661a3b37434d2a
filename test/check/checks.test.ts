// Every check of `mta-sts check`, in pass and fail, against real DNS, HTTPS and SMTP servers on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { parseConfig, type Config } from '../../src/config/config.ts';
import { checkDomain } from '../../src/check/domain.ts';
import { checkMxMatch } from '../../src/check/mx-checks.ts';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createPolicyFetcher } from '../../src/check/https-fetcher.ts';
import { createSmtpProbe } from '../../src/check/smtp-probe.ts';
import type { CheckName, CheckResult, DomainReport } from '../../src/check/result.ts';
import { effectiveId, policyText } from '../../src/config/policy.ts';
import { serve, startHttps, startSmtp, TestCA, type HttpsTestServer } from './servers.ts';
import { FAST, ID, policyFor, World } from './world.ts';

const DAY = 86_400_000;
let world: World;

beforeAll(async () => {
  world = await World.start();
});
afterAll(async () => {
  await world?.close();
});

async function check(domain: string, options: { allowPendingCert?: boolean; timeoutMs?: number; config?: Config; io?: ReturnType<World['io']> } = {}): Promise<DomainReport> {
  return checkDomain(domain, options.io ?? world.io(), {
    allowPendingCert: options.allowPendingCert ?? false,
    timeoutMs: options.timeoutMs ?? 8000,
    config: options.config,
  });
}

function get(report: DomainReport, name: CheckName): CheckResult {
  const found = report.checks.find((c) => c.check === name);
  if (!found) throw new Error(`no ${name} check in ${JSON.stringify(report.checks.map((c) => c.check))}`);
  return found;
}

describe('a correct setup', () => {
  it('passes all checks, with evidence of records, headers, certificate and MX', async () => {
    await world.addDomain('good.example');
    const report = await check('good.example');
    expect(report.checks.map((c) => [c.check, c.status, c.code])).toEqual([
      ['sts-record', 'pass', 'sts-record-ok'],
      ['policy-fetch', 'pass', 'policy-fetch-ok'],
      ['policy-parse', 'pass', 'policy-ok'],
      ['mx-match', 'pass', 'mx-match-ok'],
      ['mx-starttls', 'pass', 'mx-starttls-ok'],
      ['tlsrpt', 'pass', 'tlsrpt-ok'],
      ['exchange', 'pass', 'exo-ok'],
    ]);
    expect(report.status).toBe('pass');
    const fetch = get(report, 'policy-fetch').evidence!;
    expect(fetch.status).toBe(200);
    expect(typeof fetch.elapsedMs).toBe('number');
    expect(fetch.headers).toEqual({ 'content-type': 'text/plain; charset=utf-8' });
    expect(fetch.tls).toMatchObject({ protocol: 'TLSv1.3', certificate: { dnsNames: ['mta-sts.good.example'] } });
    expect(get(report, 'sts-record').evidence).toMatchObject({ records: [`v=STSv1; id=${ID};`], id: ID });
    const smtp = get(report, 'mx-starttls');
    expect(smtp.message).toContain('TLSv1.3');
    expect(smtp.evidence).toMatchObject({ hosts: [{ host: 'mx.good.example', protocol: 'TLSv1.3', certificate: { dnsNames: ['mx.good.example'] } }] });
  });
});

describe('1. the _mta-sts TXT record', () => {
  it('fails when there is none', async () => {
    await world.addDomain('notxt.example', { stsTxt: [] });
    const r = get(await check('notxt.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['fail', 'sts-record-missing']);
    expect(r.message).toContain('_mta-sts.notxt.example');
  });

  it('diagnoses a record published at the apex instead', async () => {
    await world.addDomain('apex.example', { stsTxt: [] });
    world.dns.zone.get('apex.example')!.txt = ['v=spf1 -all', `v=STSv1; id=${ID};`];
    const r = get(await check('apex.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['fail', 'sts-record-at-apex']);
    expect(r.message).toContain('move it to _mta-sts.apex.example');
  });

  it('diagnoses an SPF record answering at _mta-sts (a wildcard TXT)', async () => {
    await world.addDomain('spf.example', { stsTxt: ['v=spf1 include:spf.protection.outlook.com -all'] });
    const r = get(await check('spf.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['fail', 'sts-record-spf']);
    expect(r.message).toMatch(/wildcard/);
  });

  it('fails with two v=STSv1 records', async () => {
    await world.addDomain('two.example', { stsTxt: ['v=STSv1; id=one;', 'v=STSv1; id=two;'] });
    const r = get(await check('two.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['fail', 'sts-record-multiple']);
  });

  it('discards a record not beginning with "v=STSv1;" before counting, so a valid one next to it passes (RFC 8461 §3.1)', async () => {
    await world.addDomain('nearmiss.example', { stsTxt: ['v=STSv1', `v=STSv1; id=${ID};`] });
    const r = get(await check('nearmiss.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['pass', 'sts-record-ok']);
  });

  it('discards unrelated TXT records and joins a record split into several strings', async () => {
    await world.addDomain('split.example', { stsTxt: ['google-site-verification=xyz', ['v=STSv1;', ' id=split', '42;']] });
    const r = get(await check('split.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['pass', 'sts-record-ok']);
    expect(r.evidence).toMatchObject({ id: 'split42' });
  });

  it('fails on an invalid id, with the RFC core diagnostic', async () => {
    await world.addDomain('badid.example', { stsTxt: ['v=STSv1; id=2026-01-01;'] });
    const r = get(await check('badid.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['fail', 'sts-record-invalid']);
    expect(r.message).toMatch(/id/);
  });

  it('follows a CNAME chain returned in one answer (recursive resolver)', async () => {
    await world.addDomain('chain.example');
    world.dns.zone.set('_mta-sts.chain.example', { cname: 'sts.hop1.example' });
    world.dns.zone.set('sts.hop1.example', { cname: 'sts.hop2.example' });
    world.dns.zone.set('sts.hop2.example', { txt: ['v=STSv1; id=viachain;'] });
    const r = get(await check('chain.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['pass', 'sts-record-ok']);
    expect(r.evidence).toMatchObject({ id: 'viachain' });
  });

  it('follows a CNAME chain hop by hop when the server only returns the CNAME', async () => {
    await world.addDomain('authchain.example');
    world.dns.zone.set('_mta-sts.authchain.example', { cname: 'sts.ahop1.example', cnameOnly: true });
    world.dns.zone.set('sts.ahop1.example', { cname: 'sts.ahop2.example', cnameOnly: true });
    world.dns.zone.set('sts.ahop2.example', { txt: ['v=STSv1; id=hopbyhop;'] });
    const r = get(await check('authchain.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['pass', 'sts-record-ok']);
    expect(r.evidence).toMatchObject({ id: 'hopbyhop', cnameChain: ['_mta-sts.authchain.example', 'sts.ahop1.example', 'sts.ahop2.example'] });
  });

  it('stops a CNAME loop', async () => {
    await world.addDomain('loop.example');
    world.dns.zone.set('_mta-sts.loop.example', { cname: 'l1.loop.example', cnameOnly: true });
    world.dns.zone.set('l1.loop.example', { cname: '_mta-sts.loop.example', cnameOnly: true });
    const r = get(await check('loop.example'), 'sts-record');
    // A loop, not a missing record: the advice is to fix the CNAME, not to publish a TXT record.
    expect([r.status, r.code]).toEqual(['fail', 'dns-cname-loop']);
    expect(r.message).toContain('CNAME loop: _mta-sts.loop.example → l1.loop.example → _mta-sts.loop.example');
    expect(r.message).not.toContain('publish');
  });

  it('reports SERVFAIL', async () => {
    await world.addDomain('servfail.example');
    world.dns.zone.set('_mta-sts.servfail.example', { servfail: true });
    const r = get(await check('servfail.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['fail', 'dns-servfail']);
  });

  it('reports a DNS timeout', async () => {
    await world.addDomain('dnstimeout.example');
    world.dns.zone.set('_mta-sts.dnstimeout.example', { silent: true });
    const r = get(await check('dnstimeout.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['fail', 'dns-timeout']);
  });

  it('accepts an answer that is slow but within the timeout', async () => {
    await world.addDomain('slowdns.example');
    world.dns.zone.set('_mta-sts.slowdns.example', { txt: ['v=STSv1; id=slow;'], delayMs: 150 });
    const r = get(await check('slowdns.example'), 'sts-record');
    expect([r.status, r.code]).toEqual(['pass', 'sts-record-ok']);
  });
});

describe('2. fetching the policy', () => {
  it('fails a 301 to a valid policy, reports the Location, and never follows it', async () => {
    let followed = 0;
    await world.addDomain('moved.example', {
      handler: (_req, res) => res.writeHead(301, { location: 'https://mta-sts.good.example/.well-known/mta-sts.txt' }).end(),
    });
    await world.addDomain('target.example');
    world.https.handlers.set('mta-sts.target.example', (_req, res) => {
      followed++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(policyFor(['mx.moved.example']));
    });
    const report = await check('moved.example');
    const r = get(report, 'policy-fetch');
    expect([r.status, r.code]).toEqual(['fail', 'policy-redirect']);
    expect(r.message).toContain('301 redirect to https://mta-sts.good.example/.well-known/mta-sts.txt');
    expect(r.evidence).toMatchObject({ status: 301, headers: { location: 'https://mta-sts.good.example/.well-known/mta-sts.txt' } });
    expect(get(report, 'policy-parse').code).toBe('policy-unavailable');
    expect(followed).toBe(0);
  });

  it('explains an SPA fallback that answers 200 text/html', async () => {
    await world.addDomain('spa.example', { handler: serve('<!DOCTYPE html><html><body><div id="app"></div></body></html>', 'text/html; charset=utf-8') });
    const report = await check('spa.example');
    expect(get(report, 'policy-fetch').code).toBe('policy-content-type');
    const parse = get(report, 'policy-parse');
    expect([parse.status, parse.code]).toEqual(['fail', 'policy-html']);
    expect(parse.message).toContain('your host served a web page, likely a fallback');
  });

  it('warns of a cookie set with the policy (App Service\'s ARRAffinity), naming only the cookie', async () => {
    await world.addDomain('cookie.example', {
      handler: (_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': ['ARRAffinity=0123abcd; Path=/; HttpOnly; Secure', 'ARRAffinitySameSite=0123abcd; SameSite=None'] }).end(policyFor(['mx.cookie.example'])),
    });
    const r = get(await check('cookie.example'), 'policy-fetch');
    expect([r.status, r.code]).toEqual(['warn', 'policy-sets-cookie']);
    expect(r.message).toContain('mta-sts.cookie.example sets a cookie with the policy (ARRAffinity, ARRAffinitySameSite); a policy host needs none');
    expect(r.message).not.toContain('0123abcd');
  });

  it('fails application/octet-stream even when the body is a valid policy', async () => {
    await world.addDomain('octet.example', { handler: serve(policyFor(['mx.octet.example']), 'application/octet-stream') });
    const report = await check('octet.example');
    const r = get(report, 'policy-fetch');
    expect([r.status, r.code]).toEqual(['fail', 'policy-content-type']);
    expect(r.message).toContain('"application/octet-stream"');
    expect(get(report, 'policy-parse').status).toBe('pass');
  });

  it('accepts text/plain with parameters, in any case', async () => {
    await world.addDomain('params.example', { handler: serve(policyFor(['mx.params.example']), 'Text/Plain; charset=us-ascii') });
    expect(get(await check('params.example'), 'policy-fetch').status).toBe('pass');
  });

  it('stops reading a 10 MB body at 64 KiB', async () => {
    let sent = 0;
    await world.addDomain('huge.example', {
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        const pump = (): void => {
          while (sent < 10 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => {});
        pump();
      },
    });
    const r = get(await check('huge.example'), 'policy-fetch');
    expect([r.status, r.code]).toEqual(['fail', 'policy-too-large']);
    expect(r.evidence).toMatchObject({ bytes: 65536, truncated: true });
    expect(sent).toBeLessThan(10 * 1024 * 1024);
  });

  it('gives up on a server that drips one byte a second, within the fetch time limit', async () => {
    const timers = new Set<NodeJS.Timeout>();
    await world.addDomain('drip.example', {
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const body = policyFor(['mx.drip.example']);
        let i = 0;
        const t = setInterval(() => (i < body.length ? res.write(body[i++]) : res.end()), 1000);
        timers.add(t);
        res.on('close', () => clearInterval(t));
      },
    });
    const started = performance.now();
    const r = get(await check('drip.example'), 'policy-fetch');
    const elapsed = performance.now() - started;
    for (const t of timers) clearInterval(t);
    expect([r.status, r.code]).toEqual(['fail', 'policy-timeout']);
    expect(r.message).toContain('HTTP 200');
    expect(elapsed).toBeLessThan(FAST.fetchMs + 2000);
  });

  it.each([
    ['expired', { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) }, 'policy-cert-expired'],
    ['self-signed', { selfSigned: true }, 'policy-cert-self-signed'],
    ['wrong-host', { names: ['www.example.net'] }, 'policy-cert-wrong-host'],
    ['two-label wildcard', { names: ['*.example'] }, 'policy-cert-wrong-host'],
  ] as const)('fails a %s certificate', async (label, cert, code) => {
    const domain = `${label.replace(/\W/g, '')}cert.example`;
    const names = 'names' in cert ? [...cert.names] : [`mta-sts.${domain}`];
    await world.addDomain(domain, { policyCert: await world.ca.issue({ ...cert, names }) });
    const r = get(await check(domain), 'policy-fetch');
    expect([r.status, r.code]).toEqual(['fail', code]);
  });

  it('accepts a wildcard certificate covering exactly one label', async () => {
    await world.addDomain('wild.example', { policyCert: await world.ca.issue({ names: ['*.wild.example'] }) });
    expect(get(await check('wild.example'), 'policy-fetch').status).toBe('pass');
  });

  it('fails a certificate from a CA nobody trusts', async () => {
    const other = await TestCA.create();
    await world.addDomain('otherca.example', { policyCert: await other.issue({ names: ['mta-sts.otherca.example'] }) });
    expect(get(await check('otherca.example'), 'policy-fetch').code).toBe('policy-cert-untrusted');
  });

  it('reports the Static Web Apps default certificate as pending; a warning with --allow-pending-cert', async () => {
    const swa = await world.ca.issue({ names: ['*.azurestaticapps.net', 'azurestaticapps.net'] });
    await world.addDomain('pending.example', { policyCert: swa });
    const failed = get(await check('pending.example'), 'policy-fetch');
    expect([failed.status, failed.code]).toEqual(['fail', 'policy-cert-pending']);
    expect(failed.message).toContain('certificate not issued yet for mta-sts.pending.example');
    const allowed = await check('pending.example', { allowPendingCert: true });
    expect([get(allowed, 'policy-fetch').status, get(allowed, 'policy-fetch').code]).toEqual(['warn', 'policy-cert-pending']);
    expect(allowed.status).toBe('warn');
  });

  it('reports a Function App\'s default *.azurewebsites.net certificate as pending too, naming it', async () => {
    const appService = await world.ca.issue({ names: ['*.azurewebsites.net', '*.scm.azurewebsites.net'] });
    await world.addDomain('fapending.example', { policyCert: appService });
    const failed = get(await check('fapending.example'), 'policy-fetch');
    expect([failed.status, failed.code]).toEqual(['fail', 'policy-cert-pending']);
    expect(failed.message).toContain('the server still presents the default *.azurewebsites.net certificate');
    const allowed = get(await check('fapending.example', { allowPendingCert: true }), 'policy-fetch');
    expect([allowed.status, allowed.code]).toEqual(['warn', 'policy-cert-pending']);
    // Any other certificate for the wrong host stays a failure.
    await world.addDomain('wrongcert.example', { policyCert: await world.ca.issue({ names: ['www.wrongcert.example'] }) });
    expect(get(await check('wrongcert.example', { allowPendingCert: true }), 'policy-fetch').code).toBe('policy-cert-wrong-host');
  });

  it('on a first deployment (certificate pending, TXT held back, SPA page served) only warns with --allow-pending-cert', async () => {
    const swa = await world.ca.issue({ names: ['*.azurestaticapps.net', 'azurestaticapps.net'] });
    const page = (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>hi');
    await world.addDomain('first.example', { policyCert: swa, stsTxt: [], handler: page });
    const config: Config = { domains: ['first.example'], policy: { mode: 'testing', mx: ['mx.first.example'], max_age: 86400 }, hosting: { kind: 'static-web-app', plan: 'standard' } };
    const strict = await check('first.example', { config });
    expect(strict.status).toBe('fail');
    const allowed = await check('first.example', { allowPendingCert: true, config });
    expect(allowed.status).toBe('warn');
    for (const name of ['sts-record', 'policy-fetch', 'policy-parse', 'mx-match', 'config'] as const) {
      expect(get(allowed, name).status, name).toBe('warn');
      expect(get(strict, name).status, name).toBe('fail');
    }
    expect(get(allowed, 'sts-record').message).toContain('expected while the certificate is pending');
  });

  it('keeps failing the checks a pending certificate does not explain', async () => {
    const swa = await world.ca.issue({ names: ['*.azurestaticapps.net', 'azurestaticapps.net'] });
    await world.addDomain('pendingbad.example', { policyCert: swa, mx: ['mx.pendingbad.example'], plainMx: ['mx.pendingbad.example'] });
    const r = await check('pendingbad.example', { allowPendingCert: true });
    expect(get(r, 'mx-starttls').status).toBe('fail');
    expect(r.status).toBe('fail');
  });

  describe('CAA (RFC 8659) of a host served by Azure: its managed certificate comes from DigiCert', () => {
    /** mta-sts.<domain> as a CNAME to a Static Web App, still on Azure's default certificate. */
    async function azureHosted(domain: string, caa: Record<string, { flags: number; tag: string; value: string }[]>): Promise<void> {
      const app = `app-${domain.replace(/\./g, '-')}.azurestaticapps.net`;
      world.dns.zone.set(app, { a: ['127.0.0.1'] });
      world.dns.zone.set(`mta-sts.${domain}`, { cname: app });
      const swa = await world.ca.issue({ names: ['*.azurestaticapps.net', 'azurestaticapps.net'] });
      await world.addDomain(domain, { policyCert: swa });
      for (const [name, records] of Object.entries(caa)) world.dns.zone.set(name, { ...world.dns.zone.get(name), caa: records });
    }

    it('fails with caa-blocks-certificate when the set forbids digicert.com, even with --allow-pending-cert, naming the record to add', async () => {
      await azureHosted('caa1.example', { 'caa1.example': [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }] });
      const r = await check('caa1.example', { allowPendingCert: true });
      const fetch = get(r, 'policy-fetch');
      expect([fetch.status, fetch.code]).toEqual(['fail', 'caa-blocks-certificate']);
      expect(fetch.message).toContain('the CAA records at caa1.example forbid digicert.com (it allows only letsencrypt.org), which issues Azure\'s managed certificate for mta-sts.caa1.example');
      expect(fetch.message).toContain('add caa1.example. CAA 0 issue "digicert.com"');
      expect(fetch.evidence?.caa).toEqual({ at: 'caa1.example', records: [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }] });
      expect(r.status).toBe('fail');
    });

    it('climbs from the name to the first node that has CAA records: the closest set decides', async () => {
      await azureHosted('eu.caa2.example', {
        'caa2.example': [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }],
        'eu.caa2.example': [{ flags: 0, tag: 'issue', value: 'digicert.com; cansignhttpexchanges=yes' }],
      });
      const allowed = get(await check('eu.caa2.example', { allowPendingCert: true }), 'policy-fetch');
      expect([allowed.status, allowed.code]).toEqual(['warn', 'policy-cert-pending']);
      expect(allowed.evidence?.caa).toMatchObject({ at: 'eu.caa2.example' });
      world.dns.zone.set('eu.caa2.example', { ...world.dns.zone.get('eu.caa2.example'), caa: [] });
      const blocked = get(await check('eu.caa2.example', { allowPendingCert: true }), 'policy-fetch');
      expect(blocked.code).toBe('caa-blocks-certificate');
      expect(blocked.message).toContain('add caa2.example. CAA 0 issue "digicert.com"');
    });

    it('says nothing about CAA for a host not served by Azure', async () => {
      await world.addDomain('caa3.example');
      world.dns.zone.set('caa3.example', { ...world.dns.zone.get('caa3.example'), caa: [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }] });
      const fetch = get(await check('caa3.example'), 'policy-fetch');
      expect([fetch.status, fetch.code]).toEqual(['pass', 'policy-fetch-ok']);
      expect(fetch.evidence?.caa).toBeUndefined();
    });
  });

  it('fails a 304 as a wrong status, not as a redirect', async () => {
    await world.addDomain('304.example', { handler: (_req, res) => res.writeHead(304).end() });
    const r = get(await check('304.example'), 'policy-fetch');
    expect([r.status, r.code]).toEqual(['fail', 'policy-http-status']);
    expect(r.message).toContain('HTTP 304');
    expect(r.message).not.toContain('redirect');
  });

  describe('a server that breaks the HTTP response after a good TLS handshake', () => {
    let server: TlsServer;
    const behaviour = new Map<string, (socket: TLSSocket) => void>();
    beforeAll(async () => {
      const fallback = await world.cert('mta-sts.fallback.example');
      server = createTlsServer({
        ...fallback,
        SNICallback: (name, cb) => void world.cert(name).then((pair) => cb(null, createSecureContext(pair))),
      }, (socket) => {
        socket.on('error', () => {});
        socket.once('data', () => behaviour.get(socket.servername || '')?.(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
    });
    const fetchFrom = async (domain: string, act: (socket: TLSSocket) => void): Promise<CheckResult> => {
      await world.addDomain(domain);
      behaviour.set(`mta-sts.${domain}`, act);
      const io = { ...world.io(), fetcher: createPolicyFetcher({ port: (server.address() as AddressInfo).port, ca: world.ca.certPem, timeoutMs: FAST.fetchMs }) };
      return get(await check(domain, { io }), 'policy-fetch');
    };

    it('reports a connection closed in the middle of the headers as a response failure, not TLS', async () => {
      const r = await fetchFrom('midheaders.example', (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/pl'));
      expect([r.status, r.code]).toEqual(['fail', 'policy-response-failed']);
      expect(r.message).toContain('the TLS handshake succeeded');
      expect(r.message).not.toMatch(/TLS handshake with .* failed/);
    });

    it('reports headers larger than the limit as such', async () => {
      const r = await fetchFrom('bigheaders.example', (socket) =>
        socket.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      expect([r.status, r.code]).toEqual(['fail', 'policy-headers-too-large']);
      expect(r.message).toContain('larger than 16 KiB');
    });
  });

  it('fails any status but 200', async () => {
    await world.addDomain('404.example', { handler: (_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('nope') });
    const r = get(await check('404.example'), 'policy-fetch');
    expect([r.status, r.code]).toEqual(['fail', 'policy-http-status']);
  });

  it('fails when the policy host has no address', async () => {
    await world.addDomain('noaddr.example');
    world.dns.zone.set('mta-sts.noaddr.example', {});
    const r = get(await check('noaddr.example'), 'policy-fetch');
    expect([r.status, r.code]).toEqual(['fail', 'policy-host-unresolved']);
  });

  describe('against a server limited to TLS 1.1', () => {
    let old: HttpsTestServer;
    beforeAll(async () => {
      old = await startHttps(await world.cert('mta-sts.oldtls.example'), { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    });
    afterAll(async () => {
      await old?.close();
    });
    it('fails with policy-tls-version', async () => {
      await world.addDomain('oldtls.example');
      const io = { ...world.io(), fetcher: createPolicyFetcher({ port: old.port, ca: world.ca.certPem, timeoutMs: FAST.fetchMs }) };
      const r = get(await check('oldtls.example', { io }), 'policy-fetch');
      expect([r.status, r.code]).toEqual(['fail', 'policy-tls-version']);
    });
  });
});

describe('3. parsing the policy', () => {
  it('reports syntax errors with line numbers', async () => {
    await world.addDomain('badpolicy.example', { policy: 'version: STSv1\r\nmode: enforced\r\nmx: mx.badpolicy.example\r\nmax_age: 604800\r\n' });
    const r = get(await check('badpolicy.example'), 'policy-parse');
    expect([r.status, r.code]).toEqual(['fail', 'policy-invalid']);
    expect(r.message).toMatch(/^line 2:\d+: /);
  });

  it('warns on mode none', async () => {
    await world.addDomain('none.example', { policy: policyFor(['mx.none.example'], 'none') });
    const r = get(await check('none.example'), 'policy-parse');
    expect([r.status, r.code]).toEqual(['warn', 'policy-mode-none']);
  });
});

describe('4. MX hosts against the policy', () => {
  it('names an MX outside the policy and suggests the pattern that would cover it', async () => {
    await world.addDomain('outside.example', { mx: ['mx1.mail.outside.example', 'backup.other.example'], policy: policyFor(['*.mail.outside.example']) });
    const report = await check('outside.example');
    const r = get(report, 'mx-match');
    expect([r.status, r.code]).toEqual(['fail', 'mx-not-in-policy']);
    expect(r.message).toBe('MX backup.other.example matches no policy mx pattern; add "*.other.example" to policy.mx');
    expect(r.evidence).toMatchObject({ mx: [{ host: 'mx1.mail.outside.example', pattern: '*.mail.outside.example' }, { host: 'backup.other.example', pattern: null }] });
  });

  it('says a null MX (RFC 7505) accepts no mail, and neither suggests a pattern nor cries bounce', async () => {
    await world.addDomain('nullmx.example', { mx: [], policy: policyFor(['*.nullmx.example']) });
    world.dns.zone.get('nullmx.example')!.mx = [{ exchange: '.', priority: 0 }];
    const report = await check('nullmx.example');
    for (const name of ['mx-match', 'mx-starttls'] as const) {
      const r = get(report, name);
      expect([r.status, r.code]).toEqual(['warn', 'mx-null']);
      expect(r.message).toContain('accepts no mail');
    }
    expect(get(report, 'exchange').code).toBe('exo-ok');
    expect(JSON.stringify(report)).not.toMatch(/add ""|WOULD BOUNCE/);
  });

  it('fails a null MX published next to real MX hosts, and still checks the real ones', async () => {
    await world.addDomain('mixednull.example');
    world.dns.zone.get('mixednull.example')!.mx!.push({ exchange: '.', priority: 0 });
    const report = await check('mixednull.example');
    const r = get(report, 'mx-match');
    expect([r.status, r.code]).toEqual(['fail', 'mx-null-mixed']);
    expect(r.message).not.toContain('add ""');
    expect(get(report, 'mx-starttls').code).toBe('mx-starttls-ok');
  });

  it('gives an MX that is an IP address no wildcard advice', async () => {
    await world.addDomain('ipmx.example', { mx: [], policy: policyFor(['mail.ipmx.example']) });
    world.dns.zone.get('ipmx.example')!.mx = [{ exchange: '192.0.2.43', priority: 10 }];
    const report = await check('ipmx.example');
    const r = get(report, 'mx-match');
    expect([r.status, r.code]).toEqual(['fail', 'mx-ip-address']);
    expect(r.message).toContain('is an IP address, not a host name');
    expect(r.message).not.toContain('*.0.2.43');
    expect(get(report, 'mx-starttls').code).toBe('mx-ip-address');
  });

  it('compares MX hosts and patterns as A-labels', () => {
    const policy = { version: 'STSv1', mode: 'enforce', mx: ['mx.bücher.example', '*.Straße.example'], maxAge: 86400, extensions: {} } as const;
    const mx = { ok: true as const, value: [{ host: 'mx.xn--bcher-kva.example', priority: 10 }, { host: 'mx1.xn--strae-oqa.example', priority: 20 }] };
    const r = checkMxMatch('bücher.example', mx, { ...policy, mx: [...policy.mx] }).result;
    expect([r.status, r.code]).toEqual(['pass', 'mx-match-ok']);
  });

  it('fails a domain without MX records', async () => {
    await world.addDomain('nomx.example', { mx: [] });
    const report = await check('nomx.example');
    expect(get(report, 'mx-match').code).toBe('mx-none');
    expect(get(report, 'mx-starttls').code).toBe('mx-none');
  });
});

describe('5. STARTTLS on every MX', () => {
  it('fails an MX that does not offer STARTTLS', async () => {
    await world.addDomain('plain.example', { policy: policyFor(['mx.plain.example'], 'testing'), plainMx: ['mx.plain.example'] });
    const r = get(await check('plain.example'), 'mx-starttls');
    expect([r.status, r.code]).toEqual(['fail', 'mx-no-starttls']);
    expect(r.evidence).toMatchObject({ hosts: [{ host: 'mx.plain.example', extensions: expect.not.arrayContaining(['STARTTLS']) }] });
  });

  it('fails an MX whose certificate does not name it', async () => {
    await world.addDomain('mxwrong.example');
    world.smtpCerts.set('mx.mxwrong.example', await world.ca.issue({ names: ['mail.someone-else.example'] }));
    const r = get(await check('mxwrong.example'), 'mx-starttls');
    expect([r.status, r.code]).toEqual(['fail', 'mx-cert-wrong-host']);
  });

  it('fails an MX with an expired certificate', async () => {
    await world.addDomain('mxexpired.example');
    world.smtpCerts.set('mx.mxexpired.example', await world.ca.issue({ names: ['mx.mxexpired.example'], notBefore: new Date(Date.now() - 9 * DAY), notAfter: new Date(Date.now() - DAY) }));
    const r = get(await check('mxexpired.example'), 'mx-starttls');
    expect([r.status, r.code]).toEqual(['fail', 'mx-cert-expired']);
  });

  it('warns when the MX certificate expires in under 14 days, and reports the expiry', async () => {
    await world.addDomain('mxsoon.example');
    world.smtpCerts.set('mx.mxsoon.example', await world.ca.issue({ names: ['mx.mxsoon.example'], notAfter: new Date(Date.now() + 5 * DAY) }));
    const r = get(await check('mxsoon.example'), 'mx-starttls');
    expect([r.status, r.code]).toEqual(['warn', 'mx-cert-expiring']);
    expect(r.message).toMatch(/in [45] days/);
  });

  it('fails an MX host without an address', async () => {
    await world.addDomain('mxnoaddr.example');
    world.dns.zone.set('mx.mxnoaddr.example', {});
    expect(get(await check('mxnoaddr.example'), 'mx-starttls').code).toBe('mx-unresolved');
  });
});

describe('5. hostile or broken SMTP servers', () => {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  async function raw(onConnection: (socket: Socket) => void): Promise<number> {
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
      onConnection(socket);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  const probeOn = async (domain: string, port: number): Promise<CheckResult> => {
    await world.addDomain(domain, { policy: policyFor([`mx.${domain}`], 'testing') });
    const io = { ...world.io(), smtp: createSmtpProbe({ port, ca: world.ca.certPem, stepTimeoutMs: 500 }) };
    return get(await check(domain, { io }), 'mx-starttls');
  };

  it('reports a server that accepts and never greets', async () => {
    const r = await probeOn('mute.example', await raw(() => {}));
    expect([r.status, r.code]).toEqual(['fail', 'mx-timeout']);
  });

  it('stops reading a server that floods continuation lines', async () => {
    const port = await raw((socket) => {
      const line = Buffer.from('220-' + 'x'.repeat(1000) + '\r\n');
      const pump = (): void => {
        while (!socket.destroyed && socket.write(line));
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    });
    const r = await probeOn('flood.example', port);
    expect([r.status, r.code]).toEqual(['fail', 'mx-smtp-error']);
    expect(r.message).toContain('more than 65536 bytes');
  });

  it('reports a refusing greeting', async () => {
    const r = await probeOn('refuse.example', await raw((socket) => socket.end('554 no service\r\n')));
    expect([r.status, r.code]).toEqual(['fail', 'mx-smtp-error']);
    expect(r.message).toContain('554');
  });

  it('reports a closed port', async () => {
    const port = await raw(() => {});
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const r = await probeOn('closed.example', port);
    expect([r.status, r.code]).toEqual(['fail', 'mx-connect-failed']);
    expect(r.message).toContain('where outbound port 25 is blocked');
  });

  it('reports STARTTLS refused after it was offered', async () => {
    const port = await raw((socket) => {
      socket.write('220 mx ESMTP\r\n');
      socket.on('data', (d) => {
        const text = d.toString();
        if (text.startsWith('EHLO')) socket.write('250-mx\r\n250 STARTTLS\r\n');
        else if (text.startsWith('STARTTLS')) socket.write('454 TLS not available\r\n');
      });
    });
    const r = await probeOn('tlsrefused.example', port);
    expect([r.status, r.code]).toEqual(['fail', 'mx-starttls-rejected']);
  });

  // A socket held open after QUIT keeps its TLS state (native memory) until the 1 s bound; at the default
  // concurrency those were a tenth of the checker's RSS (bench:check --rss).
  it('after STARTTLS and QUIT, closes its socket on the reply, not at the 1 s bound', async () => {
    // TCP sockets open in this process, both ends of every loopback connection.
    const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const smtp = await startSmtp({ starttls: true, defaultCert: await world.ca.issue({ names: ['mx.quit.example'] }) });
    try {
      const result = await createSmtpProbe({ port: smtp.port, ca: world.ca.certPem, stepTimeoutMs: 2000 }).probe({
        host: 'mx.quit.example',
        address: '127.0.0.1',
        signal: new AbortController().signal,
      });
      expect([result.error, result.tls?.chainTrusted]).toEqual([undefined, true]);
      const returned = performance.now();
      for (let i = 0; i < 60 && sockets() > before; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sockets()).toBe(before);
      expect(performance.now() - returned).toBeLessThan(800);
    } finally {
      await smtp.close();
    }
  });
});

describe('every address of a host, in turn, as senders try them', () => {
  // 127.0.0.2: nothing listens there, so connections are refused. 127.0.0.3: a black hole on the HTTPS
  // and SMTP ports, accepting connections and never answering.
  const DEAD = '127.0.0.2';
  const HOLE = '127.0.0.3';
  const holes: Server[] = [];
  const held = new Set<Socket>();
  beforeAll(async () => {
    for (const port of [world.https.port, world.smtp.port]) {
      const server = createServer((socket) => {
        held.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => held.delete(socket));
      });
      holes.push(server);
      await new Promise<void>((resolve) => server.listen(port, HOLE, resolve));
    }
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await Promise.all(holes.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  const addresses = (host: string, a: string[], aaaa: string[] = []): void => void world.dns.zone.set(host, { a, aaaa });

  it('fetches the policy from the next address when the first refuses', async () => {
    await world.addDomain('deadfirst.example');
    addresses('mta-sts.deadfirst.example', [DEAD, '127.0.0.1']);
    const report = await check('deadfirst.example');
    const r = get(report, 'policy-fetch');
    expect([r.status, r.code]).toEqual(['warn', 'policy-address-unreachable']);
    expect(r.message).toContain(`mta-sts.deadfirst.example (${DEAD}): connect ECONNREFUSED`);
    expect(r.evidence).toMatchObject({ addresses: [DEAD, '127.0.0.1'], attempts: [{ address: DEAD, error: { stage: 'connect' } }, { address: '127.0.0.1' }] });
    expect(get(report, 'policy-parse').status).toBe('pass');
    expect(report.status).toBe('warn');
  });

  it('tries the AAAA addresses first, then the A addresses', async () => {
    await world.addDomain('sixfirst.example');
    addresses('mta-sts.sixfirst.example', ['127.0.0.1'], ['::1']); // nothing listens on [::1]
    const r = get(await check('sixfirst.example'), 'policy-fetch');
    expect(r.evidence).toMatchObject({ addresses: ['::1', '127.0.0.1'], attempts: [{ address: '::1' }, { address: '127.0.0.1' }] });
    expect(r.code).toBe('policy-address-unreachable');
  });

  it('gives a black-hole address only its share of the deadline, then fetches from the next', async () => {
    await world.addDomain('holefirst.example');
    addresses('mta-sts.holefirst.example', [HOLE, '127.0.0.1']);
    const report = await check('holefirst.example', { timeoutMs: 3000 });
    const r = get(report, 'policy-fetch');
    expect([r.status, r.code]).toEqual(['warn', 'policy-address-unreachable']);
    expect(r.message).toContain(`(${HOLE}): no answer within 1.`);
    expect(get(report, 'policy-parse').status).toBe('pass');
  });

  it('moves on from an address that completes TLS and never answers the request, once its share is spent', async () => {
    const MUTE = '127.0.0.5';
    const open = new Set<TLSSocket>();
    const mute = createTlsServer({ ...(await world.cert('mta-sts.mutefirst.example')) }, (socket) => {
      open.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => mute.listen(world.https.port, MUTE, resolve));
    try {
      await world.addDomain('mutefirst.example');
      addresses('mta-sts.mutefirst.example', [MUTE, '127.0.0.1']);
      const report = await check('mutefirst.example', { timeoutMs: 3000 });
      const r = get(report, 'policy-fetch');
      expect([r.status, r.code]).toEqual(['warn', 'policy-address-unreachable']);
      expect(r.message).toContain(`(${MUTE}): no answer within 1.`);
      expect(get(report, 'policy-parse').status).toBe('pass');
    } finally {
      for (const socket of open) socket.destroy(); // never read from, they would not see the client's close
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('fails the fetch only when no address answers, naming each', async () => {
    await world.addDomain('alldead.example');
    addresses('mta-sts.alldead.example', [DEAD, '127.0.0.4']);
    const r = get(await check('alldead.example'), 'policy-fetch');
    expect([r.status, r.code]).toEqual(['fail', 'policy-connect-failed']);
    expect(r.message).toBe(`cannot reach mta-sts.alldead.example at any of its addresses (${DEAD}: ECONNREFUSED; 127.0.0.4: ECONNREFUSED)`);
  });

  it('delivers through the next address of an MX when the first refuses: a warning, no bounce', async () => {
    await world.addDomain('mxdeadfirst.example');
    addresses('mx.mxdeadfirst.example', [DEAD, '127.0.0.1']);
    const report = await check('mxdeadfirst.example');
    const r = get(report, 'mx-starttls');
    expect([r.status, r.code]).toEqual(['warn', 'mx-address-failed']);
    expect(r.message).toContain(`MX mx.mxdeadfirst.example at ${DEAD}: cannot connect to ${DEAD} on the SMTP port (ECONNREFUSED)`);
    expect(r.message).not.toContain('port 25 is blocked'); // another address connected, so port 25 is open
    expect(r.evidence).toMatchObject({ hosts: [{ host: 'mx.mxdeadfirst.example', address: '127.0.0.1', protocol: 'TLSv1.3', attempts: [{ address: DEAD, code: 'mx-connect-failed' }, { address: '127.0.0.1', ok: true }] }] });
    expect(get(report, 'exchange').code).toBe('exo-ok');
  });

  it('moves on from an MX address that accepts and never greets, within the deadline', async () => {
    await world.addDomain('mxholefirst.example');
    addresses('mx.mxholefirst.example', [HOLE, '127.0.0.1']);
    const report = await check('mxholefirst.example', { timeoutMs: 3000 });
    const r = get(report, 'mx-starttls');
    expect([r.status, r.code]).toEqual(['warn', 'mx-address-failed']);
    expect(r.message).toContain('its share of the deadline');
    expect(get(report, 'exchange').code).toBe('exo-ok');
  });

  it('fails an MX, and cries bounce under enforce, only when every address fails', async () => {
    await world.addDomain('mxalldead.example');
    addresses('mx.mxalldead.example', [DEAD, '127.0.0.4']);
    const report = await check('mxalldead.example');
    const r = get(report, 'mx-starttls');
    expect([r.status, r.code]).toEqual(['fail', 'mx-connect-failed']);
    expect(r.evidence).toMatchObject({ findings: [{ message: expect.stringContaining(`at ${DEAD}:`) }, { message: expect.stringContaining('at 127.0.0.4:') }] });
    expect(get(report, 'exchange').code).toBe('enforce-would-bounce');
  });
});

describe('6. TLS-RPT', () => {
  it('warns, not fails, when the record is missing', async () => {
    await world.addDomain('nortt.example', { tlsrptTxt: [] });
    const report = await check('nortt.example');
    const r = get(report, 'tlsrpt');
    expect([r.status, r.code]).toEqual(['warn', 'tlsrpt-missing']);
    expect(report.status).toBe('warn');
  });

  it('fails two v=TLSRPTv1 records', async () => {
    await world.addDomain('tworpt.example', { tlsrptTxt: ['v=TLSRPTv1; rua=mailto:a@tworpt.example', 'v=TLSRPTv1; rua=mailto:b@tworpt.example'] });
    expect(get(await check('tworpt.example'), 'tlsrpt').code).toBe('tlsrpt-multiple');
  });

  it('fails an invalid record', async () => {
    await world.addDomain('badrpt.example', { tlsrptTxt: ['v=TLSRPTv1; rua=ftp://reports.badrpt.example'] });
    const r = get(await check('badrpt.example'), 'tlsrpt');
    expect([r.status, r.code]).toEqual(['fail', 'tlsrpt-invalid']);
  });
});

describe('7. against the config', () => {
  function config(mode: string, domains = ['cfg.example']): Config {
    const text = `domains:\n${domains.map((d) => `  - ${d}\n`).join('')}policy:\n  mode: ${mode}\n  mx:\n    - "*.cfg.example"\n  max_age: 604800\n`;
    const result = parseConfig(text, 'mta-sts.config.yaml');
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.config;
  }
  const publish = async (policy: string, id: string): Promise<void> => {
    await world.addDomain('cfg.example', { mx: ['mx1.cfg.example'], policy, stsTxt: [`v=STSv1; id=${id};`] });
  };

  it('passes when the live bytes and id are what the build produces', async () => {
    const c = config('testing');
    await publish(policyText(c), effectiveId(c));
    const r = get(await check('cfg.example', { config: c }), 'config');
    expect([r.status, r.code]).toEqual(['pass', 'config-ok']);
  });

  it('fails a differing policy and names the RFC 8461 §8.1 order', async () => {
    const live = config('testing');
    const wanted = config('enforce');
    await publish(policyText(live), effectiveId(live));
    const r = get(await check('cfg.example', { config: wanted }), 'config');
    expect([r.status, r.code]).toEqual(['fail', 'config-policy-differs']);
    expect(r.message).toContain('line 2');
    expect(r.message).toContain(`deploy the new policy first, then change _mta-sts.cfg.example to id=${effectiveId(wanted)}`);
  });

  it('says to publish the id once the new policy is live', async () => {
    const c = config('enforce');
    await publish(policyText(c), 'oldid1');
    const r = get(await check('cfg.example', { config: c }), 'config');
    expect([r.status, r.code]).toEqual(['fail', 'config-id-differs']);
    expect(r.message).toContain(`"v=STSv1; id=${effectiveId(c)};"`);
  });

  it('flags an id changed before the policy', async () => {
    const live = config('testing');
    const wanted = config('enforce');
    await publish(policyText(live), effectiveId(wanted));
    expect(get(await check('cfg.example', { config: wanted }), 'config').code).toBe('config-id-before-policy');
  });

  it('warns about a domain the config does not list', async () => {
    await world.addDomain('stranger.example');
    expect(get(await check('stranger.example', { config: config('testing') }), 'config').code).toBe('config-domain-unknown');
  });
});

describe('8. Exchange Online', () => {
  it('refuses onmicrosoft.com domains', async () => {
    await world.addDomain('contoso.onmicrosoft.com');
    const r = get(await check('contoso.onmicrosoft.com'), 'exchange');
    expect([r.status, r.code]).toEqual(['fail', 'exo-onmicrosoft']);
  });

  it('names the missing Exchange Online pattern', async () => {
    await world.addDomain('exo.example', { mx: ['exo-example.mail.protection.outlook.com'], policy: policyFor(['mail.protection.outlook.com'], 'testing') });
    const r = get(await check('exo.example'), 'exchange');
    expect([r.status, r.code]).toEqual(['fail', 'exo-mx-pattern-missing']);
    expect(r.message).toContain('"*.mail.protection.outlook.com"');
  });

  it('explains that *.mx.microsoft does not cover DANE MX names', async () => {
    await world.addDomain('dane.example', { mx: ['dane-example.h-v1.mx.microsoft'], policy: policyFor(['*.mx.microsoft'], 'testing') });
    const r = get(await check('dane.example'), 'exchange');
    expect([r.status, r.code]).toEqual(['fail', 'exo-dane-pattern']);
    expect(r.message).toContain('use "*.h-v1.mx.microsoft"');
  });

  it('is loudest when an enforce policy meets an MX that fails: mail would bounce', async () => {
    await world.addDomain('bounce.example', { mx: ['mx.bounce.example'], plainMx: ['mx.bounce.example'] });
    const r = get(await check('bounce.example'), 'exchange');
    expect([r.status, r.code]).toEqual(['fail', 'enforce-would-bounce']);
    expect(r.message).toMatch(/^MAIL WOULD BOUNCE: .*mx\.bounce\.example fails STARTTLS/);
  });

  it('does not cry bounce in testing mode', async () => {
    await world.addDomain('nobounce.example', { mx: ['mx.nobounce.example'], plainMx: ['mx.nobounce.example'], policy: policyFor(['mx.nobounce.example'], 'testing') });
    const report = await check('nobounce.example');
    expect(get(report, 'exchange').code).toBe('exo-ok');
    expect(get(report, 'mx-starttls').code).toBe('mx-no-starttls');
  });

  it('counts an MX outside an enforce policy as bouncing too', async () => {
    await world.addDomain('bounce2.example', { mx: ['mx.bounce2.example', 'mx.elsewhere.example'], policy: policyFor(['mx.bounce2.example']) });
    const r = get(await check('bounce2.example'), 'exchange');
    expect(r.code).toBe('enforce-would-bounce');
    expect(r.message).toContain('mx.elsewhere.example matches no policy pattern');
  });
});

describe('the per-domain deadline', () => {
  it('ends a domain whose every server is silent, within the deadline', async () => {
    await world.addDomain('silent.example');
    for (const name of ['_mta-sts.silent.example', '_smtp._tls.silent.example', 'silent.example', 'mta-sts.silent.example']) {
      world.dns.zone.set(name, { silent: true });
    }
    const io = world.io({ dnsMs: 10_000, fetchMs: 10_000, smtpStepMs: 10_000 });
    const started = performance.now();
    const report = await check('silent.example', { io, timeoutMs: 700 });
    expect(performance.now() - started).toBeLessThan(700 + 1500);
    expect(report.status).toBe('fail');
    expect(get(report, 'sts-record').code).toBe('dns-timeout');
  });

  it('ends a domain whose HTTPS server accepts and never answers', async () => {
    await world.addDomain('hang.example', { handler: () => {} });
    const io = world.io({ dnsMs: 1000, fetchMs: 10_000, smtpStepMs: 10_000 });
    const started = performance.now();
    const report = await check('hang.example', { io, timeoutMs: 700 });
    expect(performance.now() - started).toBeLessThan(700 + 1500);
    expect(get(report, 'policy-fetch').code).toBe('policy-timeout');
  });
});
