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

parseConfig(configYaml(900), 'warm-up.yaml'); // JIT and lazy initialisation, not part of the measurement
const results: Record<number, number> = {};
console.log(`parseConfig, median of ${RUNS} runs (ms)`);
console.log('unknown keys  bytes     ms');
for (const keys of [900, 9_000]) { // 9,000: the most a config's 10,000 lines hold (src/config/shape.ts)
  const text = configYaml(keys);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const result = parseConfig(text, 'bench.yaml');
    times.push(performance.now() - start);
    if (result.ok) throw new Error(`expected ${keys} unknown keys to be refused`);
  }
  results[keys] = median(times);
  console.log(`${String(keys).padStart(12)}  ${String(text.length).padStart(6)}  ${results[keys].toFixed(0).padStart(5)}`);
}
console.log(`ratio 9,000 / 900 keys: ${(results[9_000]! / results[900]!).toFixed(1)}x (10x is linear)`);

// Hostile shapes, refused by the shape check before the YAML parser (before it: 1 MiB of "[" took 17 s and
// 1 GB, an alias per key a minute). Against the floor: the same bytes only scanned for a newline count.
const hostile: Record<string, string> = {
  'unclosed [ (255 KiB)': '['.repeat(255 * 1024),
  'unclosed [ (1 MiB, over the size limit)': '['.repeat(1024 * 1024),
  'nested "- " (254 KiB)': '- '.repeat(127 * 1024),
  'an alias per key (9,000)': `a: &a [x]\n${Array.from({ length: 9_000 }, (_, i) => `k${i}: *a`).join('\n')}`,
  '20,000 keys': Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join('\n'),
};
console.log('\nhostile shape                              bytes     ms  floor ms');
for (const [name, text] of Object.entries(hostile)) {
  const times: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let start = performance.now();
    const result = parseConfig(text, 'bench.yaml');
    times.push(performance.now() - start);
    if (result.ok) throw new Error(`${name} was accepted`);
    start = performance.now();
    let lines = 0;
    for (let j = text.indexOf('\n'); j >= 0; j = text.indexOf('\n', j + 1)) lines++;
    floor.push(performance.now() - start);
    if (lines < 0) throw new Error('unreachable'); // keeps the loop from being optimised away
  }
  console.log(`${name.padEnd(40)}  ${String(text.length).padStart(7)}  ${median(times).toFixed(1).padStart(5)}  ${median(floor).toFixed(1).padStart(8)}`);
}
