// The report page: one self-contained HTML file (inline CSS and SVG, no JavaScript, nothing fetched), so it
// can be mailed, attached to a pull request or opened from disk. Every string from a report is escaped.
import { organizationDays, summarize, type PolicySummary, type ReportSet } from './summary.ts';
import { html } from '../printable.ts';
import { percent } from './text.ts';

export interface PageInput {
  set: ReportSet;
  /** The verdict's section (src/rollout/verdict-render.ts), when there is a config. */
  verdictHtml?: string;
  /** When the page was made, ISO 8601. */
  generated: string;
}

export function renderHtml({ set, verdictHtml, generated }: PageInput): string {
  const summaries = summarize(set);
  const domains = [...new Set(summaries.map((s) => s.domain))];
  const warned = set.reports.filter((r) => r.warnings.length > 0);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>TLS-RPT reports</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 1px solid #ccc; } h3 { font-size: 1.05rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } caption { text-align: left; font-weight: 600; padding: .25rem 0; }
.ok { color: #0b6b2b; } .bad { color: #a4000f; } .verdict { padding: .75rem 1rem; border: 2px solid; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; vertical-align: middle; }
code { font-size: .9em; } .days td { text-align: center; padding: .1rem .25rem; }
</style>
</head>
<body>
<h1>TLS-RPT reports</h1>
<p>${set.reports.length} report(s) read, ${set.skipped.length} file(s) skipped; generated ${html(generated)}.</p>
${verdictHtml ?? ''}
<h2 id="domains">Sessions per domain</h2>
${domains.length === 0 ? '<p>No report named a policy domain.</p>' : domains.map((d) => domainSection(d, summaries.filter((s) => s.domain === d))).join('\n')}
<h2 id="failures">Failures (result type × MX × organisation)</h2>
${failureMatrix(summaries)}
<h2 id="reporters">Which organisations reported on which days</h2>
${reporterTable(set)}
<h2 id="warnings">Parser warnings</h2>
${warned.length === 0 ? '<p>None: every report followed RFC 8460.</p>' : `<ul class="warnings">\n${warned.map((r) =>
  `<li><code>${html(r.file)}</code> (${html(r.organization)}, ${html(r.reportId)})<ul>${r.warnings.map((w) => `<li>${html(w)}</li>`).join('')}</ul></li>`).join('\n')}\n</ul>`}
<h2 id="skipped">Skipped files</h2>
${set.skipped.length === 0 ? '<p>None.</p>' : `<ul class="skipped">\n${set.skipped.map((s) => `<li><code>${html(s.file)}</code>: ${html(s.reason)}</li>`).join('\n')}\n</ul>`}
</body>
</html>
`;
}

function domainSection(domain: string, list: PolicySummary[]): string {
  const rows = list.map((s) => `<tr><th scope="row">${html(s.type)}</th><td class="n">${s.days.length}</td><td>${s.days.length ? `${html(s.days[0]!)} to ${html(s.days.at(-1)!)}` : ''}</td>` +
    `<td>${s.organizations.map(html).join(', ')}</td><td class="n">${s.successful}</td><td class="n">${s.failed}</td><td class="n">${percent(s.failureRate)}</td></tr>`).join('\n');
  const seen = list.flatMap((s) => s.policiesSeen.map((p) => `<li>${html(s.type)}: ${p.mode ? `mode <code>${html(p.mode)}</code>` : 'no policy-string'}${p.mx.length ? `, mx ${p.mx.map((m) => `<code>${html(m)}</code>`).join(', ')}` : ''} (${p.reports} report(s))</li>`));
  return `<section aria-labelledby="d-${html(domain)}"><h3 id="d-${html(domain)}">${html(domain)}</h3>
${chart(domain, list)}
<table><caption>Totals for ${html(domain)}</caption>
<thead><tr><th>Policy type</th><th>Days</th><th>Covered</th><th>Organisations</th><th>Successful</th><th>Failed</th><th>Failure rate</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p>Policies senders saw:</p><ul>${seen.join('')}</ul></section>`;
}

const BAR = 18;
const GAP = 12;
const HEIGHT = 160;

/** Daily stacked bars: successful (green) below failed (red), scaled to the busiest day. */
function chart(domain: string, list: PolicySummary[]): string {
  const byDay = new Map<string, { successful: number; failed: number }>();
  for (const s of list) {
    for (const d of s.daily) {
      const day = byDay.get(d.day) ?? { successful: 0, failed: 0 };
      day.successful += d.successful;
      day.failed += d.failed;
      byDay.set(d.day, day);
    }
  }
  const days = [...byDay.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const max = Math.max(1, ...days.map(([, d]) => d.successful + d.failed));
  const width = Math.max(1, days.length) * (BAR + GAP) + 40;
  const bars = days.map(([day, d], i) => {
    const x = 40 + i * (BAR + GAP);
    const hs = (d.successful / max) * HEIGHT;
    const hf = (d.failed / max) * HEIGHT;
    const title = `${day}: ${d.successful} successful, ${d.failed} failed`;
    return `<g class="bar"><title>${html(title)}</title>` +
      `<rect class="successful" x="${x}" y="${(HEIGHT - hs).toFixed(1)}" width="${BAR}" height="${hs.toFixed(1)}" fill="#2e8540"><title>${html(`${day}: ${d.successful} successful`)}</title></rect>` +
      `<rect class="failed" x="${x}" y="${(HEIGHT - hs - hf).toFixed(1)}" width="${BAR}" height="${hf.toFixed(1)}" fill="#cd2026"><title>${html(`${day}: ${d.failed} failed`)}</title></rect>` +
      `<text x="${x + BAR / 2}" y="${HEIGHT + 14}" font-size="9" text-anchor="middle">${html(day.slice(5))}</text></g>`;
  }).join('');
  return `<p class="legend"><span style="background:#2e8540"></span>successful<span style="background:#cd2026"></span>failed (sessions per day, by report start date, UTC)</p>
<svg role="img" aria-label="${html(`Successful and failed sessions per day for ${domain}`)}" width="${width}" height="${HEIGHT + 20}" viewBox="0 0 ${width} ${HEIGHT + 20}" xmlns="http://www.w3.org/2000/svg">
<text x="0" y="10" font-size="10">${max}</text><text x="0" y="${HEIGHT}" font-size="10">0</text>
<line x1="36" y1="${HEIGHT}" x2="${width}" y2="${HEIGHT}" stroke="#888"/>${bars}</svg>`;
}

function failureMatrix(summaries: PolicySummary[]): string {
  const rows = summaries.flatMap((s) => s.matrix.map((m) => ({ ...m, domain: s.domain, type: s.type })));
  if (rows.length === 0) return '<p>No failed sessions were reported.</p>';
  return `<table class="matrix"><thead><tr><th>Domain</th><th>Policy type</th><th>Result type</th><th>Receiving MX</th><th>Organisation</th><th>Failed sessions</th></tr></thead>
<tbody>
${rows.map((r) => `<tr><td>${html(r.domain)}</td><td>${html(r.type)}</td><td>${html(r.resultType)}</td><td>${html(r.mx)}</td><td>${html(r.organization)}</td><td class="n">${r.sessions}</td></tr>`).join('\n')}
</tbody></table>`;
}

function reporterTable(set: ReportSet): string {
  const rows = organizationDays(set);
  const days = [...new Set(rows.flatMap((r) => r.days))].sort();
  if (days.length === 0) return '<p>No reports.</p>';
  // More than two months of columns would not fit: then list the days instead.
  if (days.length > 62) {
    return `<ul>${rows.map((r) => `<li>${html(r.organization)}: ${r.days.length} day(s), ${html(r.days[0]!)} to ${html(r.days.at(-1)!)}</li>`).join('')}</ul>`;
  }
  return `<table class="days"><thead><tr><th>Organisation</th>${days.map((d) => `<th scope="col" title="${html(d)}">${html(d.slice(5))}</th>`).join('')}</tr></thead>
<tbody>
${rows.map((r) => { const has = new Set(r.days); return `<tr><th scope="row">${html(r.organization)}</th>${days.map((d) => (has.has(d) ? `<td aria-label="${html(`${r.organization} reported on ${d}`)}">●</td>` : '<td></td>')).join('')}</tr>`; }).join('\n')}
</tbody></table>`;
}
