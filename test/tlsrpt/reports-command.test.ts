// `mta-sts reports` end to end through the dispatcher: folders read recursively, duplicates counted once,
// text / --json / --html output, the verdict with a config, and the exit codes.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import type { ReportsJson } from '../../src/tlsrpt/render.ts';
import { DOMAIN, MX, detail, gz, json, mail, plainMail, policyEntry, report, reportFileName } from './fixtures.ts';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mta-sts-reports-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), cwd: dir, isTTY: false, env: {} };
  const code = await main(['reports', ...args], io);
  return { code, out, err };
}

async function put(path: string, bytes: Buffer | string): Promise<void> {
  await mkdir(join(dir, path, '..'), { recursive: true });
  await writeFile(join(dir, path), bytes);
}

const google = report({ org: 'Google Inc.', id: 'g-1', day: '2026-03-01', policies: [policyEntry({ mxHost: [MX], successful: 900, details: [detail({ resultType: 'certificate-expired', count: 4, mx: MX, ip: '198.51.100.1' })] })] });
const microsoft = report({ org: 'Microsoft Corporation', id: 'm-1', day: '2026-03-02', range: 'microsoft-2023', policies: [policyEntry({ successful: 96 })] });

async function inbox(): Promise<void> {
  await put('inbox/2026-03/google.eml', mail({ attachment: gz(google), filename: reportFileName('google.com', DOMAIN, '2026-03-01') }));
  await put(`inbox/2026-03/saved/${reportFileName('google.com', DOMAIN, '2026-03-01')}`, gz(google)); // the same report, saved from the mail
  await put('inbox/2026-03/microsoft.json', json(microsoft));
  await put('inbox/notes.eml', plainMail());
  await put('inbox/broken.json.gz', gz(google).subarray(0, 20));
}

describe('mta-sts reports', () => {
  it('--json: reads folders recursively in path order, counts a report saved twice once, and lists what it skipped', async () => {
    await inbox();
    const r = await run(['inbox', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as ReportsJson;
    expect(result.reports).toEqual([
      { file: 'inbox/2026-03/google.eml', organization: 'Google Inc.', reportId: 'g-1', start: '2026-03-01T00:00:00.000Z', end: '2026-03-01T23:59:59.000Z', warnings: [] },
      {
        file: 'inbox/2026-03/microsoft.json', organization: 'Microsoft Corporation', reportId: 'm-1', start: '2026-03-02T00:00:00.000Z', end: '2026-03-02T23:59:59.000Z',
        warnings: ['date-range.start-datetime "2026-03-02T00:00:00" has no time zone; read as UTC', 'date-range.end-datetime "2026-03-02T23:59:59" has no time zone; read as UTC'],
      },
    ]);
    expect(result.skipped).toEqual([
      { file: `inbox/2026-03/saved/${reportFileName('google.com', DOMAIN, '2026-03-01')}`, reason: 'duplicate of inbox/2026-03/google.eml (same organization-name and report-id)' },
      { file: 'inbox/broken.json.gz', reason: 'gzip data that is truncated or corrupt (unexpected end of file)' },
      { file: 'inbox/notes.eml', reason: 'a mail message without a TLS-RPT report (no attachment)' },
    ]);
    expect(result.policies).toEqual([{
      domain: DOMAIN, type: 'sts', successful: 996, failed: 4, failures: { 'certificate-expired': 4 },
      days: ['2026-03-01', '2026-03-02'], organizations: ['Google Inc.', 'Microsoft Corporation'],
    }]);
    expect(result.verdict).toBeUndefined();
  });

  it('text: per domain and type the days, organisations, sessions and rate, the failure breakdowns and the policy senders saw', async () => {
    await inbox();
    const r = await run(['inbox']);
    expect(r.code).toBe(0);
    expect(r.out).toContain([
      `${DOMAIN}  sts`,
      '  days covered     2 (2026-03-01 to 2026-03-02)',
      '  organisations    2: Google Inc., Microsoft Corporation',
      '  sessions         996 successful, 4 failed (0.4% failed)',
      '  by result type   certificate-expired 4',
      `  by receiving MX  ${MX} 4`,
      '  by organisation  Google Inc. 4',
      '  senders saw      mode testing, mx *.contoso.example (2 report(s))',
    ].join('\n'));
    expect(r.out).toMatch(/^Read 2 report\(s\) from 5 file\(s\); 3 skipped\.$/m);
  });

  it('neutralises control characters from reports in text output', async () => {
    await put('evil.json', json(report({ org: 'Evil\u001b[2J\u202eCorp', id: 'e' })));
    const r = await run(['evil.json']);
    expect(r.out).toContain('Evil\\x1b[2J\\u{202e}Corp');
    expect(r.out).not.toMatch(/[\u001b\u202e]/);
  });

  it('--since leaves out older reports; --html writes the page', async () => {
    await inbox();
    const r = await run(['inbox', '--since', '2026-03-02', '--json']);
    expect((JSON.parse(r.out) as ReportsJson).reports.map((x) => x.reportId)).toEqual(['m-1']);
    await mkdir(join(dir, 'out'));
    const h = await run(['inbox', '--html', 'out/report.html']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('Wrote out/report.html.');
    const page = await readFile(join(dir, 'out/report.html'), 'utf8');
    expect(page).toContain('<svg');
    expect(page).not.toMatch(/<script/i);
  });

  it('gives the verdict with the config in the working directory, and exits 0 whatever it is', async () => {
    await inbox();
    await put('mta-sts.config.yaml', `domains: [${DOMAIN}]\npolicy:\n  mode: testing\n  mx: ["*.contoso.example"]\n  max_age: 7d\n`);
    const r = await run(['inbox', '--now', '2026-03-05', '--json']);
    expect(r.code).toBe(0);
    const { verdict } = JSON.parse(r.out) as ReportsJson;
    expect(verdict!.status).toBe('not-ready');
    expect(verdict!.reasons[0]).toContain('certificate-expired at mx1.contoso.example (4, reported by Google Inc.)');
    const text = await run(['inbox', '--now', '2026-03-05']);
    expect(text.out).toContain('verdict for mta-sts.config.yaml (window 2026-02-19 to 2026-03-04): not-ready\n  1. contoso.example: 4 session(s) failed');
  });

  it('exits 1 when no file is a report, naming each file and why', async () => {
    await put('notes.eml', plainMail());
    await put('old/readme.txt', 'not a report');
    const r = await run(['notes.eml', 'old']);
    expect(r.code).toBe(1);
    expect(r.err).toBe([
      'notes.eml: a mail message without a TLS-RPT report (no attachment)',
      'old/readme.txt: not a TLS-RPT report: neither JSON, gzip nor a mail message',
      'mta-sts reports: no file could be read as a TLS-RPT report',
      '',
    ].join('\n'));
    expect(r.out).toBe('');
  });

  it('keeps the first copy in full-path order, whatever the folder layout', async () => {
    await put('a/z.eml', mail({ attachment: gz(google) }));
    await put('a-copy.json.gz', gz(google)); // "a-copy.json.gz" < "a/z.eml" as paths ("-" sorts before "/")
    const r = await run(['.', '--json']);
    const result = JSON.parse(r.out) as ReportsJson;
    expect(result.reports.map((x) => x.file)).toEqual(['a-copy.json.gz']);
    expect(result.skipped).toEqual([{ file: 'a/z.eml', reason: 'duplicate of a-copy.json.gz (same organization-name and report-id)' }]);
  });

  it('exits 1 for a named path that does not exist, before reading anything', async () => {
    await inbox();
    const r = await run(['inbox', 'inbxo']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('mta-sts reports: inbxo: no such file or folder\n');
    expect(r.out).toBe('');
  });

  it('reads the current folder by default, leaving out hidden folders and node_modules', async () => {
    await put('reports/google.json.gz', gz(google));
    await put('.git/objects/x.json', json(microsoft));
    await put('node_modules/pkg/report.json', json(microsoft));
    const r = await run(['--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as ReportsJson).reports.map((x) => x.file)).toEqual(['reports/google.json.gz']);
  });

  it('exits 1 for an invalid or missing named config', async () => {
    await inbox();
    expect((await run(['inbox', '--config', 'nope.yaml'])).code).toBe(1);
  });

  it.each([
    [['--now', '2026-02-30'], '--now must be a date like 2026-03-15'],
    [['--since', 'yesterday'], '--since must be a date like 2026-03-15'],
    [['--html', ''], '--html needs a file name'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('exits 2 for %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('usage: mta-sts reports');
  });
});

describe('the installed command', () => {
  it('runs as the README says: mta-sts reports reports/ --html report.html, from the folder with the config', async () => {
    await put('reports/google.eml', mail({ attachment: gz(google) }));
    await put('reports/microsoft.json', json(microsoft));
    await put('mta-sts.config.yaml', `domains: [${DOMAIN}]\npolicy:\n  mode: testing\n  mx: ["*.contoso.example"]\n  max_age: 7d\n`);
    const bin = fileURLToPath(new URL('../../bin/mta-sts.js', import.meta.url));
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, [bin, 'reports', 'reports/', '--html', 'report.html', '--now', '2026-03-05'], { cwd: dir, timeout: 20_000 },
        (_e, out) => resolve({ code: child.exitCode ?? -1, stdout: out }));
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Read 2 report\(s\) from 2 file\(s\); 0 skipped\.$/m);
    expect(stdout).toContain('verdict for mta-sts.config.yaml (window 2026-02-19 to 2026-03-04): not-ready');
    expect(stdout).toContain('Wrote report.html.');
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toContain('Verdict: Not ready for enforce');
  });
});

describe('files that are not regular files', () => {
  it('a FIFO, a socket and a device (named, or linked from a folder) are skipped with the reason, never opened', async () => {
    const { execFileSync } = await import('node:child_process');
    const { symlink } = await import('node:fs/promises');
    const { createServer } = await import('node:net');
    await put('r/microsoft.json', json(microsoft));
    execFileSync('mkfifo', [join(dir, 'f')]);
    await symlink(join(dir, 'f'), join(dir, 'r', 'x.json'));
    await symlink('/dev/zero', join(dir, 'r', 'zero.json'));
    const server = createServer();
    await new Promise<void>((done) => server.listen(join(dir, 'r', 's.json'), done));
    try {
      const r = await run(['r', 'f', '--json']);
      expect(r.code).toBe(0);
      const result = JSON.parse(r.out) as ReportsJson;
      expect(result.reports.map((x) => x.file)).toEqual(['r/microsoft.json']);
      expect(result.skipped).toEqual([
        { file: 'r/s.json', reason: 'a socket, not a regular file; not read' },
        { file: 'r/x.json', reason: 'a named pipe (FIFO), not a regular file; not read' },
        { file: 'r/zero.json', reason: 'a device, not a regular file; not read' },
        { file: 'f', reason: 'a named pipe (FIFO), not a regular file; not read' },
      ]);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});
