// The check report as a page (`check --html FILE`): one self-contained HTML file (inline CSS, no script, nothing
// fetched), for a wall screen, a pipeline artifact or a mail. An overview grid, domain × check, failures first,
// each state told apart without colour (an icon and a word as well), each cell a link to its finding; then per
// domain the TXT record, the policy as served and each MX with its STARTTLS result and certificate expiry.
// Every string from a remote server is escaped (printable.ts).
import { pageStart } from '../html-page.ts';
import { html } from '../printable.ts';
import { CHECKS, RANK, type CheckName, type CheckResult, type DomainReport, type Override, type Status } from './result.ts';

export interface CheckPageInput {
  reports: DomainReport[];
  /** When the run ended, ISO 8601. */
  generated: string;
  /** The command line's options, as given (no secrets: check takes none). */
  options: string[];
  overrides?: Override[];
}

const TITLE: Record<CheckName, string> = {
  domain: 'Domain exists',
  'sts-record': 'TXT record',
  'policy-fetch': 'Policy fetch',
  'policy-parse': 'Policy syntax',
  'mx-match': 'MX in policy',
  'mx-starttls': 'MX STARTTLS',
  tlsrpt: 'TLS-RPT',
  config: 'Matches config',
  exchange: 'Exchange Online',
  evidence: 'Enforce evidence',
};
// An icon and a word for each state, so colour is never the only sign (WCAG 1.4.1).
const STATE: Record<Status, { icon: string; word: string }> = {
  fail: { icon: '✗', word: 'fail' },
  warn: { icon: '!', word: 'warn' },
  pass: { icon: '✓', word: 'ok' },
};

// The page's own styles; light and dark, each state's colours at 4.5:1 for text and 3:1 for marks.
const PAGE_CSS = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #ffffff; --line: #8c8c8c; --muted: #4d4d4d;
  --fail-fg: #8a1111; --fail-bg: #fde4e2; --warn-fg: #5c3d00; --warn-bg: #fff0c7; --pass-fg: #175c26; --pass-bg: #e2f3e5; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececec; --bg: #161616; --line: #7a7a7a; --muted: #c4c4c4;
  --fail-fg: #ffd2cc; --fail-bg: #5c1410; --warn-fg: #ffe7a8; --warn-bg: #4a3500; --pass-fg: #c9f2d0; --pass-bg: #123d1c; } }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
main { max-width: 80rem; margin: 0 auto; padding: 1rem; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; margin: .5rem 0; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid var(--line); } h3 { font-size: 1rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
.scroll { overflow-x: auto; max-width: 100%; } .scroll table { overflow-wrap: normal; } /* a narrow screen scrolls a table rather than break its words */
.fail { color: var(--fail-fg); background: var(--fail-bg); } .warn { color: var(--warn-fg); background: var(--warn-bg); } .pass { color: var(--pass-fg); background: var(--pass-bg); }
td.state a, span.state { color: inherit; font-weight: 600; white-space: nowrap; }
td.none { color: var(--muted); }
.summary span { display: inline-block; padding: .15rem .5rem; margin-right: .5rem; border-radius: .25rem; font-weight: 600; }
.banner { border: 2px solid var(--warn-fg); padding: .5rem 1rem; }
ul.findings { list-style: none; padding: 0; } ul.findings li { margin: .4rem 0; padding: .4rem .6rem; border-left: .35rem solid var(--line); }
ul.findings li.fail { border-left-color: var(--fail-fg); } ul.findings li.warn { border-left-color: var(--warn-fg); } ul.findings li.pass { border-left-color: var(--pass-fg); }
code, pre { font-size: .9em; } pre { white-space: pre-wrap; overflow-wrap: anywhere; border: 1px solid var(--line); padding: .5rem; }
dl.run { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .2rem 1rem; } dl.run dt { font-weight: 600; } dl.run dd { margin: 0; }
`;

export function renderCheckHtml(input: CheckPageInput): string {
  const { reports } = input;
  const order = reports.map((r, i) => ({ r, i })).sort((a, b) => RANK[b.r.status] - RANK[a.r.status] || a.i - b.i);
  const shown = CHECKS.filter((c) => reports.some((r) => r.checks.some((x) => x.check === c)));
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const r of reports) counts[r.status]++;
  return `${pageStart(`MTA-STS check: ${counts.fail} fail, ${counts.warn} warn, ${counts.pass} ok`, PAGE_CSS)}<main>
<h1>MTA-STS check</h1>
<p class="summary">${reports.length} domain${reports.length === 1 ? '' : 's'}:
<span class="fail">${STATE.fail.icon} ${counts.fail} fail</span><span class="warn">${STATE.warn.icon} ${counts.warn} warn</span><span class="pass">${STATE.pass.icon} ${counts.pass} ok</span></p>
${overridesBanner(input.overrides)}
<div class="scroll">
<table class="grid">
<caption>Each domain and check, failures first; a state links to its finding</caption>
<thead><tr><th scope="col">Domain</th>${shown.map((c) => `<th scope="col">${TITLE[c]}</th>`).join('')}<th scope="col">Result</th></tr></thead>
<tbody>
${order.map(({ r, i }) => `<tr><th scope="row"><a href="#d${i}">${html(r.domain)}</a></th>${shown.map((c) => gridCell(r, i, c)).join('')}<td class="state ${r.status}">${stateLabel(r.status)}</td></tr>`).join('\n')}
</tbody>
</table>
</div>
${order.map(({ r, i }) => domainSection(r, i)).join('\n')}
<h2 id="run">This run</h2>
<dl class="run">
<dt>Finished</dt><dd>${html(input.generated)}</dd>
<dt>Command</dt><dd><code>mta-sts check${input.options.map((o) => ` ${html(o)}`).join('')}</code></dd>
</dl>
</main>
</body>
</html>
`;
}

function stateLabel(status: Status): string {
  return `<span class="state">${STATE[status].icon} ${STATE[status].word}</span>`;
}

function gridCell(r: DomainReport, i: number, check: CheckName): string {
  const c = r.checks.find((x) => x.check === check);
  // A domain with any other check exists: "domain" is only ever reported when it does not.
  if (!c && check === 'domain') return `<td class="state pass">${stateLabel('pass')}</td>`;
  if (!c) return '<td class="none">– not run</td>';
  return `<td class="state ${c.status}"><a href="#d${i}-${c.check}" title="${html(`${c.code}: ${c.message}`)}">${STATE[c.status].icon} ${STATE[c.status].word}</a></td>`;
}

function overridesBanner(overrides: Override[] | undefined): string {
  if (!overrides?.length) return '';
  return `<section class="banner" aria-labelledby="overrides"><h2 id="overrides">Overrides in force</h2>
<p>This run did not look where senders look:</p>
<ul>${overrides.map((o) => `<li><code>${html(o.name)} ${html(o.value)}</code>: ${html(o.effect)}</li>`).join('')}</ul></section>`;
}

function domainSection(r: DomainReport, i: number): string {
  const findings = [...r.checks].sort((a, b) => RANK[b.status] - RANK[a.status]);
  return `<section aria-labelledby="d${i}">
<h2 id="d${i}">${html(r.domain)}: <span class="state ${r.status}">${STATE[r.status].icon} ${STATE[r.status].word}</span></h2>
<ul class="findings">
${findings.map((c) => finding(c, i)).join('\n')}
</ul>
${details(r)}
</section>`;
}

function finding(c: CheckResult, i: number): string {
  return `<li id="d${i}-${c.check}" class="${c.status}"><span class="state">${STATE[c.status].icon} ${STATE[c.status].word}</span> <strong>${TITLE[c.check]}</strong> <code>${html(c.code)}</code><br>${html(c.message)}</li>`;
}

// ---------------------------------------------------------------- the evidence, as an admin reads it

const record = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

function details(r: DomainReport): string {
  const parts: string[] = [];
  const evidence = (check: CheckName) => record(r.checks.find((c) => c.check === check)?.evidence);

  const sts = evidence('sts-record');
  const records = Array.isArray(sts?.records) ? sts.records.map(text).filter((x) => x !== undefined) : undefined;
  if (records) {
    parts.push(`<h3>TXT record at <code>${html(text(sts?.name) ?? `_mta-sts.${r.domain}`)}</code></h3>`,
      records.length ? `<pre>${records.map(html).join('\n')}</pre>` : '<p>None published.</p>');
  }

  const fetch = evidence('policy-fetch');
  const parsed = evidence('policy-parse');
  const policy = record(parsed?.policy);
  const url = text(fetch?.url);
  if (url) {
    const cert = record(record(fetch?.tls)?.certificate);
    const until = text(cert?.validTo);
    const status = text(fetch?.status);
    parts.push(`<h3>Policy as served at <code>${html(url)}</code></h3>`,
      `<p>${status ? `HTTP ${html(status)}` : 'No HTTP answer'}${until ? `; certificate valid until ${html(until.slice(0, 10))}` : ''}.</p>`);
    if (policy) {
      const mx = Array.isArray(policy.mx) ? policy.mx.map(text).filter((x) => x !== undefined) : [];
      parts.push(`<pre>version: STSv1\nmode: ${html(text(policy.mode) ?? '?')}\n${mx.map((m) => `mx: ${html(m)}\n`).join('')}max_age: ${html(text(policy.maxAge) ?? '?')}</pre>`);
    } else if (text(parsed?.text) !== undefined) {
      parts.push(`<pre>${html(text(parsed?.text)!)}</pre>`);
    }
  }

  const starttls = evidence('mx-starttls');
  const hosts = Array.isArray(starttls?.hosts) ? starttls.hosts.map(record).filter((h) => h !== undefined) : [];
  if (hosts.length > 0) {
    const outcome = r.checks.find((c) => c.check === 'mx-starttls')!;
    // A box that scrolls on a narrow screen is a region reached by keyboard (it has no link to tab to).
    parts.push(`<div class="scroll" role="region" aria-label="${html(`MX hosts of ${r.domain}`)}" tabindex="0"><table>
<caption>MX hosts of ${html(r.domain)}: STARTTLS on port 25</caption>
<thead><tr><th scope="col">MX host</th><th scope="col">Address</th><th scope="col">TLS</th><th scope="col">Certificate valid until</th><th scope="col">Problem</th></tr></thead>
<tbody>
${hosts.map((h) => mxRow(h, outcome)).join('\n')}
</tbody>
</table></div>`);
  }
  return parts.join('\n');
}

function mxRow(h: Record<string, unknown>, outcome: CheckResult): string {
  const host = text(h.host) ?? '?';
  const cert = record(h.certificate);
  const until = text(cert?.validTo);
  const days = typeof h.daysLeft === 'number' ? ` (${h.daysLeft} days)` : '';
  const error = record(h.error);
  // The check's findings name the host they are about; show those beside it.
  const findings = Array.isArray(record(outcome.evidence)?.findings) ? (record(outcome.evidence)!.findings as unknown[]).map(record) : [{ status: outcome.status, message: outcome.message }];
  const mine = findings.filter((f) => f && f.status !== 'pass' && String(f.message).includes(host)) as Record<string, unknown>[];
  const problem = mine.length ? mine.map((f) => html(String(f.message))).join('<br>') : error ? html(text(error.message) ?? '') : '';
  const state: Status = mine.some((f) => f.status === 'fail') ? 'fail' : mine.length ? 'warn' : error ? 'fail' : 'pass';
  return `<tr><th scope="row">${html(host)}</th><td>${html(text(h.address) ?? '–')}</td><td>${html(text(h.protocol) ?? '–')}</td><td>${until ? `${html(until.slice(0, 10))}${days}` : '–'}</td><td class="state ${state}">${stateLabel(state)}${problem ? ` ${problem}` : ''}</td></tr>`;
}
