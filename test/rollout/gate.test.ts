// The pipeline gate: check --before-deploy refuses to switch a live testing policy to enforce without
// recent promotion evidence for exactly the config's MX lines. Unit rules first, then the real command
// against the loopback servers.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { runCommand } from '../../src/cli/main.ts';
import { createDns } from '../../src/check/io.ts';
import type { DomainReport } from '../../src/check/result.ts';
import { parseConfig, type Config } from '../../src/config/config.ts';
import { checkPromotionEvidence } from '../../src/rollout/evidence.ts';
import type { Policy } from '../../src/rfc/policy.ts';
import { policyFor, World } from '../check/world.ts';

const NOW = new Date('2026-03-15T12:00:00Z');
const live = (mode: Policy['mode']): Policy => ({ version: 'STSv1', mode, mx: ['*.contoso.example'], maxAge: 604800, extensions: {} });

function config(mode: string, mx = '*.contoso.example'): Config {
  const r = parseConfig(`domains: [contoso.example]\npolicy:\n  mode: ${mode}\n  mx: ["${mx}"]\n  max_age: 7d\n`, 'c.yaml');
  if (!r.ok) throw new Error('bad config');
  return r.config;
}

const evidence = (created: string, mx = ['*.contoso.example']) => JSON.stringify({ version: 1, created, policy: { mode: 'enforce', mx }, verdict: { status: 'ready' } });
const gate = (o: { livePolicy?: Policy; config: Config; evidenceText?: string }) => checkPromotionEvidence({ ...o, evidenceFile: 'mta-sts.evidence.json', now: NOW });

describe('checkPromotionEvidence', () => {
  it('is not needed unless a live testing policy would become enforce', () => {
    expect(gate({ livePolicy: live('testing'), config: config('testing') })).toMatchObject({ status: 'pass', code: 'evidence-not-needed' });
    expect(gate({ livePolicy: live('enforce'), config: config('enforce') })).toMatchObject({ status: 'pass', message: 'no promotion evidence needed: the live policy is already enforce' });
    expect(gate({ config: config('enforce') })).toMatchObject({ status: 'pass', message: 'no promotion evidence needed: no live policy could be fetched (a first deployment)' });
  });

  it('blocks testing → enforce without an evidence file, and says to run promote', () => {
    expect(gate({ livePolicy: live('testing'), config: config('enforce') })).toEqual({
      status: 'fail', code: 'enforce-without-evidence',
      message: 'this deploy would switch the live testing policy to enforce, but there is no mta-sts.evidence.json beside the config; run npx mta-sts promote --reports <folder of TLS-RPT reports>, commit the result and push',
    });
  });

  it('releases it with evidence for the same MX lines, at most 30 days old', () => {
    expect(gate({ livePolicy: live('testing'), config: config('enforce'), evidenceText: evidence('2026-02-14T12:00:00Z') })).toMatchObject({ status: 'pass', code: 'evidence-ok' });
  });

  it('blocks evidence older than 30 days, for other MX lines, from the future, or unreadable', () => {
    const blocked = (text: string) => gate({ livePolicy: live('testing'), config: config('enforce'), evidenceText: text });
    expect(blocked(evidence('2026-02-13T11:00:00Z')).message).toContain('was created 2026-02-13T11:00:00Z, 30 days ago; it must be at most 30 days old');
    expect(blocked(evidence('2026-03-10T00:00:00Z', ['*.mail.protection.outlook.com'])).message).toContain('was made for the MX lines *.mail.protection.outlook.com, not for *.contoso.example');
    expect(blocked(evidence('2026-04-10T00:00:00Z')).message).toContain('in the future');
    expect(blocked('{"created": ').message).toContain('mta-sts.evidence.json is not valid JSON');
    expect(blocked('{}').message).toContain('has no "created" time or "policy.mx" list');
    for (const text of [evidence('2026-02-13T11:00:00Z'), '{}']) expect(blocked(text).code).toBe('enforce-without-evidence');
  });
});

describe('check --before-deploy in the pipelines', () => {
  let world: World;
  beforeAll(async () => {
    world = await World.start();
    await world.addDomain('ok.example', { policy: policyFor(['*.ok.example'], 'testing') });
    await world.addDomain('new.example', { handler: (_req, res) => { res.writeHead(404); res.end(); } });
  });
  afterAll(async () => { await world?.close(); });

  async function deployGuard(domain: string, evidenceText?: string): Promise<{ code: number; out: string; reports: DomainReport[] }> {
    const dir = await mkdtemp(join(tmpdir(), 'mta-sts-gate-'));
    try {
      await writeFile(join(dir, 'mta-sts.config.yaml'), `domains: [${domain}]\npolicy:\n  mode: enforce\n  mx: ["*.${domain}"]\n  max_age: 7d\n`);
      if (evidenceText !== undefined) await writeFile(join(dir, 'mta-sts.evidence.json'), evidenceText);
      let out = '';
      const io: CommandIO = { out: (t) => void (out += t), err: () => undefined, cwd: dir, isTTY: false, env: {} };
      const command = checkCommand({ io: (o) => ({ ...world.io(), dns: createDns({ server: o.dnsServer, timeoutMs: 400, tries: 1 }) }) });
      // The pipelines' arguments (azure-pipelines.yml, .github/workflows/deploy.yml), plus the loopback DNS server.
      const code = await runCommand(command, ['--before-deploy', '--config', 'mta-sts.config.yaml', '--json', '--dns-server', world.dns.address], io);
      return { code, out, reports: JSON.parse(out) as DomainReport[] };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('stops a deploy that switches the live testing policy to enforce without evidence', async () => {
    const r = await deployGuard('ok.example');
    expect(r.code).toBe(1);
    expect(r.reports[0]!.checks.find((c) => c.check === 'evidence')).toMatchObject({ status: 'fail', code: 'enforce-without-evidence' });
    expect(r.reports[0]!.checks.find((c) => c.check === 'evidence')!.message).toContain('run npx mta-sts promote');
  });

  it('lets it through with fresh evidence for the same MX lines, and stops it when the MX lines differ', async () => {
    const fresh = new Date().toISOString();
    const ok = await deployGuard('ok.example', JSON.stringify({ created: fresh, policy: { mode: 'enforce', mx: ['*.ok.example'] } }));
    expect(ok.code).toBe(0);
    const other = await deployGuard('ok.example', JSON.stringify({ created: fresh, policy: { mode: 'enforce', mx: ['mx.ok.example'] } }));
    expect(other.code).toBe(1);
  });

  it('does not gate a first deployment, whose policy cannot be fetched yet', async () => {
    const r = await deployGuard('new.example');
    expect(r.reports[0]!.checks.find((c) => c.check === 'evidence')).toMatchObject({ status: 'pass', code: 'evidence-not-needed' });
  });
});
