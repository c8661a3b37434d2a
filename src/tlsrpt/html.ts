// The report page: one self-contained HTML file (inline CSS and SVG, no JavaScript, nothing fetched), so it
// can be mailed, attached to a pull request or opened from disk. Every string from a report is escaped.
import { organizationDays, summarize, type PolicySummary, type ReportSet } from './summary.ts';
import { pageStart } from '../html-page.ts';
import { html } from '../printable.ts';
import { percent } from './text.ts';

/** What the page shows of the verdict (src/rollout/verdict-render.ts): tlsrpt/ knows nothing of its rules. */
export interface VerdictView {
  /** The verdict's section, ready to place. */
  html: string;
  /** The days the verdict judged (inclusive, UTC): the charts span exactly these. */
  window: { start: string; end: string };
  /** Each judged domain: its status and why, and its sts report days and sessions in the window. */
  domains: { domain: string; status: 'ready' | 'not-ready' | 'insufficient-data'; reasons: string[]; reportDays: number; successful: number; failed: number }[];
}

export interface PageInput {
  set: ReportSet;
  /** The verdict, when there is a config. */
  verdict?: VerdictView;
  /** When the page was made, ISO 8601. */
  generated: string;
}

const DAY_MS = 86_400_000;
/** A chart's axis is bounded: a year and a bit of days, the most recent ones. */
export const MAX_CHART_DAYS = 400;

// The page's own styles; light and dark, each state's colours at 4.5:1 for text and 3:1 for marks.
const PAGE_CSS = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #ffffff; --line: #8c8c8c; --muted: #595959;
  --ok: #0b6b2b; --bad: #a4000f; --wait: #5c3d00; --mark-ok: #0072b2; --mark-fail: #c24e00; --empty: #6b6b6b; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececec; --bg: #161616; --line: #7a7a7a; --muted: #c4c4c4;
  --ok: #8fe0a0; --bad: #ffb4ab; --wait: #ffe7a8; --mark-ok: #56b4e9; --mark-fail: #f0a04b; --empty: #a8a8a8; } }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 1px solid var(--line); } h3 { font-size: 1.05rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } caption { text-align: left; font-weight: 600; padding: .25rem 0; }
.scroll { overflow-x: auto; max-width: 100%; } .scroll table { overflow-wrap: normal; } /* a narrow screen scrolls a table rather than break its words */
.ok { color: var(--ok); } .bad { color: var(--bad); } .wait { color: var(--wait); } .verdict { padding: .75rem 1rem; border: 2px solid; }
.state { font-weight: 600; white-space: nowrap; } td.reasons { min-width: 18rem; } td.reasons ul { margin: 0; padding-left: 1.1rem; }
table.overview th[scope=row] { white-space: nowrap; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; vertical-align: middle; }
.legend .ok-mark { background: var(--mark-ok); } .legend .fail-mark { background: var(--mark-fail); } .legend .empty-mark { border: 1px dashed var(--empty); }
svg text { fill: var(--fg); } svg .successful { fill: var(--mark-ok); } svg .failed { fill: var(--mark-fail); }
svg .empty { fill: none; stroke: var(--empty); stroke-dasharray: 3 3; } svg .axis { stroke: var(--line); }
code { font-size: .9em; } .days td { text-align: center; padding: .1rem .25rem; }
`;

export function renderHtml({ set, verdict, generated }: PageInput): string {
  const summaries = summarize(set);
  const domains = [...new Set([...(verdict?.domains.map((d) => d.domain) ?? []), ...summaries.map((s) => s.domain)])];
  const warned = set.reports.filter((r) => r.warnings.length > 0);
  const allDays = summaries.flatMap((s) => s.daily.map((d) => d.day)).sort();
  const axis = verdict ? dayRange(verdict.window.start, verdict.window.end) : allDays.length ? dayRange(allDays[0]!, allDays.at(-1)!) : { days: [], cut: 0 };
  return `${pageStart('TLS-RPT reports', PAGE_CSS)}<main>
<h1>TLS-RPT reports</h1>
<p>${set.reports.length} report(s) read, ${set.skipped.length} file(s) skipped; generated ${html(generated)}.</p>
<h2 id="overview">Overview</h2>
${overview(domains, summaries, verdict)}
${verdict?.html ?? ''}
<h2 id="domains">Sessions per domain</h2>
${axis.cut ? `<p>The charts show the last ${MAX_CHART_DAYS} days; ${axis.cut} earlier day(s) are in the totals only.</p>` : ''}
${domains.length === 0 ? '<p>No report named a policy domain.</p>' : domains.map((d) => domainSection(d, summaries.filter((s) => s.domain === d), axis.days)).join('\n')}
<h2 id="failures">Failures (result type × MX × organisation)</h2>
${failureMatrix(summaries)}
<h2 id="reporters">Which organisations reported on which days</h2>
${reporterTable(set)}
<h2 id="warnings">Parser warnings</h2>
${warned.length === 0 ? '<p>None: every report followed RFC 8460.</p>' : `<ul class="warnings">\n${warned.map((r) =>
  `<li><code>${html(r.file)}</code> (${html(r.organization)}, ${html(r.reportId)})<ul>${r.warnings.map((w) => `<li>${html(w)}</li>`).join('')}</ul></li>`).join('\n')}\n</ul>`}
<h2 id="skipped">Skipped files</h2>
${set.skipped.length === 0 ? '<p>None.</p>' : `<ul class="skipped">\n${set.skipped.map((s) => `<li><code>${html(s.file)}</code>: ${html(s.reason)}</li>`).join('\n')}\n</ul>`}
</main>
</body>
</html>
`;
}

/** Every day from `start` to `end` (inclusive, UTC), so days without a report are shown, not closed up. */
function dayRange(start: string, end: string): { days: string[]; cut: number } {
  const first = Date.parse(`${start}T00:00:00Z`);
  const last = Date.parse(`${end}T00:00:00Z`);
  const total = Math.floor((last - first) / DAY_MS) + 1;
  const shown = Math.min(total, MAX_CHART_DAYS);
  const days = Array.from({ length: shown }, (_, i) => new Date(last - (shown - 1 - i) * DAY_MS).toISOString().slice(0, 10));
  return { days, cut: total - shown };
}

// A word and an icon for each status, so colour is never the only sign (WCAG 1.4.1).
const STATUS = {
  ready: { cls: 'ok', text: '✓ ready' },
  'not-ready': { cls: 'bad', text: '✗ not ready' },
  'insufficient-data': { cls: 'wait', text: '? not enough evidence' },
} as const;

/**
 * One row per domain, the verdict's reasons beside it: ten domains read at a glance, not in ten sections. With a
 * verdict the numbers are the window's, the ones it judged (a failure months ago must not read as a reason now);
 * without one, all reports read.
 */
function overview(domains: string[], summaries: PolicySummary[], verdict: VerdictView | undefined): string {
  if (domains.length === 0) return '<p>No domains.</p>';
  const rows = domains.map((domain) => {
    const sts = summaries.find((s) => s.domain === domain && s.type === 'sts');
    const judged = verdict?.domains.find((d) => d.domain === domain);
    const n = judged ?? (verdict ? inWindow(sts, verdict.window) : { reportDays: sts?.days.length ?? 0, successful: sts?.successful ?? 0, failed: sts?.failed ?? 0 });
    const state = judged ? `<td class="state ${STATUS[judged.status].cls}">${STATUS[judged.status].text}</td>` : `<td>${verdict ? 'not in the config' : 'no config'}</td>`;
    const why = judged ? (judged.reasons.length ? `<ul>${judged.reasons.map((r) => `<li>${html(r)}</li>`).join('')}</ul>` : 'every evidence rule is met') : '';
    const total = n.successful + n.failed;
    return `<tr><th scope="row"><a href="#d-${html(domain)}">${html(domain)}</a></th>${state}` +
      `<td class="n">${n.reportDays}</td><td class="n">${n.successful}</td><td class="n">${n.failed}</td>` +
      `<td class="n">${percent(total ? n.failed / total : 0)}</td><td class="reasons">${why}</td></tr>`;
  });
  const where = verdict ? ' in window' : '';
  return `<div class="scroll" role="region" aria-label="Overview table" tabindex="0"><table class="overview">
<caption>Each domain: ${verdict ? `the verdict for ${html(verdict.window.start)} to ${html(verdict.window.end)} and why; sts sessions in that window` : 'no config, so no verdict; sts sessions in all reports read'}</caption>
<thead><tr><th scope="col">Domain</th><th scope="col">Verdict</th><th scope="col">Report days${where}</th><th scope="col">Successful${where}</th><th scope="col">Failed${where}</th><th scope="col">Failure rate${where}</th><th scope="col">Why</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div>`;
}

/** A domain the verdict did not judge (not in the config): its sts days and sessions within the window. */
function inWindow(sts: PolicySummary | undefined, window: { start: string; end: string }): { reportDays: number; successful: number; failed: number } {
  const days = (sts?.daily ?? []).filter((d) => d.day >= window.start && d.day <= window.end);
  return { reportDays: days.length, successful: days.reduce((n, d) => n + d.successful, 0), failed: days.reduce((n, d) => n + d.failed, 0) };
}

function domainSection(domain: string, list: PolicySummary[], axis: string[]): string {
  const rows = list.map((s) => `<tr><th scope="row">${html(s.type)}</th><td class="n">${s.days.length}</td><td>${s.days.length ? `${html(s.days[0]!)} to ${html(s.days.at(-1)!)}` : ''}</td>` +
    `<td>${s.organizations.map(html).join(', ')}</td><td class="n">${s.successful}</td><td class="n">${s.failed}</td><td class="n">${percent(s.failureRate)}</td></tr>`).join('\n');
  const seen = list.flatMap((s) => s.policiesSeen.map((p) => `<li>${html(s.type)}: ${p.mode ? `mode <code>${html(p.mode)}</code>` : 'no policy-string'}${p.mx.length ? `, mx ${p.mx.map((m) => `<code>${html(m)}</code>`).join(', ')}` : ''} (${p.reports} report(s))</li>`));
  const byDay = new Map<string, { successful: number; failed: number }>();
  for (const s of list) {
    for (const d of s.daily) {
      const day = byDay.get(d.day) ?? { successful: 0, failed: 0 };
      day.successful += d.successful;
      day.failed += d.failed;
      byDay.set(d.day, day);
    }
  }
  const days = axis.map((day) => ({ day, counts: byDay.get(day) }));
  return `<section aria-labelledby="d-${html(domain)}"><h3 id="d-${html(domain)}">${html(domain)}</h3>
${days.length ? `${chart(domain, days)}\n${dataTable(domain, days)}` : ''}
${list.length ? `<div class="scroll" role="region" aria-label="${html(`Totals for ${domain}`)}" tabindex="0"><table><caption>Totals for ${html(domain)}</caption>
<thead><tr><th>Policy type</th><th>Days</th><th>Covered</th><th>Organisations</th><th>Successful</th><th>Failed</th><th>Failure rate</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>
<p>Policies senders saw:</p><ul>${seen.join('')}</ul>` : '<p>No report named this domain.</p>'}</section>`;
}

type Day = { day: string; counts: { successful: number; failed: number } | undefined };

const LEFT = 64;
const OK_H = 120;
const FAIL_TOP = OK_H + 46;
const FAIL_H = 60;
const AXIS_Y = FAIL_TOP + FAIL_H;

/**
 * Two panels on one day axis: successful sessions above, failed sessions below on their own scale, each
 * failing day labelled with its count, so 1 failure in 1000 is as visible as 1 in 2. A day without a report
 * is a dashed empty box: rollout.min_report_days counts exactly those days.
 */
function chart(domain: string, days: Day[]): string {
  const step = Math.min(64, Math.max(4, Math.floor(960 / days.length)));
  const bar = Math.max(2, Math.round(step * 0.65));
  const width = LEFT + days.length * step + 8;
  const height = AXIS_Y + 36;
  const maxOk = Math.max(1, ...days.map((d) => d.counts?.successful ?? 0));
  const maxFail = Math.max(1, ...days.map((d) => d.counts?.failed ?? 0));
  const every = Math.max(1, Math.ceil(36 / step)); // a label is about 30 units wide
  const marks = days.map(({ day, counts }, i) => {
    const x = LEFT + i * step + (step - bar) / 2;
    const mid = x + bar / 2;
    const label = i % every === 0 || day.endsWith('-01-01') ? `<text x="${mid}" y="${AXIS_Y + 14}" font-size="10" text-anchor="middle">${html(day.slice(5))}</text>` : '';
    // The year under the first day and wherever a new year starts, so a window across 1 January reads in order.
    const year = i === 0 || day.endsWith('-01-01') ? `<text class="year" x="${mid}" y="${AXIS_Y + 28}" font-size="10" font-weight="600" text-anchor="middle">${html(day.slice(0, 4))}</text>` : '';
    if (!counts) {
      return `<g class="day"><title>${html(`${day}: no report`)}</title><rect class="empty" x="${x}" y="1" width="${bar}" height="${AXIS_Y - 1}"/>${label}${year}</g>`;
    }
    const hs = (counts.successful / maxOk) * OK_H;
    const hf = (counts.failed / maxFail) * FAIL_H;
    const rate = counts.successful + counts.failed ? counts.failed / (counts.successful + counts.failed) : 0;
    const failLabel = counts.failed > 0 ? `<text x="${mid}" y="${(FAIL_TOP + FAIL_H - hf - 3).toFixed(1)}" font-size="10" text-anchor="middle">${counts.failed}</text>` : '';
    return `<g class="day"><title>${html(`${day}: ${counts.successful} successful, ${counts.failed} failed (${percent(rate)})`)}</title>` +
      `<rect class="successful" x="${x}" y="${(OK_H - hs).toFixed(1)}" width="${bar}" height="${hs.toFixed(1)}"/>` +
      `<rect class="failed" x="${x}" y="${(FAIL_TOP + FAIL_H - hf).toFixed(1)}" width="${bar}" height="${hf.toFixed(1)}"/>${failLabel}${label}${year}</g>`;
  }).join('');
  return `<p class="legend"><span class="ok-mark"></span>successful<span class="fail-mark"></span>failed (own scale, count above each bar)<span class="empty-mark"></span>no report; sessions per day by report start date, UTC</p>
<div class="scroll" role="region" aria-label="${html(`Chart for ${domain}`)}" tabindex="0">
<svg role="img" aria-label="${html(`Successful and failed sessions per day for ${domain}, ${days[0]!.day} to ${days.at(-1)!.day}; the table below has the numbers`)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
<text x="0" y="10" font-size="10">${maxOk}</text><text x="0" y="${OK_H / 2}" font-size="10">successful</text><text x="0" y="${OK_H}" font-size="10">0</text>
<line class="axis" x1="${LEFT - 4}" y1="${OK_H}" x2="${width}" y2="${OK_H}"/>
<text x="0" y="${FAIL_TOP + 10}" font-size="10">${maxFail}</text><text x="0" y="${FAIL_TOP + FAIL_H / 2 + 4}" font-size="10">failed</text><text x="0" y="${AXIS_Y}" font-size="10">0</text>
<line class="axis" x1="${LEFT - 4}" y1="${AXIS_Y}" x2="${width}" y2="${AXIS_Y}"/>${marks}</svg></div>`;
}

/** The chart's numbers as a table, for screen readers and for anyone who wants the figures. */
function dataTable(domain: string, days: Day[]): string {
  const rows = days.map(({ day, counts }) => {
    if (!counts) return `<tr><th scope="row">${html(day)}</th><td colspan="3">no report</td></tr>`;
    const total = counts.successful + counts.failed;
    return `<tr><th scope="row">${html(day)}</th><td class="n">${counts.successful}</td><td class="n">${counts.failed}</td><td class="n">${percent(total ? counts.failed / total : 0)}</td></tr>`;
  }).join('\n');
  return `<details><summary>Sessions per day for ${html(domain)} as a table</summary>
<table class="daily"><caption>${html(`Sessions per day for ${domain}`)}</caption>
<thead><tr><th scope="col">Day (UTC)</th><th scope="col">Successful</th><th scope="col">Failed</th><th scope="col">Failure rate</th></tr></thead>
<tbody>
${rows}
</tbody></table></details>`;
}

function failureMatrix(summaries: PolicySummary[]): string {
  const rows = summaries.flatMap((s) => s.matrix.map((m) => ({ ...m, domain: s.domain, type: s.type })));
  if (rows.length === 0) return '<p>No failed sessions were reported.</p>';
  return `<div class="scroll" role="region" aria-label="Failures" tabindex="0"><table class="matrix"><thead><tr><th>Domain</th><th>Policy type</th><th>Result type</th><th>Receiving MX</th><th>Organisation</th><th>Failed sessions</th></tr></thead>
<tbody>
${rows.map((r) => `<tr><td>${html(r.domain)}</td><td>${html(r.type)}</td><td>${html(r.resultType)}</td><td>${html(r.mx)}</td><td>${html(r.organization)}</td><td class="n">${r.sessions}</td></tr>`).join('\n')}
</tbody></table></div>`;
}

function reporterTable(set: ReportSet): string {
  const rows = organizationDays(set);
  const days = [...new Set(rows.flatMap((r) => r.days))].sort();
  if (days.length === 0) return '<p>No reports.</p>';
  // More than two months of columns would not fit: then list the days instead.
  if (days.length > 62) {
    return `<ul>${rows.map((r) => `<li>${html(r.organization)}: ${r.days.length} day(s), ${html(r.days[0]!)} to ${html(r.days.at(-1)!)}</li>`).join('')}</ul>`;
  }
  // Days across 1 January get a row of years above the month-days, as the charts show the year, so they read in order.
  const years = [...new Set(days.map((d) => d.slice(0, 4)))];
  const yearRow = years.length > 1
    ? `<tr><td></td>${years.map((y) => `<th scope="colgroup" colspan="${days.filter((d) => d.startsWith(y)).length}">${html(y)}</th>`).join('')}</tr>\n`
    : '';
  return `<div class="scroll" role="region" aria-label="Reports per organisation and day" tabindex="0"><table class="days"><thead>${yearRow}<tr><th scope="col">Organisation</th>${days.map((d) => `<th scope="col" title="${html(d)}">${html(d.slice(5))}</th>`).join('')}</tr></thead>
<tbody>
${rows.map((r) => { const has = new Set(r.days); return `<tr><th scope="row">${html(r.organization)}</th>${days.map((d) => (has.has(d) ? `<td aria-label="${html(`${r.organization} reported on ${d}`)}">●</td>` : '<td></td>')).join('')}</tr>`; }).join('\n')}
</tbody></table></div>`;
}
