// Benchmark: where a test command's CPU goes (default `npm test`), by kind of process, on Linux. It samples /proc
// every 50 ms for the processes the command starts (its whole tree, re-exec'd ones under their last command line),
// and prints each kind's CPU seconds beside the command's wall time. The processes the tests exist to run (the CLI
// as the pipelines run it, Chromium, the SWA CLI, npm ci, tsc, the crash children...) are a floor: on N cores the
// command cannot end before their CPU divided by N, however cheap the in-process tests become.
// Usage: npm run bench:suite [-- --cores N] [-- COMMAND...]   (run it on a quiet machine; one run is minutes)
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';

/** What a process is, from its command line; `runner` kinds are the test runners' own work (not a floor). */
export function kindOf(cmdline: string): { kind: string; runner: boolean } {
  const cli = /bin\/mta-sts\.js\s+(azure\s+\S+|\S+)/.exec(cmdline);
  if (/vitest\/dist\/workers\//.test(cmdline)) return { kind: 'vitest workers (the in-process tests)', runner: true };
  if (/vitest(\.mjs)?\s+run\b|\.bin\/vitest\b/.test(cmdline)) return { kind: 'vitest itself', runner: true };
  if (/chrom(e|ium)/.test(cmdline)) return { kind: 'Chromium', runner: false };
  if (/playwright/.test(cmdline)) return { kind: 'Playwright runner and worker', runner: true };
  if (cli) return { kind: `the CLI: mta-sts ${cli[1]!.replace(/\s+/g, ' ')}`, runner: false };
  if (/test\/\S*crash-[\w-]+\.mjs/.test(cmdline)) return { kind: 'crash children (killed mid-change)', runner: false };
  if (/static-web-apps-cli|(^|\/)swa\s/.test(cmdline)) return { kind: 'SWA CLI (deploy, start)', runner: false };
  if (/\bnpm(-cli\.js)?\s+ci\b/.test(cmdline)) return { kind: 'npm ci', runner: false };
  if (/\btsc\b|typescript\/bin/.test(cmdline)) return { kind: 'TypeScript (tsc)', runner: false };
  if (/^(\S*\/)?git(\s|$)|git-core/.test(cmdline)) return { kind: 'git', runner: false };
  if (/^(\S*\/)?(ba)?sh\s/.test(cmdline)) return { kind: 'shells (pipeline steps, npm scripts)', runner: false };
  if (/^(\S*\/)?npm\b|\/npm(-cli\.js)?\s/.test(cmdline)) return { kind: 'npm (scripts)', runner: true };
  if (/(^|\/)node\s/.test(cmdline)) return { kind: 'other Node processes', runner: false };
  return { kind: 'other programs', runner: false };
}

interface Seen { cmdline: string; cpu: number }

const TICK = 100; // USER_HZ: /proc's clock ticks per second on Linux

/** The fields of a /proc stat file after the command (which may hold spaces and parentheses): [0] is the state. */
function statFields(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** ppid, start time and user+system CPU seconds of a process, from /proc/PID/stat. */
function stat(pid: string): { ppid: number; start: string; cpu: number } | undefined {
  try {
    const f = statFields(`/proc/${pid}/stat`);
    return { ppid: Number(f[1]), start: f[19]!, cpu: (Number(f[11]) + Number(f[12])) / TICK };
  } catch {
    return undefined; // gone between the listing and the read
  }
}

function cmdlineOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Runs `command` and samples its process tree until it ends; the CPU of every process seen, keyed by pid and start. */
export async function sampleTree(command: string[], intervalMs = 50): Promise<{ code: number | null; wallS: number; treeCpuS: number; samplerCpuS: number; seen: Map<string, Seen> }> {
  const start = performance.now();
  const cpuBefore = childrenCpu();
  const ownBefore = process.cpuUsage();
  const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
  // Members by pid and start time, so a pid the kernel reuses for another program does not join.
  const tree = new Set<string>();
  const seen = new Map<string, Seen>();
  const sample = () => {
    const now = new Map(readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map((pid) => [Number(pid), stat(pid)] as const));
    const keyOf = (pid: number) => (now.get(pid) ? `${pid}@${now.get(pid)!.start}` : undefined);
    if (tree.size === 0 && keyOf(child.pid!)) tree.add(keyOf(child.pid!)!);
    // Parents before children whatever the pid order: repeat until no process joins the tree.
    for (let grew = true; grew;) {
      grew = false;
      for (const [pid, s] of now) {
        const parent = s && keyOf(s.ppid);
        if (!s || tree.has(keyOf(pid)!) || !parent || !tree.has(parent)) continue;
        tree.add(keyOf(pid)!);
        grew = true;
      }
    }
    for (const [pid, s] of now) {
      const key = keyOf(pid);
      if (!s || !key || !tree.has(key)) continue;
      // A forked child shows its parent's command line until it execs: keep the last one.
      seen.set(key, { cmdline: cmdlineOf(String(pid)) || seen.get(key)?.cmdline || '', cpu: s.cpu });
    }
  };
  const timer = setInterval(sample, intervalMs);
  const code = await new Promise<number | null>((resolve, reject) => child.on('close', resolve).on('error', reject)).finally(() => clearInterval(timer));
  const own = process.cpuUsage(ownBefore);
  return { code, wallS: (performance.now() - start) / 1000, treeCpuS: childrenCpu() - cpuBefore, samplerCpuS: (own.user + own.system) / 1e6, seen };
}

/** CPU seconds of this process's waited-for descendants (cutime + cstime): every process of the tree that was reaped. */
function childrenCpu(): number {
  const f = statFields('/proc/self/stat');
  return (Number(f[13]) + Number(f[14])) / TICK;
}

export function report(r: Awaited<ReturnType<typeof sampleTree>>, command: string[], cores: number): string[] {
  const kinds = new Map<string, { runner: boolean; processes: number; cpu: number }>();
  for (const p of r.seen.values()) {
    const { kind, runner } = kindOf(p.cmdline);
    const k = kinds.get(kind) ?? { runner, processes: 0, cpu: 0 };
    k.processes++;
    k.cpu += p.cpu;
    kinds.set(kind, k);
  }
  const sampled = [...kinds.values()].reduce((s, k) => s + k.cpu, 0);
  const floor = [...kinds.values()].filter((k) => !k.runner).reduce((s, k) => s + k.cpu, 0);
  // The kernel's reaped total misses what was orphaned (the browser's processes, killed servers' children); the
  // samples miss the shortest processes: the larger of the two is the nearer.
  const total = Math.max(sampled, r.treeCpuS);
  const lines = [
    `${command.join(' ')}: exit ${r.code}, ${r.wallS.toFixed(1)} s wall, ${total.toFixed(1)} CPU-s in all (user + system of every process it started; ` +
      `${sampled.toFixed(1)} sampled per process, ${r.treeCpuS.toFixed(1)} reaped)`,
    '',
    `${'kind'.padEnd(46)} ${'processes'.padStart(9)} ${'CPU-s'.padStart(7)} ${'share'.padStart(6)}`,
  ];
  for (const [kind, k] of [...kinds].sort((a, b) => b[1].cpu - a[1].cpu)) {
    if (k.cpu < 0.05) continue;
    lines.push(`${(kind + (k.runner ? ' *' : '')).padEnd(46)} ${String(k.processes).padStart(9)} ${k.cpu.toFixed(1).padStart(7)} ${`${((100 * k.cpu) / total).toFixed(0)}%`.padStart(6)}`);
  }
  lines.push(`${'not sampled (short processes, the last tick)'.padEnd(46)} ${''.padStart(9)} ${(total - sampled).toFixed(1).padStart(7)}`);
  lines.push(`${'(this sampler, not in the total)'.padEnd(46)} ${''.padStart(9)} ${r.samplerCpuS.toFixed(1).padStart(7)}`);
  lines.push('', '* the test runners\' own work; every other kind is a process the tests start and exist to run.');
  lines.push(`Those processes: ${floor.toFixed(1)} CPU-s, so on ${cores} cores the command cannot end in under ${(floor / cores).toFixed(1)} s ` +
    `(it took ${r.wallS.toFixed(1)} s; all of its CPU on ${cores} cores: ${(total / cores).toFixed(1)} s).`);
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args[0] === '--') args.shift();
  let cores = availableParallelism();
  if (args[0] === '--cores') {
    cores = Number(args[1]);
    args.splice(0, 2);
  }
  if (!(cores >= 1) || process.platform !== 'linux') {
    console.error(process.platform !== 'linux' ? 'bench:suite reads /proc: Linux only' : '--cores takes a number of cores, such as 2');
    process.exit(2);
  }
  const command = args.length > 0 ? args : ['npm', 'test'];
  const r = await sampleTree(command).catch((e: NodeJS.ErrnoException) => {
    console.error(`bench:suite: cannot run ${command[0]}: ${e.code ?? e.message}`);
    process.exit(2);
  });
  console.log(`\n${report(r, command, cores).join('\n')}`);
  process.exitCode = r.code ?? 1;
}
