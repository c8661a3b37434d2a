// Aggregation: reports are folded in one at a time and only per-report metadata and one compact
// observation per (report, policy) are kept, so 10,000 reports fit in a few megabytes.
import { MAX_DISTINCT } from './failures.ts';
import { reportDay, type FailureRow, type Report, type Unreadable } from './model.ts';

/** One report that was read, as `mta-sts reports --json` lists it. */
export interface ReportMeta {
  file: string;
  organization: string;
  reportId: string;
  start: string;
  end: string;
  warnings: string[];
  /** Of the file's bytes, for the evidence file. */
  sha256: string;
}

export interface Skipped { file: string; reason: string }

/** What one policy entry of one report says, with its failure details folded per (result type, MX). */
export interface Observation {
  /** Index into ReportSet.reports. */
  report: number;
  day: string;
  organization: string;
  domain: string;
  type: string;
  /** The policy lines the sender saw (interned), empty when it sent none. */
  policyString: string[];
  successful: number;
  failed: number;
  /** Folded and capped by the parser (failures.ts). */
  failures: FailureRow[];
  /** Count fields that could not be read (see ReportPolicy.unreadable), with the MX of the detail when it named one. */
  unreadable: Unreadable[];
}

/** The reports read so far; `add` keeps the first of each (organization, report-id). */
export class ReportSet {
  readonly reports: ReportMeta[] = [];
  readonly skipped: Skipped[] = [];
  readonly observations: Observation[] = [];
  /** Reports that started before `since` (YYYY-MM-DD), left out. */
  older = 0;
  private readonly seen = new Map<string, string>();
  private readonly lines = new Map<string, string[]>();

  constructor(private readonly since?: string) {}

  /** Adds a parsed report; returns false when it duplicates one already added (it is listed in `skipped`). */
  add(report: Report, file: string, sha256: string): boolean {
    if (this.since !== undefined && reportDay(report) < this.since) {
      this.older++;
      return false;
    }
    const key = `${report.organization}\u0000${report.reportId}`;
    const first = this.seen.get(key);
    if (first !== undefined) {
      this.skip(file, `duplicate of ${first} (same organization-name and report-id)`);
      return false;
    }
    this.seen.set(key, file);
    const index = this.reports.length;
    this.reports.push({
      file, organization: report.organization, reportId: report.reportId, start: report.start, end: report.end,
      warnings: report.warnings, sha256,
    });
    const day = reportDay(report);
    for (const policy of report.policies) {
      this.observations.push({
        report: index, day, organization: report.organization, domain: policy.domain, type: policy.type,
        policyString: this.intern(policy.policyString), successful: policy.successful, failed: policy.failed,
        failures: policy.failures,
        // Capped by the parser as the rows are; the folded rest names no MX, so it still blocks (fail closed).
        unreadable: policy.unreadableMore ? [...policy.unreadable, { field: `… and ${policy.unreadableMore} more count(s) that cannot be read` }] : policy.unreadable,
      });
    }
    return true;
  }

  skip(file: string, reason: string): void {
    this.skipped.push({ file, reason });
  }

  // Thousands of reports repeat the same few policies: keep one copy of each.
  private intern(lines: string[]): string[] {
    const key = lines.join('\n');
    const known = this.lines.get(key);
    if (known) return known;
    this.lines.set(key, lines);
    return lines;
  }
}

/** What senders saw: the policy's mode and MX lines (RFC 8461 §3.2 keys), read leniently from policy-string. */
export interface SeenPolicy { mode?: string; mx: string[] }

export function seenPolicy(lines: string[]): SeenPolicy {
  const seen: SeenPolicy = { mx: [] };
  for (const line of lines) {
    const m = /^\s*([A-Za-z0-9_]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    if (key === 'mode') seen.mode = m[2]!.toLowerCase();
    else if (key === 'mx') seen.mx.push(m[2]!.toLowerCase().replace(/\.$/, ''));
  }
  seen.mx.sort();
  return seen;
}

export interface PolicySummary {
  domain: string;
  type: string;
  days: string[];
  organizations: string[];
  reports: number;
  successful: number;
  failed: number;
  /** failed / (successful + failed); 0 with no sessions. */
  failureRate: number;
  failures: Record<string, number>;
  failuresByMx: Record<string, number>;
  failuresByOrganization: Record<string, number>;
  /** Each distinct policy senders reported, with how many report entries carried it. */
  policiesSeen: { mode?: string; mx: string[]; reports: number }[];
  daily: { day: string; successful: number; failed: number }[];
  /** result type × MX × organization. */
  matrix: { resultType: string; mx: string; organization: string; sessions: number }[];
  /** Some total passed 2^53 − 1, where numbers lose whole units: the totals shown are approximate. */
  inexact?: true;
  /** What the caps folded away, per dimension: how many values, and their sessions (absent when nothing was). */
  others: { dimension: 'result type' | 'MX host' | 'organisation' | 'matrix cell'; values: number; sessions: number }[];
}

/** The MX shown for a failure detail that named none. */
export const NO_MX = '(not given)';

/** Per policy domain and type, sorted by domain then type. */
export function summarize(set: ReportSet): PolicySummary[] {
  const groups = new Map<string, Observation[]>();
  for (const o of set.observations) {
    const key = `${o.domain}\u0000${o.type}`;
    const list = groups.get(key) ?? [];
    list.push(o);
    groups.set(key, list);
  }
  const summaries = [...groups.values()].map(summarizeGroup);
  return summaries.sort((a, b) => compare(a.domain, b.domain) || compare(a.type, b.type));
}

function summarizeGroup(list: Observation[]): PolicySummary {
  const first = list[0]!;
  const days = new Map<string, { successful: number; failed: number }>();
  const organizations = new Set<string>();
  const reports = new Set<number>();
  // Keys come from the reports (a result type, MX or organisation may be `__proto__` or `constructor`): Maps.
  const failures = new Map<string, number>();
  const byMx = new Map<string, number>();
  const byOrg = new Map<string, number>();
  const matrix = new Map<string, { resultType: string; mx: string; organization: string; sessions: number }>();
  const policies = new Map<string, { mode?: string; mx: string[]; reports: number }>();
  let successful = 0;
  let failed = 0;
  for (const o of list) {
    successful += o.successful;
    failed += o.failed;
    organizations.add(o.organization);
    reports.add(o.report);
    const day = days.get(o.day) ?? { successful: 0, failed: 0 };
    day.successful += o.successful;
    day.failed += o.failed;
    days.set(o.day, day);
    for (const f of o.failures) {
      const mx = f.others ? othersMx(f.others) : f.mx ?? NO_MX;
      add(failures, f.resultType, f.sessions);
      add(byMx, mx, f.sessions);
      add(byOrg, o.organization, f.sessions);
      const k = `${f.resultType}\u0000${mx}\u0000${o.organization}`;
      const cell = matrix.get(k) ?? { resultType: f.resultType, mx, organization: o.organization, sessions: 0 };
      cell.sessions += f.sessions;
      matrix.set(k, cell);
    }
    const seen = seenPolicy(o.policyString);
    const pk = `${seen.mode ?? ''}\u0000${seen.mx.join('\u0000')}`;
    const p = policies.get(pk) ?? { ...(seen.mode ? { mode: seen.mode } : {}), mx: seen.mx, reports: 0 };
    p.reports++;
    policies.set(pk, p);
  }
  const total = successful + failed;
  const others: PolicySummary['others'] = [];
  const top = <T>(entries: [string, T][], weight: (v: T) => number, dimension: PolicySummary['others'][number]['dimension']) => {
    const sorted = entries.sort(([a, x], [b, y]) => weight(y) - weight(x) || compare(a, b));
    const rest = sorted.slice(MAX_DISTINCT);
    if (rest.length > 0) others.push({ dimension, values: rest.length, sessions: rest.reduce((n, [, v]) => n + weight(v), 0) });
    return sorted.slice(0, MAX_DISTINCT);
  };
  const record = (map: Map<string, number>, dimension: PolicySummary['others'][number]['dimension']) => {
    const out = Object.create(null) as Record<string, number>;
    for (const [key, n] of top([...map.entries()], (v) => v, dimension)) out[key] = n;
    return out;
  };
  return {
    domain: first.domain,
    type: first.type,
    days: [...days.keys()].sort(),
    organizations: [...organizations].sort(compare),
    reports: reports.size,
    successful,
    failed,
    failureRate: total === 0 ? 0 : failed / total,
    failures: record(failures, 'result type'),
    failuresByMx: record(byMx, 'MX host'),
    failuresByOrganization: record(byOrg, 'organisation'),
    policiesSeen: [...policies.values()].sort((a, b) => b.reports - a.reports),
    daily: [...days.entries()].sort(([a], [b]) => compare(a, b)).map(([day, v]) => ({ day, ...v })),
    ...(Number.isSafeInteger(successful + failed) ? {} : { inexact: true as const }),
    matrix: top([...matrix.entries()], (c) => c.sessions, 'matrix cell').map(([, c]) => c)
      .sort((a, b) => b.sessions - a.sessions || compare(a.resultType, b.resultType) || compare(a.mx, b.mx) || compare(a.organization, b.organization)),
    others,
  };
}

/** Which organisations reported on which days (start date, UTC), over every report read. */
export function organizationDays(set: ReportSet): { organization: string; days: string[] }[] {
  const map = new Map<string, Set<string>>();
  for (const r of set.reports) {
    const days = map.get(r.organization) ?? new Set<string>();
    days.add(r.start.slice(0, 10));
    map.set(r.organization, days);
  }
  return [...map.entries()].sort(([a], [b]) => compare(a, b)).map(([organization, days]) => ({ organization, days: [...days].sort() }));
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** How a folded row of MX hosts is shown. */
export function othersMx(count: number): string {
  return `(${count} other MX host(s))`;
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
