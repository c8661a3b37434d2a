// Three renderings of the same reports: a table for people, JSON for scripts, JUnit XML for Azure DevOps'
// PublishTestResults@2 (one test suite per domain, one test case per check).
import { html, printable, printableJson } from '../printable.ts';
import { CHECKS, RANK, type CheckName, type DomainReport, type Status } from './result.ts';

const COLUMN: Record<CheckName, string> = {
  domain: 'EXISTS',
  'sts-record': 'TXT',
  'policy-fetch': 'FETCH',
  'policy-parse': 'POLICY',
  'mx-match': 'MX',
  'mx-starttls': 'STARTTLS',
  tlsrpt: 'TLSRPT',
  config: 'CONFIG',
  exchange: 'EXO',
  evidence: 'EVIDENCE',
};
const CELL: Record<Status, string> = { pass: 'ok', warn: 'warn', fail: 'FAIL' };
const BOUNCE = 'enforce-would-bounce';

export function renderTable(reports: DomainReport[]): string {
  // The config column appears only when a config was compared.
  const shown = CHECKS.filter((c) => reports.some((r) => r.checks.some((x) => x.check === c)));
  const header = ['DOMAIN', ...shown.map((c) => COLUMN[c]), 'RESULT'];
  const rows = reports.map((r) => [
    printable(r.domain),
    ...shown.map((c) => {
      const check = r.checks.find((x) => x.check === c);
      return check ? CELL[check.status] : '-';
    }),
    CELL[r.status],
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Every non-pass check, the bouncing ones first, then failures, then warnings. */
export function renderFindings(reports: DomainReport[]): string {
  const items = reports.flatMap((r) => r.checks.filter((c) => c.status !== 'pass').map((c) => ({ domain: r.domain, ...c })));
  const rank = (i: (typeof items)[number]): number => (i.code === BOUNCE ? 0 : i.status === 'fail' ? 1 : 2);
  items.sort((a, b) => rank(a) - rank(b));
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const r of reports) counts[r.status]++;
  const summary = `${reports.length} domain${reports.length === 1 ? '' : 's'}: ${counts.pass} pass, ${counts.warn} warn, ${counts.fail} fail\n`;
  if (items.length === 0) return `\n${summary}`;
  const lines = items.map((i) => {
    const mark = i.code === BOUNCE ? '!!' : CELL[i.status].padEnd(4);
    return `${mark} ${printable(i.domain)} ${i.check} [${i.code}] ${printable(i.message)}`;
  });
  return `\nfindings:\n${lines.join('\n')}\n\n${summary}`;
}

export function renderJson(reports: DomainReport[]): string {
  return printableJson(reports, 2) + '\n';
}

/**
 * renderJson's bytes, written a domain at a time (`check --json`): each report goes out as soon as it and every
 * domain given before it are done, and is then dropped, so a run of 2,000 domains does not hold all their
 * findings until the end. Only reports that finished ahead of a slower earlier domain wait (`held`).
 */
export class JsonReportWriter {
  private next = 0;
  private readonly waiting = new Map<number, DomainReport>();

  constructor(private readonly write: (text: string) => void) {}

  /** The report of the domain at `index` in the order given. */
  add(index: number, report: DomainReport): void {
    this.waiting.set(index, report);
    for (let r = this.waiting.get(this.next); r; r = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      // JSON.stringify(list, null, 2) is each element's own text, indented two more, between "[\n" and "\n]".
      this.write(`${this.next === 0 ? '[\n' : ',\n'}  ${printableJson(r, 2).split('\n').join('\n  ')}`);
      this.next++;
    }
  }

  /** After the last report. */
  end(): void {
    this.write(this.next === 0 ? '[]\n' : '\n]\n');
  }

  /** Reports written so far, and those waiting for an earlier domain. */
  get written(): number {
    return this.next;
  }

  get held(): number {
    return this.waiting.size;
  }
}

export function renderJunit(reports: DomainReport[]): string {
  const count = (r: DomainReport): number => r.checks.filter((c) => c.status === 'fail').length;
  const tests = reports.reduce((n, r) => n + r.checks.length, 0);
  const failures = reports.reduce((n, r) => n + count(r), 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="mta-sts check" tests="${tests}" failures="${failures}" errors="0">`];
  for (const r of reports) {
    out.push(`  <testsuite name="${xml(printable(r.domain))}" tests="${r.checks.length}" failures="${count(r)}" errors="0" skipped="0">`);
    if (r.overrides?.length) {
      // JUnit's own place for the settings of a run: a saved file says what the run looked at.
      out.push('    <properties>');
      for (const o of r.overrides) out.push(`      <property name="override ${xml(o.name)}" value="${xml(`${o.value}: ${o.effect}`)}"/>`);
      out.push('    </properties>');
    }
    for (const c of r.checks) {
      out.push(`    <testcase classname="${xml(printable(r.domain))}" name="${xml(c.check)}">`);
      // Shown by Azure DevOps as text: the same visible escapes as on the terminal, not silently dropped.
      const message = printable(c.message);
      const detail = `${c.code}: ${message}${c.evidence ? `\n\nevidence: ${printableJson(c.evidence, 2)}` : ''}`;
      if (c.status === 'fail') out.push(`      <failure type="${xml(c.code)}" message="${xml(message)}">${xml(detail)}</failure>`);
      else out.push(`      <system-out>${xml(`${c.status}: ${detail}`)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

// XML 1.0 §2.2 allows only TAB, LF, CR and U+0020 upwards (no surrogate halves, no U+FFFE/U+FFFF);
// the rest are dropped (a backstop: remote text was made printable before), then the five markup
// characters are escaped.
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Writes next to the target, then renames, so a reader never sees half a file. */

/**
 * A short Markdown summary for the CI run's page (GitHub's $GITHUB_STEP_SUMMARY, Azure's task.uploadsummary):
 * one row per domain, failures first, with the worst finding. Both render Markdown with inline HTML, so remote
 * text is HTML-escaped and the characters that make tables, links and code are written as entities.
 */
export function renderMarkdownSummary(reports: DomainReport[]): string {
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const r of reports) counts[r.status]++;
  const order = [...reports].sort((a, b) => RANK[b.status] - RANK[a.status]);
  const mark: Record<Status, string> = { fail: '✗ fail', warn: '! warn', pass: '✓ ok' };
  const cell = (text: string) => html(text).replace(/[|[\]`*_~\\]/g, (c) => `&#${c.charCodeAt(0)};`);
  const rows = order.map((r) => {
    const top = [...r.checks].sort((a, b) => RANK[b.status] - RANK[a.status])[0];
    const finding = top && top.status !== 'pass' ? `${cell(top.check)} <code>${cell(top.code)}</code>: ${cell(top.message.length > 300 ? `${top.message.slice(0, 300)}…` : top.message)}` : '';
    return `| ${cell(r.domain)} | ${mark[r.status]} | ${finding} |`;
  });
  return [`### MTA-STS check: ${reports.length} domain${reports.length === 1 ? '' : 's'}, ${counts.fail} fail, ${counts.warn} warn, ${counts.pass} ok`, '',
    '| Domain | Result | Worst finding |', '|---|---|---|', ...rows, ''].join('\n');
}
