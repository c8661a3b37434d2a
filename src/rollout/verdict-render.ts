// The verdict as text (reports, promote) and as a section of the reports page. It lives with the rule
// (verdict.ts); the report renderers of tlsrpt/ take what this returns and know nothing of the verdict.
import { printable } from '../printable.ts';
import { html } from '../printable.ts';
import type { VerdictView } from '../tlsrpt/html.ts';
import type { Verdict } from './verdict.ts';

/** The verdict's lines: status and window, then one numbered line per unmet rule. */
export function verdictBlock(v: Verdict, source?: string, hint = true): string[] {
  const lines = [`verdict${source ? ` for ${source}` : ''} (window ${v.window.start} to ${v.window.end}): ${v.status}`];
  v.reasons.forEach((r, i) => lines.push(`  ${i + 1}. ${printable(r)}`));
  if (v.status === 'ready') lines.push(hint ? '  every evidence rule is met: run npx --no mta-sts promote --reports <folder>' : '  every evidence rule is met');
  return lines;
}

/** What the reports page shows of the verdict: its section, the window the charts span, and each domain's status. */
export function verdictView(v: Verdict): VerdictView {
  return {
    html: verdictSection(v),
    window: { start: v.window.start, end: v.window.end },
    domains: v.domains.map((d) => ({ domain: d.domain, status: d.status, reasons: d.reasons, reportDays: d.reportDays.length, successful: d.successful, failed: d.failed })),
  };
}

/** The verdict's section of the reports page (tlsrpt/html.ts); every string from a report is escaped. */
export function verdictSection(v: Verdict): string {
  const label = { ready: 'Ready for enforce', 'not-ready': 'Not ready for enforce', 'insufficient-data': 'Not enough evidence yet' }[v.status];
  const cls = v.status === 'ready' ? 'ok' : 'bad';
  const reasons = v.reasons.length ? `<ol>${v.reasons.map((r) => `<li>${html(r)}</li>`).join('')}</ol>` : '<p>Every evidence rule is met.</p>';
  return `<section class="verdict ${cls}" aria-labelledby="verdict"><h2 id="verdict">Verdict: ${label}</h2>
<p>Window ${html(v.window.start)} to ${html(v.window.end)} (${v.window.days} days; recent failures from ${html(v.window.recentStart)}).</p>
${reasons}</section>`;
}
