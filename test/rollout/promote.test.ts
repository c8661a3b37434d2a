// `mta-sts promote` and `mta-sts retire` end to end, against the loopback DNS/HTTPS/SMTP servers of
// test/check/world.ts: the evidence rules, the live bounce guard that --force never overrides, and what is
// written (config with comments kept, home/, mta-sts.evidence.json).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { createDns } from '../../src/check/io.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { runCommand } from '../../src/cli/main.ts';
import { promoteCommand } from '../../src/cli/promote.ts';
import { command as retireCommand } from '../../src/cli/retire.ts';
import type { EvidenceFile } from '../../src/rollout/evidence.ts';
import { FAST, policyFor, World } from '../check/world.ts';
import { detail, gz, policyEntry, policyLines, report, type Json } from '../tlsrpt/fixtures.ts';

const NOW = '2026-03-15';
const CONFIG = [
  '# MTA-STS for our mail domains',
  'domains:',
  '  - ok.example',
  'policy:',
  '  mode: testing   # testing -> enforce once TLS-RPT reports are clean',
  '  mx:',
  '    - "*.ok.example"',
  '  max_age: 7d     # a week',
  '',
].join('\n');

let world: World;
let dir: string;

beforeAll(async () => {
  world = await World.start();
  await world.addDomain('ok.example', { mx: ['mx.ok.example'], policy: policyFor(['*.ok.example'], 'testing') });
  await world.addDomain('plain.example', { mx: ['mx.plain.example'], plainMx: ['mx.plain.example'], policy: policyFor(['*.plain.example'], 'testing') });
});
afterAll(async () => { await world?.close(); });
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mta-sts-promote-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function run(command: 'promote' | 'retire', args: string[]) {
  let out = '';
  let err = '';
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), cwd: dir, isTTY: false, env: {} };
  const cmd = command === 'retire' ? retireCommand : promoteCommand({
    io: (o) => ({ ...world.io(FAST, () => new Date(`${NOW}T12:00:00Z`)), dns: createDns({ server: o.dnsServer, timeoutMs: 400, tries: 1 }) }),
  });
  const code = await runCommand(cmd, args, io);
  return { code, out, err };
}

const dns = () => ['--dns-server', world.dns.address];

/** Reports for `domain` on days 1..days before NOW from Google and Microsoft, 10 sessions each. */
async function writeReports(domain: string, days: number, extra: Json[] = []): Promise<void> {
  await mkdir(join(dir, 'reports'), { recursive: true });
  const all: Json[] = [...extra];
  for (let i = 1; i <= days; i++) {
    const day = new Date(Date.parse(`${NOW}T00:00:00Z`) - i * 86_400_000).toISOString().slice(0, 10);
    for (const org of ['Google Inc.', 'Microsoft Corporation']) {
      all.push(report({ org, day, id: `${org}-${day}`, policies: [policyEntry({ domain, successful: 10, policyString: policyLines('testing', [`*.${domain}`]) })] }));
    }
  }
  await Promise.all(all.map((r, i) => writeFile(join(dir, 'reports', `r${String(i).padStart(3, '0')}.json.gz`), gz(r))));
}

async function writeConfig(text = CONFIG): Promise<void> {
  await writeFile(join(dir, 'mta-sts.config.yaml'), text);
}

const exists = (p: string) => stat(join(dir, p)).then(() => true, () => false);

describe('mta-sts promote', () => {
  it('promotes on enough evidence and a passing live check: mode enforce with comments kept, home/ rebuilt, evidence written', async () => {
    await writeConfig();
    await writeReports('ok.example', 10);
    const r = await run('promote', ['--reports', 'reports', ...dns()]);
    expect(r.err).toBe(`mta-sts promote: override in force: --dns-server ${world.dns.address}: every DNS lookup goes to ${world.dns.address}, not to the system's resolvers; verdicts are what that server answers, which need not be what senders see\n`);
    expect(r.code).toBe(0);
    expect(r.out).toContain('verdict for mta-sts.config.yaml (window 2026-03-01 to 2026-03-14): ready');
    expect(r.out).toContain('Promoted: mta-sts.config.yaml now says mode: enforce');
    expect(await readFile(join(dir, 'mta-sts.config.yaml'), 'utf8')).toBe(CONFIG.replace('mode: testing', 'mode: enforce'));
    expect(await readFile(join(dir, 'home/.well-known/mta-sts.txt'), 'utf8')).toBe('version: STSv1\r\nmode: enforce\r\nmx: *.ok.example\r\nmax_age: 604800\r\n');

    const evidence = JSON.parse(await readFile(join(dir, 'mta-sts.evidence.json'), 'utf8')) as EvidenceFile;
    expect(evidence).toMatchObject({
      version: 1, now: NOW, window: { start: '2026-03-01', end: '2026-03-14', days: 14 },
      policy: { mode: 'enforce', mx: ['*.ok.example'], max_age: 604800 }, verdict: { status: 'ready', reasons: [] },
    });
    expect(evidence.forced).toBeUndefined();
    expect(evidence.created).toBe(`${NOW}T12:00:00.000Z`); // the live check's clock, the day judged
    expect(evidence.lab).toBeUndefined();
    expect(evidence.domains[0]).toMatchObject({ domain: 'ok.example', successful: 200, organizations: ['Google Inc.', 'Microsoft Corporation'] });
    expect(evidence.reports).toHaveLength(20);
    const first = evidence.reports[0]!;
    expect(first.file).toBe('reports/r000.json.gz');
    expect(first.sha256).toBe(createHash('sha256').update(await readFile(join(dir, first.file))).digest('hex'));
  });

  it('refuses on too little evidence and changes nothing; --force --reason promotes and records the reason', async () => {
    await writeConfig();
    await writeReports('ok.example', 4);
    const refused = await run('promote', ['--reports', 'reports', ...dns()]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('insufficient-data\n  1. ok.example: sts reports on 4 distinct day(s)');
    expect(refused.err).toContain('mta-sts promote: not promoted: the reports do not show enforce is safe (insufficient-data).');
    expect(await readFile(join(dir, 'mta-sts.config.yaml'), 'utf8')).toBe(CONFIG);
    expect(await exists('home')).toBe(false);
    expect(await exists('mta-sts.evidence.json')).toBe(false);

    const forced = await run('promote', ['--reports', 'reports', '--force', '--reason', 'CAB-1234: only Google sends us mail', ...dns()]);
    expect(forced.code).toBe(0);
    expect(forced.out).toContain('Promoted (forced: CAB-1234: only Google sends us mail)');
    const evidence = JSON.parse(await readFile(join(dir, 'mta-sts.evidence.json'), 'utf8')) as EvidenceFile;
    expect(evidence.forced).toEqual({ reason: 'CAB-1234: only Google sends us mail' });
    expect(evidence.verdict.status).toBe('insufficient-data');
  });

  it('refuses on a recent certificate failure at a covered MX (not-ready)', async () => {
    await writeConfig();
    const failure = report({ org: 'Google Inc.', day: '2026-03-12', id: 'bad', policies: [policyEntry({ domain: 'ok.example', successful: 0, policyString: policyLines('testing', ['*.ok.example']), details: [detail({ resultType: 'certificate-expired', count: 3, mx: 'mx.ok.example' })] })] });
    await writeReports('ok.example', 10, [failure]);
    const r = await run('promote', ['--reports', 'reports', ...dns()]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('not-ready\n  1. ok.example: 3 session(s) failed in the last 7 days');
    expect(await readFile(join(dir, 'mta-sts.config.yaml'), 'utf8')).toBe(CONFIG);
  });

  it('never overrides the live bounce guard, not even with --force: an MX without STARTTLS stops it', async () => {
    const config = CONFIG.replaceAll('ok.example', 'plain.example');
    await writeConfig(config);
    await writeReports('plain.example', 10);
    const r = await run('promote', ['--reports', 'reports', '--force', '--reason', 'we are sure', ...dns()]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('[mx-no-starttls]');
    expect(r.err).toContain('not promoted: the live check says an enforce policy would bounce mail (see the findings); --force never overrides this.');
    expect(await readFile(join(dir, 'mta-sts.config.yaml'), 'utf8')).toBe(config);
    expect(await exists('mta-sts.evidence.json')).toBe(false);
  });

  it('changes nothing when the evidence file cannot be written', async () => {
    await writeConfig();
    await writeReports('ok.example', 10);
    await mkdir(join(dir, 'mta-sts.evidence.json')); // a folder in the way: the rename would fail, so nothing starts
    const r = await run('promote', ['--reports', 'reports', ...dns()]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^mta-sts promote: not promoted: mta-sts\.evidence\.json is a folder, where promote writes a file; move it away and run promote again; mta-sts\.config\.yaml is unchanged\.$/m);
    expect(await readFile(join(dir, 'mta-sts.config.yaml'), 'utf8')).toBe(CONFIG);
    expect(await exists('home')).toBe(false); // nothing was built either
    expect(await exists('.mta-sts.change.json')).toBe(false);
  });

  it('refuses a config that is not in testing', async () => {
    await writeConfig(CONFIG.replace('mode: testing', 'mode: enforce'));
    await writeReports('ok.example', 10);
    const r = await run('promote', ['--reports', 'reports', ...dns()]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('mta-sts.config.yaml is already in enforce mode; nothing to promote');
  });

  it('exits 1, changing nothing, when a --reports path does not exist', async () => {
    await writeConfig();
    const r = await run('promote', ['--reports', 'reprots', ...dns()]);
    expect(r.code).toBe(1);
    expect(r.err.split('\n').filter((l) => !l.includes('override in force'))).toEqual(['mta-sts promote: reprots: no such file or folder', '']);
    expect(await readFile(join(dir, 'mta-sts.config.yaml'), 'utf8')).toBe(CONFIG);
  });

  it.each([
    [[], '--reports PATH is required'],
    [['--reports', 'reports', '--force'], '--force needs --reason TEXT'],
    [['--reports', 'reports', '--reason', 'x'], '--reason goes with --force'],
    [['--reports', 'reports', '--now', 'soon'], '--now must be a date'],
    [['--reports', 'reports', '--dns-server', 'dns.example'], '--dns-server must be an IP address'],
  ])('exits 2 for %j', async (args, message) => {
    await writeConfig();
    const r = await run('promote', args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(await readFile(join(dir, 'mta-sts.config.yaml'), 'utf8')).toBe(CONFIG);
  });
});

describe('mta-sts retire', () => {
  it('switches to mode none with max_age 1d (comments kept), rebuilds home/ and says when the records may go', async () => {
    await writeConfig(CONFIG.replace('mode: testing', 'mode: enforce'));
    const r = await run('retire', []);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'mta-sts.config.yaml'), 'utf8')).toBe(CONFIG.replace('mode: testing', 'mode: none').replace('max_age: 7d', 'max_age: 1d'));
    expect(await readFile(join(dir, 'home/.well-known/mta-sts.txt'), 'utf8')).toBe('version: STSv1\r\nmode: none\r\nmx: *.ok.example\r\nmax_age: 86400\r\n');
    expect(r.out).toContain('for the old max_age, 7 days\n     (604800 s) after that deploy');
    expect(r.out).toContain('RFC 8461 §8.3');
  });

  it('exits 1 for a missing config and 2 for an unknown option', async () => {
    expect((await run('retire', [])).code).toBe(1);
    expect((await run('retire', ['--now', NOW])).code).toBe(2);
  });
});
