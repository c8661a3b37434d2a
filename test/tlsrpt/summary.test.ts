// Aggregation: reports group by their start date in UTC (senders end the day at 23:59:59 or at 00:00 of the
// next day), duplicates count once, and the three failure tables add up.
import { describe, expect, it } from 'vitest';
import { parseReportJson } from '../../src/tlsrpt/parser.ts';
import { organizationDays, ReportSet, summarize } from '../../src/tlsrpt/summary.ts';
import { DOMAIN, MX, detail, policyEntry, report, type Json } from './fixtures.ts';

function add(set: ReportSet, r: Json, file: string): boolean {
  const outcome = parseReportJson(JSON.stringify(r), { fileName: file });
  if (!outcome.ok) throw new Error(outcome.reason);
  return set.add(outcome.report, file, 'sha');
}

describe('summarize', () => {
  it('puts a Google day (to 23:59:59Z), a Mail.ru day (to 00:00Z next day) and a Microsoft day (no zone) on their start date', () => {
    const set = new ReportSet();
    add(set, report({ org: 'Google Inc.', day: '2026-03-01', range: 'google' }), 'g.json');
    add(set, report({ org: 'Mail.ru', day: '2026-03-01', range: 'mailru' }), 'm.json');
    add(set, report({ org: 'Microsoft Corporation', day: '2026-03-01', range: 'microsoft-2023' }), 'ms.json');
    const [s] = summarize(set);
    expect(s!.days).toEqual(['2026-03-01']);
    expect(s!.daily).toEqual([{ day: '2026-03-01', successful: 300, failed: 0 }]);
    expect(organizationDays(set)).toEqual([
      { organization: 'Google Inc.', days: ['2026-03-01'] },
      { organization: 'Mail.ru', days: ['2026-03-01'] },
      { organization: 'Microsoft Corporation', days: ['2026-03-01'] },
    ]);
  });

  it('counts a report once per (organization-name, report-id), keeping the first', () => {
    const set = new ReportSet();
    expect(add(set, report({ id: 'same' }), 'a.eml')).toBe(true);
    expect(add(set, report({ id: 'same' }), 'b.json.gz')).toBe(false);
    expect(add(set, report({ id: 'same', org: 'Other' }), 'c.json')).toBe(true);
    expect(set.reports.map((r) => r.file)).toEqual(['a.eml', 'c.json']);
    expect(set.skipped).toEqual([{ file: 'b.json.gz', reason: 'duplicate of a.eml (same organization-name and report-id)' }]);
    expect(summarize(set)[0]!.successful).toBe(200);
  });

  it('breaks failures down by result type, receiving MX and organisation, and into the matrix', () => {
    const set = new ReportSet();
    add(set, report({ org: 'Google Inc.', id: '1', policies: [policyEntry({ successful: 96, details: [detail({ resultType: 'certificate-expired', count: 3, mx: MX }), detail({ resultType: 'starttls-not-supported', count: 1, mx: 'mx2.contoso.example' })] })] }), '1.json');
    add(set, report({ org: 'Mail.ru', id: '2', policies: [policyEntry({ successful: 0, details: [detail({ resultType: 'sts-policy-fetch-error', count: 2 })] })] }), '2.json');
    add(set, report({ org: 'Google Inc.', id: '3', policies: [policyEntry({ type: 'tlsa', domain: DOMAIN, successful: 5, policyString: ['3 1 1 AB'] })] }), '3.json');
    const [sts, tlsa] = summarize(set);
    expect(sts).toMatchObject({
      domain: DOMAIN, type: 'sts', successful: 96, failed: 6, reports: 2,
      failures: { 'certificate-expired': 3, 'sts-policy-fetch-error': 2, 'starttls-not-supported': 1 },
      failuresByMx: { [MX]: 3, '(not given)': 2, 'mx2.contoso.example': 1 },
      failuresByOrganization: { 'Google Inc.': 4, 'Mail.ru': 2 },
    });
    expect(sts!.failureRate).toBeCloseTo(6 / 102);
    expect(sts!.matrix).toEqual([
      { resultType: 'certificate-expired', mx: MX, organization: 'Google Inc.', sessions: 3 },
      { resultType: 'sts-policy-fetch-error', mx: '(not given)', organization: 'Mail.ru', sessions: 2 },
      { resultType: 'starttls-not-supported', mx: 'mx2.contoso.example', organization: 'Google Inc.', sessions: 1 },
    ]);
    expect(tlsa).toMatchObject({ type: 'tlsa', successful: 5, failed: 0, failureRate: 0 });
  });

  it('--since leaves out reports that start before the day', () => {
    const set = new ReportSet('2026-03-02');
    add(set, report({ day: '2026-03-01', id: 'a' }), 'a.json');
    add(set, report({ day: '2026-03-02', id: 'b' }), 'b.json');
    expect(set.reports.map((r) => r.reportId)).toEqual(['b']);
    expect(set.older).toBe(1);
  });
});

describe('caps on distinct values (memory follows the caps, not the input)', () => {
  const many = (n: number, prefix: string, resultType = 'certificate-expired', first = 5) =>
    Array.from({ length: n }, (_, i) => detail({ resultType, count: i < 3 ? first : 1, mx: `${prefix}${i}.elsewhere.example` }));

  it('keeps the 1,000 largest (result type, MX) rows of a report exactly and folds the rest per result type, saying how many', () => {
    const set = new ReportSet();
    add(set, report({ policies: [policyEntry({ details: [...many(1500, 'mx'), ...many(20, 'odd', 'made-up-type')] })] }), 'r.json');
    const rows = set.observations[0]!.failures;
    expect(rows.filter((r) => r.mx)).toHaveLength(1000);
    expect(rows.find((r) => r.mx === 'mx0.elsewhere.example')).toEqual({ resultType: 'certificate-expired', mx: 'mx0.elsewhere.example', sessions: 5 });
    const folded = rows.filter((r) => r.others);
    expect(folded.reduce((n, r) => n + r.others!, 0)).toBe(520);
    expect(folded.map((r) => r.resultType).sort()).toEqual(['(other result types)', 'certificate-expired']);
    expect(rows.reduce((n, r) => n + r.sessions, 0)).toBe(1500 + 20 + 2 * 3 * 4); // no session is lost (3 rows of 5 in each list)
  });

  it('keeps 100 unreadable counts of a report entry and says how many more there were', () => {
    const set = new ReportSet();
    add(set, report({ policies: [policyEntry({ failed: 0, details: Array.from({ length: 130 }, (_, i) => detail({ resultType: 'validation-failure', count: 1.5, mx: `mx${i}.elsewhere.example` })) })] }), 'r.json');
    const { unreadable } = set.observations[0]!;
    expect(unreadable).toHaveLength(101);
    expect(unreadable[0]).toEqual({ field: 'policies[0].failure-details[0].failed-session-count (got 1.5)', mx: 'mx0.elsewhere.example' });
    expect(unreadable[100]).toEqual({ field: '… and 30 more count(s) that cannot be read' });
  });

  it('caps every summary dimension at 1,000 values, with one others entry per dimension', () => {
    const set = new ReportSet();
    for (let r = 0; r < 3; r++) add(set, report({ id: `r${r}`, policies: [policyEntry({ details: many(900, `r${r}-`) })] }), `r${r}.json`);
    const [s] = summarize(set);
    expect(Object.keys(s!.failuresByMx)).toHaveLength(1000);
    expect(s!.failuresByMx['r0-0.elsewhere.example']).toBe(5);
    expect(s!.matrix).toHaveLength(1000);
    expect(s!.others).toEqual([
      { dimension: 'MX host', values: 1700, sessions: 1700 },
      { dimension: 'matrix cell', values: 1700, sessions: 1700 },
    ]);
  });
});

describe('totals and dates that cannot be trusted', () => {
  it('flags totals above 2^53 - 1 as approximate, in text and --json', async () => {
    const { renderText, reportsJson } = await import('../../src/tlsrpt/render.ts');
    const set = new ReportSet();
    add(set, report({ id: 'a', policies: [policyEntry({ successful: Number.MAX_SAFE_INTEGER })] }), 'a.json');
    add(set, report({ id: 'b', policies: [policyEntry({ successful: 10 })] }), 'b.json');
    expect(summarize(set)[0]!.inexact).toBe(true);
    expect(renderText(set)).toContain('; approximate: the totals pass 2^53 - 1');
    expect(reportsJson(set).policies[0]!.inexact).toBe(true);
    const fine = new ReportSet();
    add(fine, report({ id: 'c', policies: [policyEntry({ successful: 10 })] }), 'c.json');
    expect(summarize(fine)[0]!.inexact).toBeUndefined();
  });

  it.each([
    ['an end before its start', { 'start-datetime': '2026-03-02T00:00:00Z', 'end-datetime': '2026-03-01T00:00:00Z' }, 'date-range.end-datetime 2026-03-01T00:00:00.000Z is before date-range.start-datetime 2026-03-02T00:00:00.000Z; counted on its start day'],
    ['year 0000', { 'start-datetime': '0000-01-01T00:00:00Z', 'end-datetime': '0000-01-01T23:59:59Z' }, 'date-range.start-datetime 0000-01-01T00:00:00.000Z is before TLS-RPT existed (RFC 8460, 2018); check the sender\'s clock'],
    ['year 2036', { 'start-datetime': '2036-01-01T00:00:00Z', 'end-datetime': '2036-01-01T23:59:59Z' }, 'date-range.start-datetime 2036-01-01T00:00:00.000Z is in the future; check the sender\'s clock'],
  ])('warns about %s', (_, range, warning) => {
    const outcome = parseReportJson(JSON.stringify({ ...report(), 'date-range': range }), { fileName: 'x.json', now: new Date('2026-03-15T00:00:00Z') });
    expect(outcome.ok && outcome.report.warnings).toContain(warning);
  });
});
