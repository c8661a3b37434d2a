// Each evidence rule blocks the promotion and, with the evidence it asks for, releases it. The clock is
// always --now (`NOW`), never today.
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/config.ts';
import { parseReportJson } from '../../src/tlsrpt/parser.ts';
import { ReportSet } from '../../src/tlsrpt/summary.ts';
import { judge } from '../../src/rollout/verdict.ts';
import { DOMAIN, MX, detail, policyEntry, policyLines, report, type Json } from '../tlsrpt/fixtures.ts';

const NOW = new Date('2026-03-15T00:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString().slice(0, 10);

function configWith(extra = ''): Config {
  const text = `domains: [${DOMAIN}]\npolicy:\n  mode: testing\n  mx: ["*.contoso.example"]\n  max_age: 7d\n${extra}`;
  const result = parseConfig(text, 'mta-sts.config.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

function setOf(reports: Json[]): ReportSet {
  const set = new ReportSet();
  reports.forEach((r, i) => {
    const outcome = parseReportJson(JSON.stringify(r), { fileName: `r${i}.json` });
    if (!outcome.ok) throw new Error(outcome.reason);
    set.add(outcome.report, `r${i}.json`, 'sha');
  });
  return set;
}

/** Enough evidence: days 1..10 before NOW, Google and Microsoft each day, 10 successful sessions each (200). */
function enough(options: { days?: number; orgs?: string[]; successful?: number; policyString?: unknown } = {}): Json[] {
  const out: Json[] = [];
  for (let i = 1; i <= (options.days ?? 10); i++) {
    for (const org of options.orgs ?? ['Google Inc.', 'Microsoft Corporation']) {
      out.push(report({ org, day: daysAgo(i), policies: [policyEntry({ successful: options.successful ?? 10, ...(options.policyString !== undefined ? { policyString: options.policyString } : {}) })] }));
    }
  }
  return out;
}

function failing(day: string, resultType: string, mx: string | undefined = MX, org = 'Google Inc.'): Json {
  return report({ org, id: `fail-${day}-${resultType}-${mx}`, day, policies: [policyEntry({ successful: 0, details: [detail({ resultType, count: 2, ...(mx ? { mx } : {}) })] })] });
}

describe('the evidence rules', () => {
  it('are all met by 10 days of reports from 2 organisations with 200 successful sessions: ready', () => {
    const v = judge(setOf(enough()), configWith(), NOW);
    expect(v.status).toBe('ready');
    expect(v.reasons).toEqual([]);
    expect(v.window).toEqual({ start: '2026-03-01', end: '2026-03-14', days: 14, recentStart: '2026-03-08' });
    expect(v.domains[0]).toMatchObject({ domain: DOMAIN, successful: 200, organizations: ['Google Inc.', 'Microsoft Corporation'], status: 'ready', reasons: [] });
    expect(v.domains[0]!.reportDays).toHaveLength(10);
  });

  it('gives each domain its own status and reasons, for the reports page\'s overview', () => {
    const config = parseConfig(`domains: [${DOMAIN}, adatum.example]\npolicy:\n  mode: testing\n  mx: ["*.contoso.example"]\n  max_age: 7d\n`, 'mta-sts.config.yaml');
    if (!config.ok) throw new Error('config');
    const v = judge(setOf([...enough(), failing(daysAgo(2), 'certificate-expired')]), config.config, NOW);
    expect(v.status).toBe('not-ready');
    const byDomain = Object.fromEntries(v.domains.map((d) => [d.domain, d]));
    expect(byDomain[DOMAIN]!.status).toBe('not-ready');
    expect(byDomain[DOMAIN]!.reasons).toEqual([expect.stringMatching(/^contoso\.example: 2 session\(s\) failed .*certificate-expired/)]);
    expect(byDomain['adatum.example']!.status).toBe('insufficient-data');
    expect(byDomain['adatum.example']!.reasons).toHaveLength(3);
    // Together they are the verdict's reasons, failures first.
    expect(v.reasons).toEqual([...byDomain[DOMAIN]!.reasons, ...byDomain['adatum.example']!.reasons]);
  });

  it('min_report_days: 9 days is insufficient-data, 10 releases it', () => {
    const v = judge(setOf(enough({ days: 9, successful: 20 })), configWith(), NOW);
    expect(v.status).toBe('insufficient-data');
    expect(v.reasons).toEqual([`${DOMAIN}: sts reports on 9 distinct day(s) from 2026-03-01 to 2026-03-14; need at least 10 (rollout.min_report_days)`]);
    expect(judge(setOf(enough({ days: 10, successful: 20 })), configWith(), NOW).status).toBe('ready');
  });

  it('min_organizations: one organisation is insufficient-data, two release it', () => {
    const v = judge(setOf(enough({ orgs: ['Google Inc.'], successful: 20 })), configWith(), NOW);
    expect(v.status).toBe('insufficient-data');
    expect(v.reasons).toEqual([`${DOMAIN}: sts reports from 1 organisation(s) (Google Inc.) from 2026-03-01 to 2026-03-14; need at least 2 (rollout.min_organizations)`]);
    expect(judge(setOf(enough({ orgs: ['Google Inc.', 'Mail.ru'], successful: 20 })), configWith(), NOW).status).toBe('ready');
  });

  it('min_sessions: 99 successful sessions are insufficient-data, 100 release it', () => {
    const few = enough({ successful: 5 });
    (few[0]!['policies'] as Json[])[0] = policyEntry({ successful: 4 });
    const v = judge(setOf(few), configWith(), NOW);
    expect(v.status).toBe('insufficient-data');
    expect(v.reasons).toEqual([`${DOMAIN}: 99 successful sts session(s) from 2026-03-01 to 2026-03-14; need at least 100 (rollout.min_sessions)`]);
    expect(judge(setOf(enough({ successful: 5 })), configWith(), NOW).status).toBe('ready');
  });

  it.each(['starttls-not-supported', 'certificate-host-mismatch', 'certificate-expired', 'certificate-not-trusted', 'validation-failure', 'sts-policy-invalid', 'sts-webpki-invalid'])(
    'recent_days: a %s failure in the last 7 days at a covered MX is not-ready; 8 days ago, or at an MX the policy does not cover, releases it',
    (type) => {
      const v = judge(setOf([...enough(), failing(daysAgo(3), type)]), configWith(), NOW);
      expect(v.status).toBe('not-ready');
      expect(v.reasons).toEqual([`${DOMAIN}: 2 session(s) failed in the last 7 days (from 2026-03-08) in ways that bounce mail under enforce: ${type} at ${MX} (2, reported by Google Inc.) (rollout.recent_days)`]);
      expect(judge(setOf([...enough(), failing(daysAgo(8), type)]), configWith(), NOW).status).toBe('ready');
      expect(judge(setOf([...enough(), failing(daysAgo(3), type, 'mx.elsewhere.example')]), configWith(), NOW).status).toBe('ready');
    },
  );

  it('recent_days: a failure whose MX is not named counts (it may be a covered host)', () => {
    expect(judge(setOf([...enough(), failing(daysAgo(2), 'validation-failure', undefined)]), configWith(), NOW).status).toBe('not-ready');
  });

  it('does not block on failures that do not bounce under MTA-STS enforce (DANE, fetch errors on fewer than 3 days)', () => {
    const set = setOf([...enough(), failing(daysAgo(2), 'dnssec-invalid'), failing(daysAgo(2), 'tlsa-invalid'), failing(daysAgo(2), 'sts-policy-fetch-error', undefined), failing(daysAgo(9), 'sts-policy-fetch-error', undefined)]);
    expect(judge(set, configWith(), NOW).status).toBe('ready');
  });

  it('max_fetch_error_days: sts-policy-fetch-error on 3 days of the window is not-ready, on 2 days it is not', () => {
    const three = [2, 6, 12].map((d) => failing(daysAgo(d), 'sts-policy-fetch-error', undefined, 'Mail.ru'));
    const v = judge(setOf([...enough(), ...three]), configWith(), NOW);
    expect(v.status).toBe('not-ready');
    expect(v.reasons).toEqual([`${DOMAIN}: sts-policy-fetch-error on 3 day(s) from 2026-03-01 to 2026-03-14 (2026-03-03, 2026-03-09, 2026-03-13); 3 or more mean the policy host is failing (rollout.max_fetch_error_days)`]);
    expect(judge(setOf([...enough(), ...three.slice(1)]), configWith(), NOW).status).toBe('ready');
  });

  it('not-ready wins over insufficient-data, and every unmet rule is its own reason', () => {
    const v = judge(setOf([...enough({ days: 3, orgs: ['Google Inc.'] }), failing(daysAgo(1), 'certificate-expired')]), configWith(), NOW);
    expect(v.status).toBe('not-ready');
    expect(v.reasons.map((r) => /\(rollout\.(\w+)\)$/.exec(r)![1])).toEqual(['recent_days', 'min_report_days', 'min_organizations', 'min_sessions']);
  });

  it('counts only reports of the testing policy with the config MX lines, or with no policy-string', () => {
    const enforceSeen = enough({ policyString: policyLines('enforce') });
    expect(judge(setOf(enforceSeen), configWith(), NOW).status).toBe('insufficient-data');
    const otherMx = enough({ policyString: policyLines('testing', ['*.mail.protection.outlook.com']) });
    expect(judge(setOf(otherMx), configWith(), NOW).reasons).toHaveLength(3);
    const reordered = enough({ policyString: policyLines('testing', ['*.contoso.example'], 'max_age-first') });
    expect(judge(setOf(reordered), configWith(), NOW).status).toBe('ready');
    expect(judge(setOf(enough({ policyString: null })), configWith(), NOW).status).toBe('ready');
  });

  it('looks only at the window before --now: the --now day itself and older days do not count', () => {
    const shifted = enough().map((r) => r); // days 1..10 before NOW
    expect(judge(setOf(shifted), configWith(), new Date('2026-03-14T12:00:00Z')).reasons).toEqual([
      `${DOMAIN}: sts reports on 9 distinct day(s) from 2026-02-28 to 2026-03-13; need at least 10 (rollout.min_report_days)`,
    ]);
    expect(judge(setOf(shifted), configWith(), new Date('2026-03-20T00:00:00Z')).status).toBe('insufficient-data');
  });

  it('takes its numbers from the rollout section', () => {
    const strict = configWith('rollout:\n  min_report_days: 12\n  min_organizations: 3\n  min_sessions: 500\n');
    expect(judge(setOf(enough()), strict, NOW).reasons).toHaveLength(3);
    const lenient = configWith('rollout:\n  window_days: 7\n  min_report_days: 5\n  recent_days: 3\n');
    const v = judge(setOf([...enough(), failing(daysAgo(5), 'certificate-expired')]), lenient, NOW);
    expect(v.window).toEqual({ start: '2026-03-08', end: '2026-03-14', days: 7, recentStart: '2026-03-12' });
    expect(v.status).toBe('ready');
  });

  it('needs the evidence for every config domain', () => {
    const two = parseConfig(`domains: [${DOMAIN}, fabrikam.example]\npolicy:\n  mode: testing\n  mx: ["*.contoso.example"]\n  max_age: 7d\n`, 'c.yaml');
    if (!two.ok) throw new Error('config');
    const v = judge(setOf(enough()), two.config, NOW);
    expect(v.status).toBe('insufficient-data');
    expect(v.reasons.every((r) => r.startsWith('fabrikam.example: '))).toBe(true);
  });
});

describe('counts that are not non-negative safe integers (fail closed)', () => {
  // 9007199254740993 is 2^53 + 1: JSON.parse rounds it to 2^53, which is no longer a safe integer.
  const bad: [string, unknown][] = [['1.5', 1.5], ['"1e3"', '1e3'], ['"1,000"', '1,000'], ['-3', -3], ['null', null], ['2^53 + 1', 9007199254740993], ['missing', undefined]];

  function withCount(count: unknown, mx = MX): Json {
    const d = detail({ resultType: 'certificate-expired', count: 1, mx });
    if (count === undefined) delete d['failed-session-count'];
    else d['failed-session-count'] = count as Json;
    return report({ id: 'odd', day: daysAgo(3), policies: [policyEntry({ successful: 0, failed: 1, details: [d] })] });
  }

  it.each(bad)('a failed-session-count of %s at a covered MX is not-ready, naming the file and the field', (_, count) => {
    const set = setOf([...enough(), withCount(count)]);
    const v = judge(set, configWith(), NOW);
    expect(v.status).toBe('not-ready');
    const file = `r${enough().length}.json`;
    expect(v.reasons).toHaveLength(1);
    expect(v.reasons[0]).toContain(`${DOMAIN}: 1 session count(s) from 2026-03-01 to 2026-03-14 cannot be read, so failures there cannot be ruled out: ${file}: policies[0].failure-details[0].failed-session-count (`);
    expect(v.domains[0]!.unreadableCounts).toEqual([{ file, field: expect.stringMatching(/^policies\[0\]\.failure-details\[0\]\.failed-session-count \((got .+|missing)\)$/) }]);
  });

  it('a readable count of the same failure gives the same not-ready, and an unreadable one at an MX the policy does not cover does not block', () => {
    expect(judge(setOf([...enough(), withCount(3)]), configWith(), NOW).status).toBe('not-ready');
    expect(judge(setOf([...enough(), withCount(1.5, 'mx.elsewhere.example')]), configWith(), NOW).status).toBe('ready');
  });

  it('an unreadable summary total blocks too (it names no MX, so it may be a covered one)', () => {
    const r = report({ id: 'odd-total', day: daysAgo(3), policies: [policyEntry({ successful: 10, failed: -1 })] });
    const v = judge(setOf([...enough(), r]), configWith(), NOW);
    expect(v.status).toBe('not-ready');
    expect(v.reasons[0]).toContain('policies[0].summary.total-failure-session-count (got -1)');
  });
});

describe('folded failures', () => {
  it('a blocking failure folded away with more than 1,000 MX hosts still blocks, and says how many hosts', () => {
    const details = Array.from({ length: 1001 }, (_, i) => detail({ resultType: i === 1000 ? 'certificate-expired' : 'dnssec-invalid', count: i === 1000 ? 1 : 2, mx: `mx${i}.elsewhere.example` }));
    const v = judge(setOf([...enough(), report({ id: 'big', day: daysAgo(2), policies: [policyEntry({ successful: 0, details })] })]), configWith(), NOW);
    expect(v.status).toBe('not-ready');
    expect(v.reasons[0]).toContain('certificate-expired at (1 other MX host(s)) (1, reported by Google Inc.)');
  });
});
