// Turns `mta-sts check --json` output into CI annotations, one per failed or warning check, so each problem
// shows on the run's summary page instead of only in the log.
//   check-annotations.ts --format azure|github FILE
// With --format azure, a warning also marks the step "succeeded with issues" (a certificate still being issued on a
// first run is one), except the STARTTLS probe the pipeline itself asked to skip: that would mark every hosted run.
// Exit 0 after printing; 1 when FILE holds no check results (the check itself crashed or got bad usage).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { annotation, type CiFormat } from '../src/azure/annotations.ts';

// The logging-command format and escaping are shared with the azure commands (src/azure/annotations.ts).
export { annotation } from '../src/azure/annotations.ts';
export type Format = CiFormat;

interface CheckResult { check: string; status: 'pass' | 'warn' | 'fail'; code: string; message: string }
interface DomainResult { domain: string; status: 'pass' | 'warn' | 'fail'; checks: CheckResult[] }

function isDomainResults(json: unknown): json is DomainResult[] {
  return Array.isArray(json) && json.every((d) =>
    typeof d === 'object' && d !== null && typeof d.domain === 'string' && Array.isArray(d.checks) &&
    d.checks.every((c: unknown) => typeof c === 'object' && c !== null &&
      typeof (c as CheckResult).check === 'string' && typeof (c as CheckResult).message === 'string'));
}

/** One annotation per failed (error) or warning check, in the order the checker reported them. */
export function annotations(results: DomainResult[], format: Format): string[] {
  return results.flatMap((d) => d.checks
    .filter((c) => c.status === 'fail' || c.status === 'warn')
    .map((c) => annotation(format, c.status === 'fail' ? 'error' : 'warning', `${d.domain} ${c.check} [${c.code}]`, c.message)));
}

// Warnings that only say a check was skipped on request (--skip-starttls): reported, but no reason for "issues".
const REQUESTED_SKIPS = new Set(['mx-starttls-skipped']);

/** Whether the run should read "succeeded with issues": no check failed, and one warned for a reason of its own. */
export function hasIssues(results: DomainResult[]): boolean {
  const checks = results.flatMap((d) => d.checks);
  return !checks.some((c) => c.status === 'fail') && checks.some((c) => c.status === 'warn' && !REQUESTED_SKIPS.has(c.code));
}

function main(argv: string[]): number {
  const formatAt = argv.indexOf('--format');
  const format = argv[formatAt + 1];
  const file = argv.filter((_, i) => i !== formatAt && i !== formatAt + 1)[0];
  if (formatAt < 0 || (format !== 'azure' && format !== 'github') || !file) {
    process.stderr.write('usage: check-annotations.ts --format azure|github FILE\n');
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    json = (e as Error).message;
  }
  if (!isDomainResults(json)) {
    const why = typeof json === 'string' ? json : 'not the array of domain results that `check --json` prints';
    process.stdout.write(`${annotation(format, 'error', 'mta-sts check', `no results in ${file} (${why}); see the check step's log`)}\n`);
    return 1;
  }
  const lines = annotations(json, format);
  // Only without failures: the check's non-zero exit then decides, not a result set before it.
  if (format === 'azure' && hasIssues(json)) lines.push('##vso[task.complete result=SucceededWithIssues;]');
  process.stdout.write(lines.map((l) => `${l}\n`).join(''));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
