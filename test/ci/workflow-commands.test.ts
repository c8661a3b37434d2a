// The one output sink (src/ci/sink.ts): a workflow command in text from elsewhere — a DNS record, an HTTP
// header, a TLS-RPT sender's name — never reaches an Azure Pipelines or GitHub Actions runner as a command,
// on stdout or stderr, in check, reports, azure bind and azure publish-dns; the program's own annotations do.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { main, runCommand } from '../../src/cli/main.ts';
import { createDns } from '../../src/check/io.ts';
import { annotation } from '../../src/ci/annotations.ts';
import { guardedWriter } from '../../src/ci/sink.ts';
import { serve } from '../check/servers.ts';
import { policyFor, World } from '../check/world.ts';
import { AzureWorld, DNS_RG, POLICY } from '../azure/harness.ts';
import { gz, policyEntry, report } from '../tlsrpt/fixtures.ts';

// What GitHub (`::` at a line's start, `##[` anywhere) and Azure (`##vso[` anywhere) would act on.
const FORGED = 'x##[stop-commands]tok ##vso[task.complete result=Succeeded;]';
const ENVS = [{ GITHUB_ACTIONS: 'true' }, { TF_BUILD: 'True' }, {}];

/** No command a runner would act on is left, except the annotations this program wrote itself. */
function inert(text: string): void {
  expect(text).not.toContain('##[');
  for (const line of text.split('\n')) {
    if (/^\s*::/.test(line)) expect(line).toMatch(/^::(warning|error)( title=[^:]*)?::/);
    const at = line.indexOf('##vso[');
    if (at >= 0) {
      expect(at).toBe(0);
      expect(line).toMatch(/^##vso\[task\.(logissue type=(warning|error)|complete result=SucceededWithIssues;|uploadsummary)\]/);
    }
  }
}

describe('the sink', () => {
  it('lets only its own commands through, at the start of a line, once each', () => {
    let out = '';
    const write = guardedWriter((t) => void (out += t));
    const ours = annotation('github', 'warning', undefined, `quoted ${FORGED}`);
    write(`${ours}\n`);
    write('::error::forged\n  ::warning::indented\nplain ##[group]x\n');
    write(`${ours}\n`); // printed a second time, it was not built a second time
    write('no newline, then ');
    write('::add-mask::x\n');
    expect(out.split('\n')).toEqual([
      ours, '\\u003a:error::forged', '  \\u003a:warning::indented', 'plain ##\\u005bgroup]x', `\\u003a${ours.slice(1)}`, 'no newline, then ::add-mask::x', '',
    ]);
    expect(ours).not.toContain('##[');
    inert(out);
  });
});

describe('in the commands', () => {
  let world: World;
  let azure: AzureWorld;
  let dir: string;
  beforeAll(async () => {
    world = await World.start();
    await world.addDomain('gh.example', { stsTxt: [`v=STSv1; id=${FORGED};`] });
    azure = await AzureWorld.start();
    dir = await mkdtemp(join(tmpdir(), 'mta-sts-sink-'));
  });
  afterAll(async () => {
    await world?.close();
    await azure?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(ENVS)('check (%o): the record is quoted inert in text and --json (same value in JSON)', async (env) => {
    for (const json of [false, true]) {
      let out = '';
      let err = '';
      const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), cwd: dir, isTTY: false, env };
      const command = checkCommand({ io: (o) => ({ ...world.io(), dns: createDns({ server: o.dnsServer, timeoutMs: 400, tries: 1 }) }) });
      expect(await runCommand(command, ['gh.example', '--dns-server', world.dns.address, ...(json ? ['--json'] : [])], io)).toBe(1);
      inert(out);
      inert(err);
      if (json) expect(JSON.stringify(JSON.parse(out))).toContain('##[stop-commands]');
      else expect(out).toContain('##\\u005bstop-commands]');
    }
  });

  it.each(ENVS)('reports (%o): a sender\'s organisation name is inert', async (env) => {
    const r = report({ org: `Evil ${FORGED}`, id: 'r1', policies: [policyEntry({ successful: 5 })] });
    await writeFile(join(dir, 'r1.json.gz'), gz(r));
    for (const json of [false, true]) {
      let out = '';
      let err = '';
      const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), cwd: dir, isTTY: false, env };
      expect(await main(['reports', 'r1.json.gz', ...(json ? ['--json'] : [])], io)).toBe(0);
      inert(out);
      inert(err);
      expect(out).toContain('stop-commands');
    }
  });

  it.each(ENVS)('azure bind (%o): a policy host\'s header is inert in the warning and its annotation', async (env) => {
    azure.reset();
    azure.writeConfig();
    await azure.serve('contoso.com', POLICY);
    azure.https.handlers.set('mta-sts.contoso.com', serve(POLICY, `text/html; ${FORGED}`));
    const r = await azure.run('bind', [], env);
    expect(`${r.out}${r.err}`).toContain('stop-commands');
    inert(r.out);
    inert(r.err);
  });

  it.each(ENVS)('azure publish-dns --print-only (%o): live DNS text is inert', async (env) => {
    azure.reset();
    azure.writeConfig();
    await azure.serve('contoso.com', POLICY);
    azure.arm.setRecordSet(DNS_RG, 'contoso.com', 'TXT', '_mta-sts', { TTL: 3600, TXTRecords: [{ value: [`v=STSv1; id=${FORGED};`] }] });
    const r = await azure.run('publish-dns', ['--print-only', '--wait-seconds', '5', '--poll-seconds', '1'], env);
    expect(`${r.out}${r.err}`).toContain('stop-commands');
    inert(r.out);
    inert(r.err);
  });
});

// Keeps the policy helper in use for readers who add a domain with a served policy.
void policyFor;
