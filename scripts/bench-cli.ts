// Benchmark: start-up cost of the CLI as users run it (a fresh `node bin/mta-sts.js` process on the compiled
// dist/), against a bare `node -e 0` measured in the same run, interleaved so machine noise hits both alike.
// Prints median wall time and peak RSS per command and the ratio to bare node. Targets: records <= 2.5x node -e 0;
// `azure bind --help` <= 1.5x `lint --help` (the azure commands load the Azure SDKs only when they call Azure).
// Usage: npm run bench:cli [-- RUNS]
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const RUNS = Math.max(5, Number(process.argv[2] ?? 15));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Each child reports its own peak RSS on exit, through a module preloaded from a data: URL.
const REPORT_RSS = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss='+process.resourceUsage().maxRSS+'\\n'))`;

const cases: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'mta-sts --version': ['bin/mta-sts.js', '--version'],
  'mta-sts records': ['bin/mta-sts.js', 'records'],
  'mta-sts lint -': ['bin/mta-sts.js', 'lint', '-'],
  'mta-sts lint --help': ['bin/mta-sts.js', 'lint', '--help'],
  'mta-sts azure bind --help': ['bin/mta-sts.js', 'azure', 'bind', '--help'],
};

const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, { ms: [] as number[], kb: [] as number[] }]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, args] of Object.entries(cases)) {
    const start = performance.now();
    const r = spawnSync(process.execPath, ['--import', REPORT_RSS, ...args], { input: 'version: STSv1\nmode: none\nmax_age: 86400\n', encoding: 'utf8' });
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr}`);
    samples[name].ms.push(ms);
    samples[name].kb.push(Number(/maxrss=(\d+)/.exec(r.stderr)?.[1]));
  }
}

const base = median(samples['node -e 0'].ms);
console.log(`CLI start-up, median of ${RUNS} interleaved runs`);
console.log('command                    wall (ms)  x node -e 0  peak RSS (MB)');
for (const [name, s] of Object.entries(samples)) {
  const ms = median(s.ms);
  console.log(`${name.padEnd(25)}  ${ms.toFixed(0).padStart(9)}  ${(ms / base).toFixed(2).padStart(11)}  ${(median(s.kb) / 1024).toFixed(0).padStart(13)}`);
}
const ratio = median(samples['mta-sts records'].ms) / base;
console.log(`records / node -e 0: ${ratio.toFixed(2)}x (target <= 2.5x) ${ratio <= 2.5 ? 'met' : 'NOT met'}`);
const help = median(samples['mta-sts azure bind --help'].ms) / median(samples['mta-sts lint --help'].ms);
console.log(`azure bind --help / lint --help: ${help.toFixed(2)}x (target <= 1.5x) ${help <= 1.5 ? 'met' : 'NOT met'}`);
