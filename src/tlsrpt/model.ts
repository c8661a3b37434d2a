// The TLS-RPT report (RFC 8460 §4.3–4.4) after lenient parsing: what the summary and the verdict read.

/** RFC 8460 §4.3 policy types; anything else a sender writes is kept as written (with a warning). */
export const POLICY_TYPES = ['sts', 'tlsa', 'no-policy-found'] as const;

/** RFC 8460 §4.3 result types, negotiation failures first, then policy failures. */
export const RESULT_TYPES = [
  'starttls-not-supported', 'certificate-host-mismatch', 'certificate-expired', 'certificate-not-trusted', 'validation-failure',
  'tlsa-invalid', 'dnssec-invalid', 'dane-required', 'sts-policy-fetch-error', 'sts-policy-invalid', 'sts-webpki-invalid',
] as const;

export interface FailureDetail {
  /** As the sender wrote it, lower-cased; unknown types are kept. */
  resultType: string;
  /** 0 when `unreadable`. */
  failedSessionCount: number;
  /** The count was missing or not a non-negative whole number: the failure happened, its size is unknown. */
  unreadable?: true;
  sendingMtaIp?: string;
  /** Normalised host name; absent when the sender left it out (Mail.ru, Microsoft's fetch errors). */
  receivingMxHostname?: string;
  receivingMxHelo?: string;
  receivingIp?: string;
  additionalInformation?: string;
  failureReasonCode?: string;
}

/**
 * One row of a policy entry's failures (failures.ts). At most MAX_DISTINCT rows name an MX; after them come rows
 * with `others`, one per RFC result type (and one for all others): how many (result type, MX) pairs it folds.
 * Such a row names no MX, so the verdict takes it as possibly a covered host (fail closed).
 */
export interface FailureRow { resultType: string; mx?: string; sessions: number; others?: number }

export interface ReportPolicy {
  /** `sts`, `tlsa`, `no-policy-found`, or what the sender wrote. */
  type: string;
  /** The policy's lines for sts, the TLSA records for tlsa; empty when the sender sent none. */
  policyString: string[];
  /** Normalised: lower case, no trailing dot, A-labels. */
  domain: string;
  mxHost: string[];
  successful: number;
  /** total-failure-session-count as written, or the sum of the details when it was missing. */
  failed: number;
  /** The first MAX_DETAILS_KEPT failure details as written (parser.ts); every detail is counted in `failures`. */
  details: FailureDetail[];
  /** Every failure detail, folded per (result type, receiving MX) and capped (failures.ts). */
  failures: FailureRow[];
  /** The first MAX_UNREADABLE_KEPT count fields that were not non-negative whole numbers; failures there cannot be counted. */
  unreadable: Unreadable[];
  /** How many more such fields there were (absent when none). */
  unreadableMore?: number;
}

/** A session count that could not be read: `field` as `policies[0].failure-details[1].failed-session-count (got 1.5)`. */
export interface Unreadable { field: string; /** The detail's receiving MX, when it named one. */ mx?: string }

export interface Report {
  organization: string;
  reportId: string;
  contactInfo?: string;
  /** ISO 8601 UTC. */
  start: string;
  end: string;
  policies: ReportPolicy[];
  /** Every repair the parser made, in words, e.g. "date-range.start-datetime has no time zone; read as UTC". */
  warnings: string[];
}

/** The day a report counts for: its start date in UTC (senders end the range at 23:59:59 or at 00:00 the next day). */
export function reportDay(report: Pick<Report, 'start'>): string {
  return report.start.slice(0, 10);
}
