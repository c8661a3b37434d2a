// Benchmark: wall time of `mta-sts build` for 1 and 5 domains, as a user runs it (a fresh process,
// so it includes Node + tsx start-up) and in-process (the render alone). Prints medians of RUNS runs.
// Usage: npm run bench:build [-- RUNS]
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config/config.ts';
import { buildSite } from '../src/site/build.ts';

const RUNS = Math.max(3, Number(process.argv[2] ?? 7));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function configYaml(domains: number): string {
  const list = Array.from({ length: domains }, (_, i) => `  - domain${i + 1}.example.com`).join('\n');
  return `domains:\n${list}\npolicy:\n  mode: testing\n  mx:\n    - "*.mail.protection.outlook.com"\n  max_age: 7d\n`;
}

async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const work = await mkdtemp(join(tmpdir(), 'mta-sts-bench-'));
try {
  const rows: string[] = [];
  const results: Record<number, { cli: number; render: number }> = {};
  for (const domains of [1, 5]) {
    const file = join(work, `config-${domains}.yaml`);
    await writeFile(file, configYaml(domains));
    const parsed = parseConfig(configYaml(domains), file);
    if (!parsed.ok) throw new Error(`bench config invalid: ${JSON.stringify(parsed.errors)}`);
    const out = join(work, `home-${domains}`);
    const cli: number[] = [];
    const render: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      cli.push(await time(() => execFileSync(process.execPath, ['bin/mta-sts.js', 'build', '--config', file, '--out', out], { stdio: 'ignore' })));
      render.push(await time(() => buildSite(parsed.config, out)));
    }
    results[domains] = { cli: median(cli), render: median(render) };
    rows.push(`${String(domains).padStart(7)}  ${median(cli).toFixed(0).padStart(14)}  ${median(render).toFixed(0).padStart(15)}`);
  }
  console.log(`mta-sts build, median of ${RUNS} runs (ms)`);
  console.log('domains  CLI process (ms)  render only (ms)');
  for (const row of rows) console.log(row);
  console.log(`ratio 5 domains / 1 domain: CLI ${(results[5].cli / results[1].cli).toFixed(2)}x, render ${(results[5].render / results[1].render).toFixed(2)}x`);
} finally {
  await rm(work, { recursive: true, force: true });
}
