// The pipeline gate: check --before-deploy refuses to set enforce wherever senders may hold another policy
// (a published _mta-sts TXT whose policy is testing, none, unreadable, or a TXT lookup that failed) unless
// the evidence is recent, about recent mail, for exactly the config's MX lines and not from a lab run. Only a
// domain with no _mta-sts TXT at all is a first deployment. Unit rules first, then the real commands against
// the loopback servers.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { runCommand } from '../../src/cli/main.ts';
import { promoteCommand } from '../../src/cli/promote.ts';
import { createDns } from '../../src/check/io.ts';
import type { DomainReport, LiveState } from '../../src/check/result.ts';
import { parseConfig, type Config } from '../../src/config/config.ts';
import { checkPromotionEvidence, type EvidenceFile } from '../../src/rollout/evidence.ts';
import type { Policy } from '../../src/rfc/policy.ts';
import { policyFor, World } from '../check/world.ts';
import { gz, policyEntry, policyLines, report, type Json } from '../tlsrpt/fixtures.ts';

const NOW = new Date('2026-03-15T12:00:00Z');
const policy = (mode: Policy['mode']): LiveState['policy'] => ({ ok: true, policy: { version: 'STSv1', mode, mx: ['*.contoso.example'], maxAge: 604800, extensions: {} } });
const published = (p: LiveState['policy']): LiveState => ({ record: { state: 'published' }, policy: p });
const unreadable: LiveState['policy'] = { ok: false, why: 'your host served a web page' };

function config(mode: string, mx = '*.contoso.example'): Config {
  const r = parseConfig(`domains: [contoso.example]\npolicy:\n  mode: ${mode}\n  mx: ["${mx}"]\n  max_age: 7d\n`, 'c.yaml');
  if (!r.ok) throw new Error('bad config');
  return r.config;
}

/** Evidence as promote writes it: the window ends the day before it was created. */
function evidence(created: string, over: Partial<Record<keyof EvidenceFile, unknown>> = {}): string {
  const end = new Date(Date.parse(created) - 86_400_000).toISOString().slice(0, 10);
  return JSON.stringify({
    version: 1, created, now: created.slice(0, 10), window: { start: '2000-01-01', end, days: 14 },
    policy: { mode: 'enforce', mx: ['*.contoso.example'] }, verdict: { status: 'ready', reasons: [] }, ...over,
  });
}
const gate = (o: { live: LiveState; config: Config; evidenceText?: string }) => checkPromotionEvidence({ ...o, evidenceFile: 'mta-sts.evidence.json', now: NOW });

describe('checkPromotionEvidence', () => {
  it('needs no evidence when the config is not enforce, the live policy is enforce, or no _mta-sts TXT exists', () => {
    expect(gate({ live: published(policy('testing')), config: config('testing') })).toMatchObject({ status: 'pass', code: 'evidence-not-needed' });
    expect(gate({ live: published(policy('enforce')), config: config('enforce') })).toMatchObject({ status: 'pass', message: 'no promotion evidence needed: the live policy is already enforce' });
    for (const p of [unreadable, policy('testing')]) {
      expect(gate({ live: { record: { state: 'absent' }, policy: p }, config: config('enforce') })).toMatchObject({
        status: 'pass', code: 'evidence-not-needed',
        message: 'no promotion evidence needed: no _mta-sts TXT record is published, so no sender holds a policy (a first deployment)',
      });
    }
  });

  it('blocks testing → enforce and none → enforce without an evidence file, and says to run promote', () => {
    expect(gate({ live: published(policy('testing')), config: config('enforce') })).toEqual({
      status: 'fail', code: 'enforce-without-evidence',
      message: 'this deploy would switch the live testing policy to enforce, but there is no mta-sts.evidence.json beside the config; run npx --no mta-sts promote --reports <folder of TLS-RPT reports>, commit the result and push',
    });
    expect(gate({ live: published(policy('none')), config: config('enforce') })).toMatchObject({
      status: 'fail', code: 'enforce-without-evidence', message: expect.stringContaining('switch the live none policy to enforce'),
    });
  });

  it('blocks a published TXT whose policy cannot be read, and a TXT lookup that failed: senders may hold an earlier policy', () => {
    expect(gate({ live: published(unreadable), config: config('enforce') })).toMatchObject({
      status: 'fail', code: 'enforce-over-unreadable-policy',
      message: expect.stringContaining('the _mta-sts TXT record is published and the live policy cannot be read (your host served a web page): senders may hold an earlier policy, so this is not a first deployment'),
    });
    expect(gate({ live: { record: { state: 'unknown', why: 'DNS lookup of TXT at _mta-sts.contoso.example timed out' }, policy: unreadable }, config: config('enforce') })).toMatchObject({
      status: 'fail', code: 'enforce-record-unknown', message: expect.stringContaining('the _mta-sts TXT lookup failed (DNS lookup of TXT at _mta-sts.contoso.example timed out), so senders may hold an earlier policy'),
    });
  });

  it('releases each of them with evidence for the same MX lines, at most 30 days old, about recent mail', () => {
    for (const live of [published(policy('testing')), published(policy('none')), published(unreadable), { record: { state: 'unknown', why: 'x' }, policy: unreadable } as LiveState]) {
      expect(gate({ live, config: config('enforce'), evidenceText: evidence('2026-02-14T12:00:00Z') })).toMatchObject({ status: 'pass', code: 'evidence-ok' });
    }
  });

  it('blocks evidence that is old, about old mail, from a lab run, for other MX lines, from the future, not ready, or unreadable', () => {
    const blocked = (text: string, live = published(policy('testing'))) => gate({ live, config: config('enforce'), evidenceText: text });
    expect(blocked(evidence('2026-02-13T11:00:00Z')).message).toContain('was created 2026-02-13T11:00:00Z, 30 days ago; it must be at most 30 days old');
    // promote --now <two years ago> before lab marking: today's created, an old window.
    expect(blocked(evidence('2026-03-14T09:00:00Z', { window: { start: '2024-02-15', end: '2024-02-28', days: 14 } })).message)
      .toContain('judged the reports of 2024-02-15 to 2024-02-28, which ended 744 days before it was created; the window must end at most 3 days before');
    expect(blocked(evidence('2026-03-14T09:00:00Z', { window: { start: '2026-02-24', end: '2026-03-09', days: 14 } })).message).toContain('ended 4 days before');
    expect(blocked(evidence('2026-03-14T09:00:00Z', { window: { start: '2026-02-24', end: '2026-03-11', days: 14 } })).code).toBe('evidence-ok');
    expect(blocked(evidence('2026-03-14T09:00:00Z', { window: undefined })).message).toContain('has no "window.end" day (YYYY-MM-DD)');
    expect(blocked(evidence('2026-03-14T09:00:00Z', { lab: { now: '2024-03-01', note: 'promote --now' } })).message).toContain('comes from a lab run (promote --now); such evidence never opens this gate');
    expect(blocked(evidence('2026-03-10T00:00:00Z', { policy: { mode: 'enforce', mx: ['*.mail.protection.outlook.com'] } })).message).toContain('was made for the MX lines *.mail.protection.outlook.com, not for *.contoso.example');
    expect(blocked(evidence('2026-04-10T00:00:00Z')).message).toContain('in the future');
    expect(blocked(evidence('2026-03-14T09:00:00Z', { verdict: { status: 'insufficient-data' } })).message).toContain('records the verdict insufficient-data, not ready, and no --force reason');
    expect(blocked(evidence('2026-03-14T09:00:00Z', { verdict: { status: 'insufficient-data' }, forced: { reason: 'CAB 42' } })).message).toContain('(forced: CAB 42)');
    expect(blocked('{"created": ').message).toContain('mta-sts.evidence.json is not valid JSON');
    expect(blocked('null').message).toContain('is not a JSON object');
    expect(blocked('{}').message).toContain('has no "created" time or "policy.mx" list');
    for (const text of [evidence('2026-02-13T11:00:00Z'), '{}']) expect(blocked(text).code).toBe('enforce-without-evidence');
    expect(blocked('{}', published(unreadable)).code).toBe('enforce-over-unreadable-policy');
  });
});

describe('check --before-deploy in the pipelines', () => {
  let world: World;
  beforeAll(async () => {
    world = await World.start();
    await world.addDomain('ok.example', { policy: policyFor(['*.ok.example'], 'testing') });
    await world.addDomain('none.example', { policy: policyFor(['*.none.example'], 'none') });
    await world.addDomain('live.example', { policy: policyFor(['*.live.example'], 'enforce') });
    // A first deployment: the site may be up or not, but no _mta-sts TXT yet.
    await world.addDomain('new.example', { handler: (_req, res) => { res.writeHead(404); res.end(); } });
    world.dns.zone.delete('_mta-sts.new.example');
    // Published TXT, policy host broken in each way a careless or hostile admin met.
    await world.addDomain('html.example', { policy: '<!doctype html><html><body>Welcome</body></html>' });
    world.https.handlers.set('mta-sts.html.example', (_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>Welcome</body></html>'); });
    await world.addDomain('down.example', { handler: (_req, res) => { res.writeHead(503); res.end(); } });
    await world.addDomain('syntax.example', { policy: 'version: STSv1\r\nmode: testing\r\nmx: *.syntax.example\r\nmax_age: soon\r\n' });
    await world.addDomain('nohost.example');
    world.dns.zone.delete('mta-sts.nohost.example');
    await world.addDomain('broken-txt.example', { stsTxt: ['v=STSv1; id=not valid!;'], handler: (_req, res) => { res.writeHead(404); res.end(); } });
    await world.addDomain('servfail.example');
    world.dns.zone.set('_mta-sts.servfail.example', { servfail: true });
  });
  afterAll(async () => { await world?.close(); });

  const clock = () => new Date();
  const io = (dir: string, sink: { out: string; err: string }): CommandIO => ({ out: (t) => void (sink.out += t), err: (t) => void (sink.err += t), cwd: dir, isTTY: false, env: {} });
  const worldIO = (o: { dnsServer?: string }, now = clock) => ({ ...world.io(undefined, now), dns: createDns({ server: o.dnsServer, timeoutMs: 400, tries: 1 }) });

  async function inProject<T>(domain: string, run: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'mta-sts-gate-'));
    try {
      await writeFile(join(dir, 'mta-sts.config.yaml'), `domains: [${domain}]\npolicy:\n  mode: enforce\n  mx: ["*.${domain}"]\n  max_age: 7d\n`);
      return await run(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function beforeDeploy(dir: string): Promise<{ code: number; evidence: DomainReport['checks'][number] }> {
    const sink = { out: '', err: '' };
    // The pipelines' arguments (azure-pipelines.yml, .github/workflows/deploy.yml), plus the loopback DNS server.
    const code = await runCommand(checkCommand({ io: (o) => worldIO(o) }), ['--before-deploy', '--config', 'mta-sts.config.yaml', '--json', '--dns-server', world.dns.address], io(dir, sink));
    const reports = JSON.parse(sink.out) as DomainReport[];
    return { code, evidence: reports[0]!.checks.find((c) => c.check === 'evidence')! };
  }

  async function deployGuard(domain: string, evidenceText?: string) {
    return inProject(domain, async (dir) => {
      if (evidenceText !== undefined) await writeFile(join(dir, 'mta-sts.evidence.json'), evidenceText);
      return beforeDeploy(dir);
    });
  }

  const fresh = (domain: string, mx = [`*.${domain}`]) => {
    const created = new Date().toISOString();
    return JSON.stringify({ version: 1, created, window: { start: '2000-01-01', end: created.slice(0, 10), days: 14 }, policy: { mode: 'enforce', mx }, verdict: { status: 'ready' } });
  };

  it('stops a deploy that switches the live testing or none policy to enforce without evidence', async () => {
    for (const domain of ['ok.example', 'none.example']) {
      const r = await deployGuard(domain);
      expect(r.code).toBe(1);
      expect(r.evidence).toMatchObject({ status: 'fail', code: 'enforce-without-evidence', message: expect.stringContaining('run npx --no mta-sts promote') });
    }
  });

  it('lets it through with fresh evidence for the same MX lines, and stops it when the MX lines differ', async () => {
    expect((await deployGuard('ok.example', fresh('ok.example'))).code).toBe(0);
    expect((await deployGuard('ok.example', fresh('ok.example', ['mx.ok.example']))).code).toBe(1);
  });

  it('does not gate a first deployment (no _mta-sts TXT at all), nor a policy that is enforce already', async () => {
    for (const domain of ['new.example', 'live.example']) {
      expect((await deployGuard(domain)).evidence).toMatchObject({ status: 'pass', code: 'evidence-not-needed' });
    }
  });

  it('stops enforce over a published TXT whose policy host serves HTML, answers 503, serves a broken policy or does not resolve', async () => {
    const why: Record<string, string> = {
      'html.example': 'text/html',
      'down.example': 'HTTP 503',
      'syntax.example': 'max_age',
      'nohost.example': 'mta-sts.nohost.example',
      'broken-txt.example': 'HTTP 404',
    };
    for (const [domain, reason] of Object.entries(why)) {
      const r = await deployGuard(domain);
      expect(r.code, domain).toBe(1);
      expect(r.evidence, domain).toMatchObject({ status: 'fail', code: 'enforce-over-unreadable-policy', message: expect.stringContaining('senders may hold an earlier policy') });
      expect(r.evidence.message, domain).toContain(reason);
      expect((await deployGuard(domain, fresh(domain))).evidence.code, domain).toBe('evidence-ok');
    }
  });

  it('stops enforce when the _mta-sts lookup fails: unknown is not "none"', async () => {
    const r = await deployGuard('servfail.example');
    expect(r.evidence).toMatchObject({ status: 'fail', code: 'enforce-record-unknown', message: expect.stringContaining('SERVFAIL') });
  });

  it('never accepts evidence from promote --now two years ago, which judged mail of that time', async () => {
    await inProject('ok.example', async (dir) => {
      await writeFile(join(dir, 'mta-sts.config.yaml'), 'domains: [ok.example]\npolicy:\n  mode: testing\n  mx: ["*.ok.example"]\n  max_age: 7d\n');
      await mkdir(join(dir, 'reports'));
      const reports: Json[] = [];
      for (let i = 1; i <= 10; i++) {
        const day = new Date(Date.parse('2024-12-01T00:00:00Z') - i * 86_400_000).toISOString().slice(0, 10);
        for (const org of ['Google Inc.', 'Microsoft Corporation']) {
          reports.push(report({ org, day, id: `${org}-${day}`, policies: [policyEntry({ domain: 'ok.example', successful: 10, policyString: policyLines('testing', ['*.ok.example']) })] }));
        }
      }
      await Promise.all(reports.map((r, i) => writeFile(join(dir, 'reports', `r${i}.json.gz`), gz(r))));
      const sink = { out: '', err: '' };
      const promoted = await runCommand(promoteCommand({ io: (o) => worldIO(o) }), ['--reports', 'reports', '--now', '2024-12-01', '--dns-server', world.dns.address], io(dir, sink));
      expect(promoted, sink.err).toBe(0);
      expect(sink.err).toContain("mta-sts promote: --now 2024-12-01: mta-sts.evidence.json is marked as a lab run's; check --before-deploy never accepts it");
      const written = JSON.parse(await readFile(join(dir, 'mta-sts.evidence.json'), 'utf8')) as EvidenceFile;
      expect(written.lab).toMatchObject({ now: '2024-12-01' });
      expect(written.window.end).toBe('2024-11-30');

      const gateRun = await beforeDeploy(dir);
      expect(gateRun.code).toBe(1);
      expect(gateRun.evidence).toMatchObject({ code: 'enforce-without-evidence', message: expect.stringContaining('comes from a lab run') });
      // The same file with the lab mark taken out by hand: its window still gives it away.
      const { lab: _lab, ...unmarked } = written;
      await writeFile(join(dir, 'mta-sts.evidence.json'), JSON.stringify(unmarked));
      expect((await beforeDeploy(dir)).evidence.message).toMatch(/judged the reports of 2024-11-17 to 2024-11-30, which ended \d+ days before it was created/);
    });
  });

  it('reads the evidence as a regular file only: a FIFO in its place is refused, not waited on', async () => {
    await inProject('ok.example', async (dir) => {
      const { execFileSync } = await import('node:child_process');
      execFileSync('mkfifo', [join(dir, 'mta-sts.evidence.json')]);
      const r = await beforeDeploy(dir);
      expect(r.evidence).toMatchObject({ status: 'fail', code: 'evidence-unreadable', message: 'mta-sts.evidence.json: a named pipe (FIFO), not a regular file; not read' });
    });
  });
});

describe('docs/check.md states the gate as the code applies it', () => {
  it('lists exactly the codes checkPromotionEvidence and the evidence check answer with, and the same limits', async () => {
    const readme = await readFile(new URL('../../docs/check.md', import.meta.url), 'utf8');
    const start = readme.indexOf('## The deploy gate (`check --before-deploy`)');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const codes = [...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
    const { GATE_CODES, EVIDENCE_MAX_AGE_DAYS, EVIDENCE_MAX_WINDOW_LAG_DAYS } = await import('../../src/rollout/evidence.ts');
    expect(codes.sort()).toEqual(Object.keys(GATE_CODES).sort());
    expect(section).toContain(`at most ${EVIDENCE_MAX_AGE_DAYS} days ago`);
    expect(section).toContain(`ends at most ${EVIDENCE_MAX_WINDOW_LAG_DAYS} days before it`);
  });
});
