// The evidence rules for testing → enforce: enough reports, from enough senders, with no failure that
// would bounce mail once the policy is enforced. Pure: the reports, the config and the date in, a verdict out.
import type { Config, Rollout } from '../config/config.ts';
import { effectiveRollout } from '../config/rules.ts';
import { mxMatches } from '../rfc/hostname.ts';
import { othersMx, seenPolicy, type Observation, type ReportSet } from '../tlsrpt/summary.ts';

/**
 * Result types after which a sender refuses delivery under `enforce` (RFC 8461 §5: no valid TLS to a
 * matching MX), plus the two that mean the published policy or its host's certificate is broken.
 */
export const BLOCKING_RESULT_TYPES = new Set([
  'starttls-not-supported', 'certificate-host-mismatch', 'certificate-expired', 'certificate-not-trusted', 'validation-failure',
  'sts-policy-invalid', 'sts-webpki-invalid',
]);
export const FETCH_ERROR = 'sts-policy-fetch-error';

export type VerdictStatus = 'ready' | 'not-ready' | 'insufficient-data';

export interface BlockingFailure { day: string; organization: string; resultType: string; mx?: string; sessions: number }

export interface DomainEvidence {
  domain: string;
  /** Distinct days (report start, UTC) with sts reports in the window. */
  reportDays: string[];
  organizations: string[];
  /** Successful / failed sts sessions in the window. */
  successful: number;
  failed: number;
  blockingFailures: BlockingFailure[];
  fetchErrorDays: string[];
  /** Session counts at a covered MX in the window that could not be read: they block like a failure. */
  unreadableCounts: { file: string; field: string }[];
  /** This domain's own status and unmet rules (the same sentences as Verdict.reasons), for a per-domain view. */
  status: VerdictStatus;
  reasons: string[];
}

export interface Verdict {
  status: VerdictStatus;
  /** One sentence per unmet rule, with the numbers; empty when ready. */
  reasons: string[];
  /** First and last day of the window (inclusive, UTC) and of its recent part. */
  window: { start: string; end: string; days: number; recentStart: string };
  rollout: Rollout;
  domains: DomainEvidence[];
  /** Indices into ReportSet.reports of the reports that counted. */
  reportsUsed: number[];
}

const DAY_MS = 86_400_000;

/** The day `now` falls on (UTC), as YYYY-MM-DD. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Judges the reports against the config's domains and policy, over the `window_days` days before `now`'s
 * day (that day itself is still incomplete, so it is left out).
 */
export function judge(set: ReportSet, config: Config, now: Date): Verdict {
  const rollout = effectiveRollout(config);
  const today = Date.parse(`${utcDay(now)}T00:00:00Z`);
  const day = (offset: number) => new Date(today - offset * DAY_MS).toISOString().slice(0, 10);
  const window = { start: day(rollout.window_days), end: day(1), days: rollout.window_days, recentStart: day(rollout.recent_days) };
  const configMx = [...config.policy.mx].sort();
  const sameMx = (mx: string[]) => mx.length === configMx.length && mx.every((m, i) => m === configMx[i]);
  // Only what senders saw of this very policy in testing counts; a report without a policy-string is
  // taken as about it (Mail.ru and others never send one).
  const aboutThisPolicy = (o: Observation) => {
    if (o.policyString.length === 0) return true;
    const seen = seenPolicy(o.policyString);
    return seen.mode === 'testing' && sameMx(seen.mx);
  };
  const covered = (mx: string | undefined) => mx === undefined || config.policy.mx.some((p) => mxMatches(p, mx));

  const byDomain = new Map(config.domains.map((d) => [d, [] as Observation[]]));
  const used = new Set<number>();
  for (const o of set.observations) {
    const list = byDomain.get(o.domain);
    if (!list || o.day < window.start || o.day > window.end || !aboutThisPolicy(o)) continue;
    if (o.type !== 'sts' && o.type !== 'no-policy-found') continue;
    list.push(o);
    used.add(o.report);
  }

  const insufficient: string[] = [];
  const notReady: string[] = [];
  const domains: DomainEvidence[] = [];
  for (const [domain, list] of byDomain) {
    const sts = list.filter((o) => o.type === 'sts');
    const evidence: DomainEvidence = {
      domain,
      reportDays: [...new Set(sts.map((o) => o.day))].sort(),
      organizations: [...new Set(sts.map((o) => o.organization))].sort(),
      successful: sts.reduce((n, o) => n + o.successful, 0),
      failed: sts.reduce((n, o) => n + o.failed, 0),
      blockingFailures: [],
      fetchErrorDays: [],
      unreadableCounts: [],
      status: 'ready',
      reasons: [],
    };
    const before = { notReady: notReady.length, insufficient: insufficient.length };
    const fetchErrorDays = new Set<string>();
    for (const o of list) {
      // Fail closed: a count that cannot be read may hide any number of failures.
      for (const u of o.unreadable) {
        if (covered(u.mx)) evidence.unreadableCounts.push({ file: set.reports[o.report]!.file, field: u.field });
      }
      for (const f of o.failures) {
        if (f.sessions <= 0) continue;
        if (f.resultType === FETCH_ERROR) fetchErrorDays.add(o.day);
        if (BLOCKING_RESULT_TYPES.has(f.resultType) && o.day >= window.recentStart && covered(f.mx)) {
          evidence.blockingFailures.push({ day: o.day, organization: o.organization, resultType: f.resultType, ...(f.mx ? { mx: f.mx } : f.others ? { mx: othersMx(f.others) } : {}), sessions: f.sessions });
        }
      }
    }
    evidence.fetchErrorDays = [...fetchErrorDays].sort();
    domains.push(evidence);

    const span = `${window.start} to ${window.end}`;
    if (evidence.reportDays.length < rollout.min_report_days) {
      insufficient.push(`${domain}: sts reports on ${evidence.reportDays.length} distinct day(s) from ${span}; need at least ${rollout.min_report_days} (rollout.min_report_days)`);
    }
    if (evidence.organizations.length < rollout.min_organizations) {
      const who = evidence.organizations.length ? ` (${evidence.organizations.join(', ')})` : '';
      insufficient.push(`${domain}: sts reports from ${evidence.organizations.length} organisation(s)${who} from ${span}; need at least ${rollout.min_organizations} (rollout.min_organizations)`);
    }
    if (evidence.successful < rollout.min_sessions) {
      insufficient.push(`${domain}: ${evidence.successful} successful sts session(s) from ${span}; need at least ${rollout.min_sessions} (rollout.min_sessions)`);
    }
    if (evidence.blockingFailures.length > 0) {
      const sessions = evidence.blockingFailures.reduce((n, f) => n + f.sessions, 0);
      const kinds = groupFailures(evidence.blockingFailures);
      notReady.push(`${domain}: ${sessions} session(s) failed in the last ${rollout.recent_days} days (from ${window.recentStart}) in ways that bounce mail under enforce: ${kinds} (rollout.recent_days)`);
    }
    if (evidence.unreadableCounts.length > 0) {
      const shown = evidence.unreadableCounts.slice(0, 5).map((u) => `${u.file}: ${u.field}`);
      const more = evidence.unreadableCounts.length > 5 ? `; and ${evidence.unreadableCounts.length - 5} more` : '';
      notReady.push(`${domain}: ${evidence.unreadableCounts.length} session count(s) from ${span} cannot be read, so failures there cannot be ruled out: ${shown.join('; ')}${more} (fix or remove those reports)`);
    }
    if (evidence.fetchErrorDays.length >= rollout.max_fetch_error_days) {
      notReady.push(`${domain}: sts-policy-fetch-error on ${evidence.fetchErrorDays.length} day(s) from ${span} (${evidence.fetchErrorDays.join(', ')}); ${rollout.max_fetch_error_days} or more mean the policy host is failing (rollout.max_fetch_error_days)`);
    }
    const ownNotReady = notReady.slice(before.notReady);
    const ownInsufficient = insufficient.slice(before.insufficient);
    evidence.status = ownNotReady.length > 0 ? 'not-ready' : ownInsufficient.length > 0 ? 'insufficient-data' : 'ready';
    evidence.reasons = [...ownNotReady, ...ownInsufficient];
  }
  // not-ready wins: more reports cannot make a failing MX safe.
  const status: VerdictStatus = notReady.length > 0 ? 'not-ready' : insufficient.length > 0 ? 'insufficient-data' : 'ready';
  return { status, reasons: [...notReady, ...insufficient], window, rollout, domains, reportsUsed: [...used].sort((a, b) => a - b) };
}

function groupFailures(list: BlockingFailure[]): string {
  const groups = new Map<string, { sessions: number; orgs: Set<string> }>();
  for (const f of list) {
    const key = `${f.resultType} at ${f.mx ?? 'an unnamed MX'}`;
    const g = groups.get(key) ?? { sessions: 0, orgs: new Set<string>() };
    g.sessions += f.sessions;
    g.orgs.add(f.organization);
    groups.set(key, g);
  }
  return [...groups.entries()].map(([k, g]) => `${k} (${g.sessions}, reported by ${[...g.orgs].sort().join(', ')})`).join('; ');
}
