// Rules the schema cannot express: host name grammar, Azure and Exchange Online limits, risky settings.
import { EXO_MX_PATTERN, exchangePatternPitfall, isOnMicrosoftDomain } from '../exchange-online.ts';
import { checkMxPattern, isValidDomainName } from '../rfc/hostname.ts';
import { MAX_MAX_AGE, MAX_POLICY_BYTES, policyText } from '../rfc/policy.ts';
import { parseTlsRptRecord } from '../rfc/tlsrpt-record.ts';
import type { Config, ConfigDiagnostic, Rollout } from './types.ts';
import { durationSeconds } from './duration.ts';
import type { ConfigPath, SourcePositions } from './positions.ts';
import { AZURE_HOSTING_KEYS, type HostingKind, type HostingPlan, type RawConfig, type RawRollout } from './raw-config.ts';
import { shown } from './schema-errors.ts';
import { hostingKind } from '../hosting/hosting.ts';

/** How many mail domains one app of this hosting can serve (the kind's adapter knows its quota). */
export function domainQuota(hosting: { kind: HostingKind; plan: HostingPlan }): number {
  return hostingKind(hosting.kind).domainQuota(hosting.plan);
}
const ONE_DAY = 86400;

// Google's guidance for its own domains: two weeks of testing; the other numbers keep one quiet sender
// or one lucky week from deciding (see mta-sts.schema.json for each meaning).
export const DEFAULT_ROLLOUT: Rollout = {
  window_days: 14, min_report_days: 10, min_organizations: 2, min_sessions: 100, recent_days: 7, max_fetch_error_days: 3,
};

export interface RuleResult { config: Config; errors: ConfigDiagnostic[]; warnings: ConfigDiagnostic[] }

/** Checks a config that already matches the schema and normalizes it (seconds, lower-case names, defaults). */
export function applyRules(raw: RawConfig, positions: SourcePositions, file: string): RuleResult {
  const errors: ConfigDiagnostic[] = [];
  const warnings: ConfigDiagnostic[] = [];
  const report = (list: ConfigDiagnostic[], path: ConfigPath, field: string, code: string, message: string) =>
    list.push({ file, ...positions.value(path), code, field, message });

  const kind = hostingKind(raw.hosting?.kind).kind;
  const plan = raw.hosting?.plan ?? 'standard';
  const domains = checkDomains(raw.domains, { kind, plan }, Boolean(raw.tlsrpt), positions, (path, code, message) => report(errors, path, 'domains', code, message));

  // The CNAME target must be the kind's own default host, or every mta-sts.<domain> would point at the wrong service.
  const hostname = raw.hosting?.default_hostname?.toLowerCase();
  const suffix = hostingKind(kind).hostSuffix;
  if (hostname && !hostname.endsWith(suffix)) {
    report(errors, ['hosting', 'default_hostname'], 'hosting.default_hostname', 'default-hostname-kind',
      `hosting.default_hostname must end in ${suffix} when hosting.kind is ${kind} (got ${shown(raw.hosting!.default_hostname)})`);
  }

  const mode = raw.policy.mode;
  const mx = (raw.policy.mx ?? []).map((p) => p.toLowerCase());
  raw.policy.mx?.forEach((pattern, i) => {
    const path = ['policy', 'mx', i];
    // Stricter than a policy reader: a single-label mx (mx-single-label) is refused too, as no sender could use it.
    for (const d of checkMxPattern(pattern)) report(errors, path, 'policy.mx', d.code, d.message);
    const pitfall = exchangePatternPitfall(pattern);
    if (pitfall) report(warnings, path, 'policy.mx', pitfall.code, `policy.mx ${pitfall.message}`);
  });
  if (mx.length === 0 && mode !== 'none') {
    report(errors, ['policy', 'mx'], 'policy.mx', 'mx-missing',
      `policy.mx must list at least one MX host pattern when policy.mode is ${mode} (Exchange Online: ${EXO_MX_PATTERN})`);
  }

  if (raw.policy.id) {
    // RFC 8461 §3.1: senders refetch the policy only when the id changes, so a fixed id hides every edit.
    report(warnings, ['policy', 'id'], 'policy.id', 'id-fixed',
      `policy.id is fixed at "${raw.policy.id}": senders keep their cached policy until the id changes (RFC 8461 §3.1), so change policy.id by hand whenever mode, mx or max_age change; leave policy.id out and the id changes automatically`);
  }

  const written = raw.policy.max_age;
  // The schema admits only whole seconds in range or a duration string, so only durations can overflow.
  const maxAge = typeof written === 'number' ? written : durationSeconds(written)!;
  if (maxAge > MAX_MAX_AGE) { // RFC 8461 §3.2: max_age is at most 31557600
    report(errors, ['policy', 'max_age'], 'policy.max_age', 'max-age-range',
      `policy.max_age must come out between 0 and ${MAX_MAX_AGE} seconds (one year), but ${written} is ${maxAge} seconds (got ${shown(written)})`);
  } else if (mode === 'enforce' && maxAge < ONE_DAY) {
    report(warnings, ['policy', 'max_age'], 'policy.max_age', 'max-age-short',
      `policy.max_age is ${maxAge} seconds, under one day, with mode enforce; senders would forget the policy quickly — use at least 1d, usually 1w or more`);
  }

  // RFC 8461 §3.3: senders may refuse a policy over 64 KiB; say so here, at the list, not when building it.
  const bytes = Buffer.byteLength(policyText({ version: 'STSv1', mode, mx, maxAge, extensions: {} }));
  if (bytes > MAX_POLICY_BYTES) {
    report(errors, ['policy', 'mx'], 'policy.mx', 'policy-too-large',
      `policy.mx lists ${mx.length} patterns, which make the policy ${bytes} bytes, over the ${MAX_POLICY_BYTES} bytes senders may refuse to read (RFC 8461 §3.3); list fewer: one wildcard such as "*.example.com" covers every host one label below it`);
  }

  // The rua URIs are published as-is in the TLS-RPT record, so they must pass its grammar (RFC 8460 §3).
  raw.tlsrpt?.rua.forEach((uri, i) => {
    for (const d of parseTlsRptRecord(`v=TLSRPTv1; rua=${uri}`).errors) {
      report(errors, ['tlsrpt', 'rua', i], 'tlsrpt.rua', d.code, `tlsrpt.rua: ${d.message}`);
    }
  });

  const rollout = rolloutOf(raw.rollout);
  for (const key of ['min_report_days', 'recent_days', 'max_fetch_error_days'] as const) {
    if (rollout[key] > rollout.window_days) {
      report(errors, ['rollout', key], `rollout.${key}`, 'rollout-beyond-window',
        `rollout.${key} is ${rollout[key]} days but the evidence window (rollout.window_days) is only ${rollout.window_days}; make it at most ${rollout.window_days}`);
    }
  }

  const config: Config = {
    domains,
    policy: { mode, mx, max_age: maxAge, ...(raw.policy.id ? { id: raw.policy.id } : {}) },
    ...(raw.tlsrpt ? { tlsrpt: { rua: raw.tlsrpt.rua } } : {}),
    ...(raw.site?.contact ? { site: { contact: raw.site.contact } } : {}),
    hosting: {
      kind,
      plan,
      ...(raw.hosting?.default_hostname ? { default_hostname: raw.hosting.default_hostname.toLowerCase() } : {}),
      ...Object.fromEntries(AZURE_HOSTING_KEYS.flatMap((key) => (raw.hosting?.[key] ? [[key, raw.hosting[key]]] : []))),
    },
    ...(raw.rollout ? { rollout } : {}),
  };
  return { config, errors, warnings };
}

// The names published for each domain (docs/configuration.md: "Publish the DNS records"); each must fit in DNS.
const DERIVED_NAMES = [
  { prefix: 'mta-sts.', what: 'policy host (CNAME)', tlsrpt: false },
  { prefix: '_mta-sts.', what: 'TXT record', tlsrpt: false },
  { prefix: '_smtp._tls.', what: 'TLS-RPT TXT record', tlsrpt: true },
];
const MAX_NAME = 253; // RFC 1035 §2.3.4: 255 octets on the wire, 253 characters written without the root dot
// Both hosting kinds serve mta-sts.<domain> with a free managed certificate, which names the host in its common name:
// at most 64 characters (RFC 5280 ub-common-name; App Service documents the limit for its managed certificates).
const MAX_CERTIFICATE_NAME = 64;

function checkDomains(
  written: string[],
  hosting: { kind: HostingKind; plan: HostingPlan },
  tlsrpt: boolean,
  positions: SourcePositions,
  error: (path: ConfigPath, code: string, message: string) => void,
): string[] {
  const firstIndex = new Map<string, number>();
  written.forEach((name, i) => {
    const path = ['domains', i];
    const domain = name.toLowerCase();
    const got = `(got ${shown(name)})`;
    // Checked first: a non-ASCII name would otherwise get the less helpful "not a valid domain name".
    if (/[^\x00-\x7f]/.test(domain) || domain.split('.').some((label) => label.startsWith('xn--'))) {
      error(path, 'domain-idn', `domains: Azure Static Web Apps custom domains do not support internationalized names ${got}`);
    } else if (!isValidDomainName(domain)) {
      error(path, 'domain-invalid',
        `domains: each entry must be a domain name like contoso.com: letters, digits and hyphens, at least two labels, no trailing dot ${got}`);
    } else if (isOnMicrosoftDomain(domain)) {
      error(path, 'domain-onmicrosoft', `domains: MTA-STS cannot be used on onmicrosoft.com domains; Microsoft manages them ${got}`);
    } else {
      // The longest name this domain needs decides; _smtp._tls only when TLS-RPT records are published.
      const needed = DERIVED_NAMES.filter((n) => tlsrpt || !n.tlsrpt);
      const longest = needed.reduce((a, b) => (b.prefix.length > a.prefix.length ? b : a));
      const length = longest.prefix.length + domain.length;
      if (length > MAX_NAME) {
        error(path, 'domain-too-long',
          `domains: the ${longest.what} name ${longest.prefix}<domain> would be ${length} characters, over the ${MAX_NAME} a DNS name may have (RFC 1035 §2.3.4); ` +
            `this domain has ${domain.length}, so at most ${MAX_NAME - longest.prefix.length} fit ${got}`);
      } else if ('mta-sts.'.length + domain.length > MAX_CERTIFICATE_NAME) {
        error(path, 'domain-certificate-name',
          `domains: mta-sts.<domain> would be ${'mta-sts.'.length + domain.length} characters, over the ${MAX_CERTIFICATE_NAME} a free managed certificate ` +
            `(Static Web Apps, App Service) can name, so the policy host would never get its certificate; this domain has ${domain.length}, so at most ${MAX_CERTIFICATE_NAME - 'mta-sts.'.length} fit ${got}`);
      }
    }
    const first = firstIndex.get(domain);
    if (first === undefined) {
      firstIndex.set(domain, i);
    } else {
      const at = positions.value(['domains', first]);
      error(path, 'domain-duplicate', `domains lists ${shown(domain)} twice (first at ${at.line}:${at.column}); remove one ${got}`);
    }
  });

  const unique = [...firstIndex.keys()];
  const quota = domainQuota(hosting);
  if (unique.length > quota) {
    const at = ['domains', firstIndex.get(unique[quota]!)!];
    error(at, 'domain-quota', hostingKind(hosting.kind).quotaMessage(unique.length, hosting.plan));
  }
  return unique;
}

/** The evidence rules a config asks for: its rollout section with defaults filled in. */
export function effectiveRollout(config: Config): Rollout {
  return config.rollout ?? DEFAULT_ROLLOUT;
}

function rolloutOf(raw: RawRollout | null | undefined): Rollout {
  const pick = (key: keyof Rollout) => raw?.[key] ?? DEFAULT_ROLLOUT[key];
  return {
    window_days: pick('window_days'), min_report_days: pick('min_report_days'), min_organizations: pick('min_organizations'),
    min_sessions: pick('min_sessions'), recent_days: pick('recent_days'), max_fetch_error_days: pick('max_fetch_error_days'),
  };
}
