// `mta-sts reports` output: the text summary and the --json object. Pure; the CLI prints what these return.
import { MAX_DISTINCT } from './failures.ts';
import { summarize, type PolicySummary, type ReportSet } from './summary.ts';
import { printable } from '../printable.ts';
import { percent } from './text.ts';

export interface ReportsJson {
  reports: { file: string; organization: string; reportId: string; start: string; end: string; warnings: string[] }[];
  skipped: { file: string; reason: string }[];
  policies: { domain: string; type: string; successful: number; failed: number; failures: Record<string, number>; days: string[]; organizations: string[]; others?: PolicySummary['others']; inexact?: true }[];
  verdict?: { status: string; reasons: string[] };
}

/** `verdict`: the judgement of src/rollout/verdict.ts, when there is a config. */
export function reportsJson(set: ReportSet, verdict?: { status: string; reasons: string[] }): ReportsJson {
  return {
    reports: set.reports.map(({ file, organization, reportId, start, end, warnings }) => ({ file, organization, reportId, start, end, warnings })),
    skipped: set.skipped,
    policies: summarize(set).map((s) => ({
      domain: s.domain, type: s.type, successful: s.successful, failed: s.failed, failures: s.failures, days: s.days, organizations: s.organizations,
      ...(s.others.length ? { others: s.others } : {}),
      ...(s.inexact ? { inexact: true } : {}),
    })),
    ...(verdict ? { verdict: { status: verdict.status, reasons: verdict.reasons } } : {}),
  };
}

/** `verdict`: its lines (src/rollout/verdict-render.ts), printed last. */
export function renderText(set: ReportSet, verdict?: readonly string[]): string {
  const files = set.reports.length + set.skipped.length;
  const out: string[] = [`Read ${set.reports.length} report(s) from ${files} file(s); ${set.skipped.length} skipped.`, ''];
  for (const s of summarize(set)) out.push(...policyBlock(s), '');
  if (set.skipped.length > 0) {
    out.push('skipped:');
    for (const s of set.skipped) out.push(`  ${printable(s.file)}: ${printable(s.reason)}`);
    out.push('');
  }
  const warned = set.reports.filter((r) => r.warnings.length > 0);
  if (warned.length > 0) {
    out.push(`parser warnings (${warned.length} report(s) repaired):`);
    for (const r of warned.slice(0, 20)) for (const w of r.warnings) out.push(`  ${printable(r.file)}: ${printable(w)}`);
    if (warned.length > 20) out.push(`  … and ${warned.length - 20} more report(s); --json or --html lists them all`);
    out.push('');
  }
  if (verdict) out.push(...verdict);
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

function policyBlock(s: PolicySummary): string[] {
  const list = (record: Record<string, number>) => Object.entries(record).map(([k, n]) => `${printable(k)} ${n}`).join(', ') || 'none';
  const lines = [
    `${printable(s.domain)}  ${printable(s.type)}`,
    `  days covered     ${s.days.length}${s.days.length ? ` (${s.days[0]} to ${s.days.at(-1)})` : ''}`,
    `  organisations    ${s.organizations.length}: ${s.organizations.map(printable).join(', ')}`,
    `  sessions         ${s.successful} successful, ${s.failed} failed (${percent(s.failureRate)} failed)${s.inexact ? '; approximate: the totals pass 2^53 - 1' : ''}`,
  ];
  if (s.failed > 0 || Object.keys(s.failures).length > 0) {
    lines.push(
      `  by result type   ${list(s.failures)}`,
      `  by receiving MX  ${list(s.failuresByMx)}`,
      `  by organisation  ${list(s.failuresByOrganization)}`,
    );
  }
  for (const o of s.others) {
    lines.push(`  others           ${o.values} more ${o.dimension} value(s) with ${o.sessions} failed session(s), folded (at most ${MAX_DISTINCT} are listed)`);
  }
  for (const p of s.policiesSeen) {
    const what = p.mode ? `mode ${printable(p.mode)}` : 'no policy-string';
    lines.push(`  senders saw      ${what}${p.mx.length ? `, mx ${p.mx.map(printable).join(', ')}` : ''} (${p.reports} report(s))`);
  }
  return lines;
}

