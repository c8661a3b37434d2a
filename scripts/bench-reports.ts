// npx tsx scripts/bench-reports.ts [N] [--runs R] [--wide W] [--hosts H] [--before REF]
// Writes N TLS-RPT reports (default 10,000: gzip files, report mails and plain JSON, 1% saved twice) to a
// temp folder, then runs `mta-sts reports FOLDER --json --config … --now …` in a child process (so only the
// command is measured) R times, and again on a tenth of the folder. Prints the median wall time, reports
// per second and the child's peak RSS for both: memory must stay flat as the folder grows, because files
// are read one at a time and only aggregates and per-report metadata are kept. Then the hostile case of
// issue 17: W reports (default 16) with H failure details each, every one at its own MX host (default 200,000;
// a quarter of them as report mails), R times: memory must follow the caps on distinct values
// (src/tlsrpt/failures.ts, MAX_DISTINCT), not the input (issue 26: within 150 MB). It runs the compiled CLI in
// plain Node, as users do (dist/, compiled first). With --before REF (a commit, e.g. main), the same hostile set
// also runs on that commit's src/ (extracted with git archive beside this node_modules, compiled the same way),
// the two interleaved run by run, and both are printed side by side: median wall time, median CPU time (user +
// system, steadier than wall time on a shared machine) and peak RSS. N = 0 skips the folders.
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import compile from '../test/setup/compile.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' }, wide: { type: 'string', default: '16' }, hosts: { type: 'string', default: '200000' },
    before: { type: 'string' },
  },
});
const WIDE = Number(values.wide);
const HOSTS = Number(values.hosts);
const N = Number(positionals[0] ?? 10_000);
const RUNS = Number(values.runs);
const REPO = fileURLToPath(new URL('..', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const COMPILED = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const ORGS = ['Google Inc.', 'Microsoft Corporation', 'Mail.ru', 'Yahoo', 'Comcast'];
const DOMAINS = ['contoso.example', 'fabrikam.example', 'northwind.example', 'tailspin.example', 'adatum.example'];

function reportJson(i: number): string {
  const day = new Date(Date.UTC(2026, 0, 1) + (i % 70) * 86_400_000).toISOString().slice(0, 10);
  const domain = DOMAINS[i % DOMAINS.length]!;
  const details = i % 7 === 0
    ? Array.from({ length: 5 }, (_, k) => ({
      'result-type': k % 2 ? 'certificate-expired' : 'sts-policy-fetch-error', 'sending-mta-ip': `198.51.100.${k}`,
      'receiving-mx-hostname': `mx${k % 2}.${domain}`, 'failed-session-count': 1 + k,
    }))
    : [];
  return JSON.stringify({
    'organization-name': ORGS[i % ORGS.length],
    'date-range': { 'start-datetime': `${day}T00:00:00Z`, 'end-datetime': `${day}T23:59:59Z` },
    'contact-info': 'smtp-tls-reporting@sender.example',
    'report-id': `bench-${i}`,
    policies: [{
      policy: { 'policy-type': 'sts', 'policy-string': ['version: STSv1', 'mode: testing', `mx: *.${domain}`, 'max_age: 604800'], 'policy-domain': domain, 'mx-host': [`mx0.${domain}`] },
      summary: { 'total-successful-session-count': 100 + (i % 900), 'total-failure-session-count': details.reduce((n, d) => n + d['failed-session-count'], 0) },
      ...(details.length ? { 'failure-details': details } : {}),
    }],
  });
}

function mailOf(gz: Buffer, i: number): string {
  const b = `b${i}`;
  return [
    'From: noreply@sender.example', 'To: tlsrpt@contoso.example', `Subject: Report ${i}`, `TLS-Report-Domain: ${DOMAINS[i % DOMAINS.length]}`,
    'MIME-Version: 1.0', `Content-Type: multipart/report; report-type="tlsrpt"; boundary="${b}"`, '',
    `--${b}`, 'Content-Type: text/plain', '', 'TLS report', `--${b}`, 'Content-Type: application/tlsrpt+gzip',
    'Content-Transfer-Encoding: base64', `Content-Disposition: attachment; filename="r${i}.json.gz"`, '',
    gz.toString('base64').replace(/.{76}/g, '$&\r\n'), `--${b}--`, '',
  ].join('\r\n');
}

async function generate(root: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const folder = join(root, `batch-${String(Math.floor(i / 500)).padStart(3, '0')}`);
    if (i % 500 === 0) await mkdir(folder, { recursive: true });
    const text = reportJson(i);
    const gz = gzipSync(text);
    const name = String(i).padStart(6, '0');
    if (i % 10 < 6) await writeFile(join(folder, `${name}.json.gz`), gz);
    else if (i % 10 < 9) await writeFile(join(folder, `${name}.eml`), mailOf(gz, i));
    else await writeFile(join(folder, `${name}.json`), text);
    if (i % 100 === 0) await writeFile(join(folder, `${name}-copy.json.gz`), gz); // the same report saved twice
  }
}

// One report of `hosts` certificate-expired failures, each at its own MX host, as a gzip file.
async function generateWide(root: string, reports: number, hosts: number): Promise<void> {
  await mkdir(root, { recursive: true });
  for (let r = 0; r < reports; r++) {
    const domain = DOMAINS[0]!;
    const details = Array.from({ length: hosts }, (_, k) => ({
      'result-type': 'certificate-expired', 'receiving-mx-hostname': `mx${k}.r${r}.elsewhere.example`, 'failed-session-count': 1 + (k % 7),
    }));
    const text = JSON.stringify({
      'organization-name': `Sender ${r}`,
      'date-range': { 'start-datetime': '2026-03-01T00:00:00Z', 'end-datetime': '2026-03-01T23:59:59Z' },
      'contact-info': 'smtp-tls-reporting@sender.example',
      'report-id': `wide-${r}`,
      policies: [{
        policy: { 'policy-type': 'sts', 'policy-string': ['version: STSv1', 'mode: testing', `mx: *.${domain}`, 'max_age: 604800'], 'policy-domain': domain },
        summary: { 'total-successful-session-count': 100, 'total-failure-session-count': details.reduce((n, d) => n + d['failed-session-count'], 0) },
        'failure-details': details,
      }],
    });
    const gz = gzipSync(text);
    if (r % 4 === 3) await writeFile(join(root, `wide-${r}.eml`), mailOf(gz, r));
    else await writeFile(join(root, `wide-${r}.json.gz`), gz);
  }
}

interface Run { ms: number; cpuMs: number; rssMb: number; reports: number; verdict: string }

async function runOnce(folder: string, config: string, main = MAIN): Promise<Run> {
  const code = `
    const { main } = await import(${JSON.stringify(main)});
    let out = '';
    const io = { out: (t) => { out += t; }, err: (t) => process.stderr.write(t), cwd: process.cwd(), isTTY: false, env: {} };
    const exit = await main(['reports', ${JSON.stringify(folder)}, '--json', '--config', ${JSON.stringify(config)}, '--now', '2026-03-12'], io);
    const parsed = JSON.parse(out);
    const usage = process.resourceUsage();
    process.stdout.write(JSON.stringify({ exit, reports: parsed.reports.length, verdict: JSON.stringify([parsed.policies, parsed.verdict]), maxRssKb: usage.maxRSS, cpuUs: usage.userCPUTime + usage.systemCPUTime }));
  `;
  const start = performance.now();
  const loader = main.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const ms = performance.now() - start;
  if (exitCode !== 0) throw new Error(`the reports run failed (exit ${exitCode})`);
  const result = JSON.parse(stdout) as { exit: number; reports: number; maxRssKb: number; cpuUs: number; verdict: string };
  if (result.exit !== 0) throw new Error(`mta-sts reports exited ${result.exit}`);
  return { ms, cpuMs: result.cpuUs / 1000, rssMb: result.maxRssKb / 1024, reports: result.reports, verdict: result.verdict };
}

// The src/ of commit `ref` compiled beside this checkout's node_modules; returns its compiled CLI entry.
async function extract(ref: string, into: string): Promise<string> {
  await mkdir(into, { recursive: true });
  const tar = execFileSync('git', ['archive', '--format=tar', ref, 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'], { cwd: REPO, maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', into], { input: tar });
  await symlink(join(REPO, 'node_modules'), join(into, 'node_modules'));
  execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: into, stdio: 'inherit' });
  return join(into, 'dist/cli/main.js');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const root = await mkdtemp(join(tmpdir(), 'bench-reports-'));
try {
  const big = join(root, 'big');
  const small = join(root, 'small');
  const config = join(root, 'mta-sts.config.yaml');
  await writeFile(config, `domains: [${DOMAINS.join(', ')}]\npolicy:\n  mode: testing\n  mx: ["*.contoso.example"]\n  max_age: 7d\n`);
  const t0 = performance.now();
  await generate(big, N);
  await generate(small, Math.max(1, Math.round(N / 10)));
  console.log(`generated ${N} + ${Math.round(N / 10)} reports in ${((performance.now() - t0) / 1000).toFixed(1)} s (${root})`);
  for (const [label, folder] of N > 0 ? [[`${Math.round(N / 10)} reports`, small], [`${N} reports`, big]] as const : []) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await runOnce(folder, config));
    const ms = median(runs.map((x) => x.ms));
    const rss = Math.max(...runs.map((x) => x.rssMb));
    console.log(`${label.padEnd(16)} median ${(ms / 1000).toFixed(2)} s over ${RUNS} runs, ${Math.round(runs[0]!.reports / (ms / 1000))} reports/s, peak RSS ${rss.toFixed(0)} MB (${runs[0]!.reports} distinct reports)`);
  }
  if (WIDE > 0) {
    const wide = join(root, 'wide');
    await generateWide(wide, WIDE, HOSTS);
    const label = `${WIDE} × ${HOSTS} rows`;
    compile();
    const sides: { name: string; main: string; runs: Run[] }[] = [{ name: 'this tree', main: COMPILED, runs: [] }];
    if (values.before) sides.unshift({ name: `before (${values.before})`, main: await extract(values.before, join(root, 'before')), runs: [] });
    for (let r = 0; r < RUNS; r++) for (const side of sides) side.runs.push(await runOnce(wide, config, side.main)); // interleaved
    for (const { name, runs } of sides) {
      console.log(`${label.padEnd(16)} ${name.padEnd(22)} median ${(median(runs.map((x) => x.ms)) / 1000).toFixed(2)} s wall, ${(median(runs.map((x) => x.cpuMs)) / 1000).toFixed(2)} s CPU over ${RUNS} runs; peak RSS median ${median(runs.map((x) => x.rssMb)).toFixed(0)} MB, max ${Math.max(...runs.map((x) => x.rssMb)).toFixed(0)} MB (${runs[0]!.reports} reports)`);
    }
    if (sides.length === 2 && sides[0]!.runs[0]!.verdict !== sides[1]!.runs[0]!.verdict) throw new Error('the two trees summarise the hostile set differently');
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
