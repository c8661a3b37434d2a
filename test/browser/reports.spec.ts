// The `mta-sts reports --html` page, generated from our own fixtures and opened from disk in Chromium: what a
// person sees (domains, totals, a failure row, the warnings), the chart's bars with accessible titles, and
// that the page runs no script and loads nothing, even when a sender's name is markup.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { parseConfig } from '../../src/config/config.ts';
import { readReports } from '../../src/tlsrpt/files.ts';
import { judge } from '../../src/rollout/verdict.ts';
import { verdictSection } from '../../src/rollout/verdict-render.ts';
import { renderHtml } from '../../src/tlsrpt/html.ts';
import { DOMAIN, MX, detail, gz, json, mail, policyEntry, report } from '../tlsrpt/fixtures.ts';

let dir: string;
test.beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'mta-sts-html-')); });
test.afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

test('the report page shows domains, totals, failures, reporters and warnings, with an accessible chart and no script', async ({ page }, testInfo) => {
  const files: [string, Buffer][] = [
    ['google-1.eml', mail({ attachment: gz(report({ org: 'Google Inc.', id: 'g1', day: '2026-03-01', policies: [policyEntry({ successful: 900, details: [detail({ resultType: 'certificate-expired', count: 4, mx: MX })] })] })) })],
    ['google-2.json.gz', gz(report({ org: 'Google Inc.', id: 'g2', day: '2026-03-02', policies: [policyEntry({ successful: 850 })] }))],
    ['microsoft.json', json(report({ org: 'Microsoft Corporation', id: 'm1', day: '2026-03-02', range: 'microsoft-2023', policies: [policyEntry({ successful: 96 })] }))],
    ['fabrikam.json', json(report({ org: '<script>alert(1)</script>Evil', id: 'e1', day: '2026-03-03', policies: [policyEntry({ domain: 'fabrikam.example', successful: 10 })] }))],
  ];
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  const set = await readReports([dir], dir);
  const file = join(dir, 'report.html');
  const config = parseConfig(`domains: [${DOMAIN}]\npolicy:\n  mode: testing\n  mx: ["*.contoso.example"]\n  max_age: 7d\n`, 'mta-sts.config.yaml');
  if (!config.ok) throw new Error('config');
  const verdict = judge(set, config.config, new Date('2026-03-04T00:00:00Z'));
  await writeFile(file, renderHtml({ set, verdictHtml: verdictSection(verdict), generated: '2026-03-04T08:00:00.000Z' }));

  const requests: string[] = [];
  page.on('request', (r) => r.url() !== pathToFileURL(file).href && requests.push(r.url()));
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await page.goto(pathToFileURL(file).href);

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('TLS-RPT reports');
  await expect(page.getByRole('heading', { name: 'Verdict: Not ready for enforce' })).toBeVisible();
  await expect(page.locator('.verdict ol > li').first()).toHaveText(`${DOMAIN}: 4 session(s) failed in the last 7 days (from 2026-02-25) in ways that bounce mail under enforce: certificate-expired at ${MX} (4, reported by Google Inc.) (rollout.recent_days)`);
  await expect(page.getByRole('heading', { name: DOMAIN, exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'fabrikam.example', exact: true })).toBeVisible();

  const totals = page.getByRole('table', { name: `Totals for ${DOMAIN}` });
  await expect(totals.getByRole('row', { name: /^sts/ }).getByRole('cell')).toHaveText(['2', '2026-03-01 to 2026-03-02', 'Google Inc., Microsoft Corporation', '1846', '4', '0.2%']);

  const matrix = page.locator('table.matrix');
  await expect(matrix.getByRole('row').nth(1).getByRole('cell')).toHaveText([DOMAIN, 'sts', 'certificate-expired', MX, 'Google Inc.', '4']);

  const warnings = page.locator('ul.warnings > li');
  await expect(warnings).toHaveCount(1);
  await expect(warnings.first()).toContainText('microsoft.json');
  await expect(warnings.first()).toContainText('date-range.start-datetime "2026-03-02T00:00:00" has no time zone; read as UTC');

  await expect(page.getByRole('row', { name: /^Microsoft Corporation/ }).getByLabel('Microsoft Corporation reported on 2026-03-02')).toBeVisible();

  const chart = page.getByRole('img', { name: `Successful and failed sessions per day for ${DOMAIN}` });
  await expect(chart).toBeVisible();
  await expect(chart.locator('rect.successful')).toHaveCount(2);
  await expect(chart.locator('rect.failed > title')).toHaveText(['2026-03-01: 4 failed', '2026-03-02: 0 failed']);
  await expect(chart.locator('g.bar > title')).toHaveText(['2026-03-01: 900 successful, 4 failed', '2026-03-02: 946 successful, 0 failed']);
  const tallest = await chart.locator('rect.successful').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))));
  expect(tallest[1]).toBeGreaterThan(tallest[0]!); // 946 > 900: bars scale with the sessions

  // The hostile organisation name is text, not markup: no dialog, no script element, shown as written.
  await expect(page.getByText('<script>alert(1)</script>Evil').first()).toBeVisible();
  expect(await page.locator('script').count()).toBe(0);
  expect(dialogs).toEqual([]);
  expect(requests).toEqual([]);

  const shot = await page.screenshot({ fullPage: true, path: testInfo.outputPath('reports.png') });
  await testInfo.attach('report page', { body: shot, contentType: 'image/png' });
});
