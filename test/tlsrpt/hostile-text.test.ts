// Text from a report (organisation, result type, MX names) and from Azure reaches every output only through
// printable(): fed hostile strings (C0, C1, bidi controls, prototype names), no output carries a raw control,
// and a key such as `__proto__` or `constructor` keeps its count.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { Reporter } from '../../src/azure/annotations.ts';
import { renderHtml } from '../../src/tlsrpt/html.ts';
import { parseReportJson } from '../../src/tlsrpt/parser.ts';
import { renderText, reportsJson } from '../../src/tlsrpt/render.ts';
import { ReportSet } from '../../src/tlsrpt/summary.ts';
import { printableJson } from '../../src/printable.ts';
import { DOMAIN, detail, policyEntry, report } from './fixtures.ts';

const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/; // all but LF, which ends lines

const hostile = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'),
  fc.array(fc.constantFrom('\x1b[2J', '\u009b31m', '\u202e', '\u2066', '\r', '\n', '\t', '\x7f', 'a', '__proto__', '<b>', '"'), { minLength: 1, maxLength: 6 }).map((p) => p.join('')),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
);

function setWith(org: string, resultType: string, mx: string): ReportSet {
  const r = report({ org, id: `id-${org}`, policies: [policyEntry({ successful: 5, details: [detail({ resultType, count: 7, mx })] })] });
  const outcome = parseReportJson(JSON.stringify(r), { fileName: `${org}.json` });
  if (!outcome.ok) throw new Error(outcome.reason);
  const set = new ReportSet();
  set.add(outcome.report, `${org}\u202e.json`, 'sha');
  set.skip(`${resultType}\x1b.json`, `not a report: ${mx}`);
  return set;
}

describe('hostile text through every output', () => {
  it('text, --json and HTML carry no raw control, and prototype names keep their counts', () => {
    fc.assert(fc.property(hostile, hostile, hostile, (org, resultType, mx) => {
      const set = setWith(org, resultType, mx);
      const text = renderText(set);
      const json = `${printableJson(reportsJson(set, undefined), 2)}\n`;
      const html = renderHtml({ set, generated: '2026-03-15T00:00:00Z' });
      // The overview's reasons quote senders' names too (src/rollout/verdict.ts); the charts span the window.
      const judged = renderHtml({ set, generated: '2026-03-15T00:00:00Z', verdict: { html: '', window: { start: '2026-03-01', end: '2026-03-14' },
        domains: [{ domain: DOMAIN, status: 'not-ready', reasons: [`${DOMAIN}: ${resultType} at ${mx} (reported by ${org})`], reportDays: 1, successful: 0, failed: 7 }] } });
      for (const out of [text, json, html, judged]) expect(out).not.toMatch(UNSAFE);
      const parsed = JSON.parse(json) as { policies: { domain: string; failures: Record<string, number> }[] };
      const policy = parsed.policies.find((p) => p.domain === DOMAIN)!;
      const key = resultType.trim().toLowerCase();
      if (key) expect(Object.prototype.hasOwnProperty.call(policy.failures, key) && policy.failures[key]).toBe(7);
      expect(JSON.stringify(policy.failures)).not.toContain('function');
    }), { numRuns: 150 });
  });

  it('the azure commands\' lines, warnings, errors and CI annotations carry no raw control', () => {
    fc.assert(fc.property(hostile, fc.constantFrom(undefined, 'True'), (text, tfBuild) => {
      let out = '';
      const reporter = new Reporter({ out: (t) => void (out += t), err: (t) => void (out += t) }, tfBuild ? { TF_BUILD: tfBuild } : {});
      reporter.info(`contoso.com: mta-sts.contoso.com is ${text}`);
      reporter.warn(`defaultHostname ${text}`);
      reporter.fail(`Azure said: ${text}`);
      expect(out).not.toMatch(UNSAFE);
      expect(out.split('\n').length).toBe(tfBuild ? 6 : 4); // one line each (and one annotation each), never more
    }), { numRuns: 100 });
  });

  it('the errors of a folder where no file is a report: file names and parser snippets carry no raw control', async () => {
    await fc.assert(fc.asyncProperty(hostile, hostile, async (name, snippet) => {
      const dir = await mkdtemp(join(tmpdir(), 'mta-sts-hostile-'));
      try {
        const file = `${name.replace(/[/\u0000]/g, '_').slice(0, 100)}.json`;
        await writeFile(join(dir, file), `{"organization-name": ${JSON.stringify(snippet)}`); // broken JSON, quoted back in the reason
        let out = '';
        const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t), cwd: dir, isTTY: false, env: {} };
        expect(await main(['reports', '.'], io)).toBe(1);
        expect(out).not.toMatch(UNSAFE);
        expect(out).toContain('no file could be read as a TLS-RPT report');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }), { numRuns: 40 });
  });
});
