// The checker's verdict as CI annotations: one per failed or warning check, so each problem shows on the run's
// summary page instead of only in the log; on Azure Pipelines a run that only warned ends "succeeded with issues"
// (a certificate still being issued on a first run is one).
import { annotation, inertForAzure, type CiFormat } from '../ci/annotations.ts';
import { printable } from '../printable.ts';
import type { DomainReport } from './result.ts';

/**
 * One annotation per failed (error) or warning check, in the order the checker reported them. Messages carry
 * what remote servers said: shown with the same visible escapes as the findings, so one stays one line.
 */
export function checkAnnotations(reports: DomainReport[], format: CiFormat): string[] {
  const shown = (text: string) => (format === 'azure' ? inertForAzure(printable(text), '\\x5b') : printable(text));
  return reports.flatMap((d) => d.checks
    .filter((c) => c.status === 'fail' || c.status === 'warn')
    .map((c) => annotation(format, c.status === 'fail' ? 'error' : 'warning', `${shown(d.domain)} ${c.check} [${c.code}]`, shown(c.message))));
}

// Warnings that only say a check was skipped on request (--skip-starttls): annotated, but no reason for "issues",
// or every run on a hosted agent (no port 25) would read "succeeded with issues".
const REQUESTED_SKIPS = new Set(['mx-starttls-skipped']);

/** Whether the run should read "succeeded with issues": no check failed, and one warned for a reason of its own. */
export function hasIssues(reports: DomainReport[]): boolean {
  const checks = reports.flatMap((d) => d.checks);
  return !checks.some((c) => c.status === 'fail') && checks.some((c) => c.status === 'warn' && !REQUESTED_SKIPS.has(c.code));
}
