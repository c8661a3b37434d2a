// The shape of a checker verdict: the `--json` contract, also rendered as the table and as JUnit XML.
import type { Policy } from '../rfc/policy.ts';

export type Status = 'pass' | 'warn' | 'fail';

/** The check groups of a domain, in the order they are shown. */
export const CHECKS = [
  'domain', // 0. the domain exists: NXDOMAIN at it ends the run of its checks (RFC 1035 §4.1.1, RFC 8020)
  'sts-record', // 1. _mta-sts TXT (RFC 8461 §3.1)
  'policy-fetch', // 2. HTTPS fetch (RFC 8461 §3.3)
  'policy-parse', // 3. policy syntax (RFC 8461 §3.2)
  'mx-match', // 4. MX hosts vs policy patterns (RFC 8461 §4.1)
  'mx-starttls', // 5. STARTTLS + certificate per MX (RFC 8461 §4.2)
  'tlsrpt', // 6. _smtp._tls TXT (RFC 8460 §3)
  'config', // 7. live vs mta-sts.config.yaml (RFC 8461 §8.1)
  'exchange', // 8. Exchange Online pitfalls
  'evidence', // 9. --before-deploy, testing → enforce: TLS-RPT promotion evidence (src/rollout/evidence.ts)
] as const;
export type CheckName = (typeof CHECKS)[number];

export interface CheckResult {
  check: CheckName;
  status: Status;
  /** Stable kebab-case code, safe to match on in scripts. */
  code: string;
  message: string;
  evidence?: Record<string, unknown>;
}

export interface DomainReport {
  domain: string;
  status: Status;
  checks: CheckResult[];
  /** Present when the run looked somewhere senders do not (--dns-server, MTA_STS_HTTPS_PORT…). */
  overrides?: Override[];
}

/** One setting that made the run look somewhere senders do not (src/cli/network.ts). */
export interface Override {
  /** As the user gave it: `--dns-server`, `MTA_STS_DNS_SERVER` or `MTA_STS_HTTPS_PORT`. */
  name: string;
  value: string;
  /** What it changes, in a sentence. */
  effect: string;
}

/** One thing a check found; a check may find several and reports the worst first. */
export interface Finding {
  status: Status;
  code: string;
  message: string;
}

/** How bad a state is: pass < warn < fail. */
export const RANK: Record<Status, number> = { pass: 0, warn: 1, fail: 2 };

export function worst(statuses: Status[]): Status {
  return statuses.reduce<Status>((a, b) => (RANK[b] > RANK[a] ? b : a), 'pass');
}

/** Folds findings into one check result: the worst status and its code; every problem in the message. */
export function combine(check: CheckName, findings: Finding[], evidence?: Record<string, unknown>): CheckResult {
  const status = worst(findings.map((f) => f.status));
  const top = findings.find((f) => f.status === status) ?? { code: `${check}-ok`, message: 'ok' };
  const problems = findings.filter((f) => f.status !== 'pass');
  const message = problems.length > 0 ? problems.map((f) => f.message).join('; ') : top.message;
  const result: CheckResult = { check, status, code: top.code, message };
  const extra = problems.length > 1 ? { findings: problems } : {};
  if (evidence || problems.length > 1) result.evidence = { ...evidence, ...extra };
  return result;
}

/**
 * What the world shows of a domain's current MTA-STS state, read just before a deploy. Senders cache a policy
 * until its max_age ends (RFC 8461 §5.1), so "cannot be read" never means "there is none".
 */
export interface LiveState {
  /**
   * The `_mta-sts` TXT (RFC 8461 §3.1): `absent` when the name has no record beginning with v=STSv1 (NXDOMAIN,
   * NODATA or other TXT only), `published` when it has any (valid or not), `unknown` when the lookup failed.
   */
  record: { state: 'absent' } | { state: 'published' } | { state: 'unknown'; why: string };
  /** The policy at https://mta-sts.<domain>/.well-known/mta-sts.txt, or why it could not be fetched or parsed. */
  policy: { ok: true; policy: Policy } | { ok: false; why: string };
}

