// Benchmark: parseConfig on a config with N unknown top-level keys (each one a diagnostic with a
// position). Linear work gives a 10x ratio for 10x keys; the yaml library's pairwise duplicate-key
// check and a linear search per position made it quadratic (40,000 keys took 33 s).
// Usage: npx tsx scripts/bench-config.ts [RUNS]
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config/config.ts';

const RUNS = Math.max(3, Number(process.argv[2] ?? 5));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function configYaml(keys: number): string {
  const extra = Array.from({ length: keys }, (_, i) => `k${i}: 1`).join('\n');
  return `domains: [contoso.com]\npolicy:\n  mode: testing\n  max_age: 7d\n${extra}\n`;
}

parseConfig(configYaml(4_000), 'warm-up.yaml'); // JIT and lazy initialisation, not part of the measurement
const results: Record<number, number> = {};
console.log(`parseConfig, median of ${RUNS} runs (ms)`);
console.log('unknown keys  bytes     ms');
for (const keys of [4_000, 40_000]) {
  const text = configYaml(keys);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const result = parseConfig(text, 'bench.yaml');
    times.push(performance.now() - start);
    if (result.ok || result.errors.length !== keys) throw new Error(`expected ${keys} errors`);
  }
  results[keys] = median(times);
  console.log(`${String(keys).padStart(12)}  ${String(text.length).padStart(6)}  ${results[keys].toFixed(0).padStart(5)}`);
}
console.log(`ratio 40,000 / 4,000 keys: ${(results[40_000]! / results[4_000]!).toFixed(1)}x (10x is linear)`);
