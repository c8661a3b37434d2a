// npm run bench:check [-- N [--runs R] [--runs-wide W] [--timeout S] [--subset K] [--rss | --rss-only] [--floor | --floor-only [--before DIR]] [--json]]
// Checks N simulated domains (default 500) against real DNS/HTTPS/SMTP servers on 127.0.0.1 (run in a child
// process, so only the checker is measured), with 50 ms of injected DNS latency per answer: concurrency 1
// on a subset, the default concurrency on all N, and a run where 5% of the HTTPS servers hang (their domains
// are parked after the default stall time, so they do not hold concurrency slots until their deadline).
// Prints medians, domains/s, the speed-up and the checker's peak RSS. Then concurrency 128 on all N (W
// runs, min/median/max, and the domains that did not pass: where UDP answers get lost, the spread shows
// what a lost answer costs).
// --rss adds the peak memory of the checker as users run it (compiled dist/ in plain Node, a process of its
// own per run, default concurrency) for 500 and 2,000 domains, median of R runs, against the targets;
// --rss-only prints only that section.
// --floor runs the compiled checker (as --rss does) and the floor probe (bench-check-floor.mjs: only the lookups
// and handshakes a check needs) side by side on N domains, interleaved, R runs each, and prints medians of wall
// time, CPU and peak RSS with the checker's ratios to the probe; --before DIR adds another compiled checker
// (a dist/ built from another commit) to the same interleaving; --flags "NODE FLAGS" adds this checker run with
// those flags (e.g. --max-semi-space-size=16); --floor-only prints only that section. --json: the checkers
// also render what `check --json` prints (bench-check-runner.mjs), so its memory counts too.
import { spawn } from 'node:child_process';
import compile from '../test/setup/compile.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPolicyFetcher } from '../src/check/https-fetcher.ts';
import { createDns, type CheckIO } from '../src/check/io.ts';
import type { DomainReport } from '../src/check/result.ts';
import { DEFAULT_CONCURRENCY, runChecks } from '../src/check/run.ts';
import { createSmtpProbe } from '../src/check/smtp-probe.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { json: { type: 'boolean', default: false }, flags: { type: 'string' }, floor: { type: 'boolean', default: false }, 'floor-only': { type: 'boolean', default: false }, before: { type: 'string' }, rss: { type: 'boolean', default: false }, 'rss-only': { type: 'boolean', default: false }, runs: { type: 'string', default: '3' }, 'runs-wide': { type: 'string', default: '5' }, timeout: { type: 'string', default: '10' }, subset: { type: 'string', default: '25' } },
});
const N = Number(positionals[0] ?? 500);
const RUNS = Number(values.runs);
const WIDE_RUNS = Number(values['runs-wide']);
const WIDE = 128;
const TIMEOUT_MS = Number(values.timeout) * 1000;
const SUBSET = Math.min(N, Number(values.subset));
const LATENCY_MS = 50;
const RUNNER = fileURLToPath(new URL('./bench-check-runner.mjs', import.meta.url));
const FLOOR_PROBE = fileURLToPath(new URL('./bench-check-floor.mjs', import.meta.url));
const FLOOR_ONLY = values['floor-only'];
const FLOOR = values.floor || FLOOR_ONLY;
const IN_PROCESS = !(values['rss-only'] || FLOOR_ONLY); // the in-process sections
const RSS = values.rss || values['rss-only'];
// Peak RSS targets of the checker process (issue 10), in MB, by domain count.
const RSS_TARGETS: [number, number][] = [
  [500, 110],
  [2000, 150],
];
const WORLD_SIZE = RSS ? Math.max(N, ...RSS_TARGETS.map(([n]) => n)) : N;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

// The servers: a child process we started, ended through its stdin (and by its pid if that fails).
const setupStart = performance.now();
const servers = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../test/check/world-process.ts', import.meta.url)), String(WORLD_SIZE)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const replies = createInterface({ input: servers.stdout! })[Symbol.asyncIterator]();
const nextLine = async (): Promise<string> => {
  const { value, done } = await replies.next();
  if (done) throw new Error('the server process ended early');
  return value as string;
};
const send = async (line: string): Promise<void> => {
  servers.stdin!.write(`${line}\n`);
  if ((await nextLine()) !== 'ok') throw new Error(`server process did not accept "${line}"`);
};

try {
  const world = JSON.parse(await nextLine()) as { dns: string; httpsPort: number; smtpPort: number; ca: string; domains: string[] };
  await send(`latency ${LATENCY_MS}`);
  console.log(`setup: ${world.domains.length} domains (${2 * world.domains.length} certificates) in ${s(performance.now() - setupStart)}; DNS latency ${LATENCY_MS} ms; per-domain timeout ${TIMEOUT_MS / 1000} s`);

  // Production settings but for the trusted CA and the ports: the production DNS retries and in-flight
  // bound, fetch and SMTP bounded by the deadline.
  const io: CheckIO = {
    dns: createDns({ server: world.dns }),
    fetcher: createPolicyFetcher({ port: world.httpsPort, ca: world.ca, timeoutMs: TIMEOUT_MS }),
    smtp: createSmtpProbe({ port: world.smtpPort, ca: world.ca, stepTimeoutMs: TIMEOUT_MS }),
    now: () => new Date(),
  };
  const timed = async (list: string[], concurrency: number, label: string): Promise<{ ms: number; reports: DomainReport[]; peakParked: number }> => {
    let peakParked = 0;
    const start = performance.now();
    const reports = await runChecks(list, io, {
      concurrency,
      timeoutMs: TIMEOUT_MS,
      allowPendingCert: false,
      onSlots: (_active, parked) => void (peakParked = Math.max(peakParked, parked)),
    });
    const ms = performance.now() - start;
    const failed = reports.filter((r) => r.status !== 'pass');
    if (label !== 'hang' && label !== 'wide' && failed.length > 0) throw new Error(`${label}: ${failed.length} domains did not pass, e.g. ${JSON.stringify(failed[0])}`);
    return { ms, reports, peakParked };
  };

  const domains = world.domains.slice(0, N);
  if (IN_PROCESS) {
    const seq: number[] = [];
    const par: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      seq.push((await timed(domains.slice(0, SUBSET), 1, 'sequential')).ms);
      par.push((await timed(domains, DEFAULT_CONCURRENCY, 'concurrent')).ms);
    }
    const seqRate = SUBSET / (median(seq) / 1000);
    const parRate = N / (median(par) / 1000);
    console.log(`concurrency 1:  ${SUBSET} domains, median ${s(median(seq))}, ${seqRate.toFixed(1)} domains/s (runs ${seq.map(s).join(', ')})`);
    console.log(`concurrency ${DEFAULT_CONCURRENCY}: ${N} domains, median ${s(median(par))}, ${parRate.toFixed(1)} domains/s (runs ${par.map(s).join(', ')})`);
    console.log(`speed-up: ${(parRate / seqRate).toFixed(1)}x (target >= 20x)`);

    // 5% of the policy hosts accept the connection and never answer.
    const hanging = domains.filter((_, i) => i % 20 === 7);
    await send(`hang ${hanging.join(',')}`);
    const h = await timed(domains, DEFAULT_CONCURRENCY, 'hang');
    const timedOut = h.reports.filter((r) => r.checks.some((c) => c.code === 'policy-timeout')).length;
    const others = h.reports.filter((r) => !hanging.includes(r.domain) && r.status !== 'pass').length;
    const extra = h.ms - median(par);
    console.log(
      `${hanging.length} hanging HTTPS servers (5%): ${s(h.ms)}; ${timedOut} domains reported policy-timeout, ${others} others failed; at most ${h.peakParked} parked; ` +
        `${s(extra)} over the healthy median (bound: one per-domain timeout, ${TIMEOUT_MS / 1000} s) -> ${extra <= TIMEOUT_MS ? 'within' : 'OVER'}`,
    );
    console.log(`peak RSS of the checker process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (target <= 200 MB)`);

    // Last, so the peak RSS above is the default concurrency's, as before this run was added.
    await send(`heal ${hanging.join(',')}`);
    // Reported, not thrown: lost UDP answers that outlast the deadline fail domains, and that is the finding.
    const wide: number[] = [];
    const wideFailed: number[] = [];
    for (let i = 0; i < WIDE_RUNS; i++) {
      const run = await timed(domains, WIDE, 'wide');
      wide.push(run.ms);
      wideFailed.push(run.reports.filter((r) => r.status !== 'pass').length);
    }
    const sorted = [...wide].sort((a, b) => a - b);
    console.log(
      `concurrency ${WIDE}: ${N} domains, min ${s(sorted[0]!)}, median ${s(median(wide))}, max ${s(sorted[sorted.length - 1]!)} ` +
        `(runs ${wide.map(s).join(', ')}; domains not passing per run: ${wideFailed.join(', ')}); peak RSS now ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    );
  }

  if (RSS || FLOOR) {
    compile(); // measure this source, never a stale dist/
    // The CA goes where a user puts a private CA; the runner reads the ports and names from stdin.
    const caFile = join(mkdtempSync(join(tmpdir(), 'bench-check-')), 'ca.pem');
    writeFileSync(caFile, world.ca);
    type Run = { ms: number; cpuMs: number; maxRssKiB: number; checked: number; failed: number; firstFailure?: unknown };
    const measure = (count: number, script = RUNNER, extra: string[] = [], nodeFlags: string[] = []): Promise<Run> =>
      new Promise((resolve, reject) => {
        const args = script === RUNNER && values.json ? [...extra, '--json'] : extra;
        const child = spawn(process.execPath, [...nodeFlags, script, String(count), String(TIMEOUT_MS), ...args], {
          stdio: ['pipe', 'pipe', 'inherit'],
          env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, NODE_OPTIONS: '' },
        });
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => (out += chunk));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the runner exited with ${code}`))));
        child.stdin!.end(JSON.stringify({ dns: world.dns, httpsPort: world.httpsPort, smtpPort: world.smtpPort, domains: world.domains }));
      });
    try {
      if (FLOOR) {
        // Interleaved, so the machine's load falls on every contender alike.
        const contenders: [string, () => Promise<Run>][] = [
          ['check', () => measure(N)],
          ...(values.before ? [['before', () => measure(N, RUNNER, ['--dist', values.before!])] as [string, () => Promise<Run>]] : []),
          ...(values.flags ? [['flags', () => measure(N, RUNNER, [], values.flags!.split(' '))] as [string, () => Promise<Run>]] : []),
          ['floor', () => measure(N, FLOOR_PROBE)],
        ];
        const runs = new Map<string, Run[]>(contenders.map(([name]) => [name, []]));
        for (let i = 0; i < Math.max(RUNS, 1); i++) {
          for (const [name, run] of contenders) {
            const r = await run();
            if (r.checked !== N || r.failed > 0) throw new Error(`${name}: ${r.failed} of ${r.checked} domains did not pass, e.g. ${JSON.stringify(r.firstFailure)}`);
            runs.get(name)!.push(r);
          }
        }
        const med = (name: string, pick: (r: Run) => number): number => median(runs.get(name)!.map(pick));
        const figures = (name: string) => ({ ms: med(name, (r) => r.ms), cpuMs: med(name, (r) => r.cpuMs), rssMB: med(name, (r) => r.maxRssKiB / 1024) });
        const floor = figures('floor');
        console.log(`side by side, ${N} domains, concurrency ${DEFAULT_CONCURRENCY}, medians of ${RUNS} interleaved runs (compiled, own process each):`);
        for (const [name] of contenders) {
          const f = figures(name);
          const ratios = name === 'floor' ? '' : ` -> ${(f.ms / floor.ms).toFixed(2)}x wall, ${(f.cpuMs / floor.cpuMs).toFixed(2)}x CPU, ${(f.rssMB / floor.rssMB).toFixed(2)}x RSS of the floor`;
          console.log(
            `  ${name.padEnd(6)} wall ${s(f.ms)}, CPU ${s(f.cpuMs)}, peak RSS ${f.rssMB.toFixed(0)} MB${ratios} ` +
              `(wall ${runs.get(name)!.map((r) => s(r.ms)).join(', ')}; RSS ${runs.get(name)!.map((r) => (r.maxRssKiB / 1024).toFixed(0)).join(', ')} MB)`,
          );
        }
      }
      for (const [count, targetMB] of RSS ? RSS_TARGETS : []) {
        const runs = [];
        for (let i = 0; i < RUNS; i++) {
          const run = await measure(count);
          if (run.checked !== count) throw new Error(`rss ${count}: the runner checked ${run.checked} domains`);
          if (run.failed > 0) throw new Error(`rss ${count}: ${run.failed} domains did not pass, e.g. ${JSON.stringify(run.firstFailure)}`);
          runs.push(run);
        }
        const peakMB = median(runs.map((r) => r.maxRssKiB / 1024));
        console.log(
          `peak RSS, compiled checker in its own process (dist/, concurrency ${DEFAULT_CONCURRENCY}), ${count} domains: median ${peakMB.toFixed(0)} MB ` +
            `(runs ${runs.map((r) => (r.maxRssKiB / 1024).toFixed(0)).join(', ')} MB; ${(count / (median(runs.map((r) => r.ms)) / 1000)).toFixed(1)} domains/s) ` +
            `target <= ${targetMB} MB -> ${peakMB <= targetMB ? 'met' : 'NOT met'}`,
        );
      }
    } finally {
      rmSync(dirname(caFile), { recursive: true, force: true });
    }
  }
} finally {
  servers.stdin!.end();
  const killer = setTimeout(() => servers.kill(), 5000);
  await new Promise((resolve) => servers.once('exit', resolve));
  clearTimeout(killer);
}
