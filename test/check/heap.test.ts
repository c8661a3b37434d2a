// The heap setting of `mta-sts check`: V8's young generation stays at its starting size under the churn of a
// run, where without it Node 24 grows it to 64 MiB (issue 26). In fresh processes, so the test's own heap
// history does not decide the outcome; plain Node on the compiled dist/ (the global setup compiles it), since a
// TypeScript loader would cost each child more than its churn.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

const churn = (keepSmall: boolean): number => {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { keepYoungGenerationSmall } from './dist/check/heap.js';
    if (${keepSmall}) keepYoungGenerationSmall();
    let keep = [];
    for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 1e5) keep = []; }
    process.stdout.write(String(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
};

it('keeps the young generation small under churn that grows it by default', () => {
  const MiB = 1024 * 1024;
  expect(churn(false)).toBeGreaterThan(16 * MiB);
  expect(churn(true)).toBeLessThanOrEqual(4 * MiB);
});
