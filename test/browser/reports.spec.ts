// The `mta-sts reports --html` page, generated from our own fixtures and opened from disk in Chromium: what a
// person sees (the overview with each domain's verdict, totals, a failure row, the warnings), charts whose axis is
// the verdict's window with empty days shown, failures on their own scale with their counts, the year across
// 1 January, a data table under each chart; that the page runs no script and loads nothing, even when a sender's
// name is markup; and that axe-core finds no accessibility violation at a phone's and a desk's width, in light
// and dark, where it looks as its snapshot does. MTA_STS_WRITE_DOCS=1 also writes the README's screenshot.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { expectAccessible, expectPicture, viewTab, VIEWS } from './audit.ts';
import { parseConfig } from '../../src/config/config.ts';
import { readReports } from '../../src/tlsrpt/files.ts';
import { judge } from '../../src/rollout/verdict.ts';
import { verdictView } from '../../src/rollout/verdict-render.ts';
import { renderHtml } from '../../src/tlsrpt/html.ts';
import { DOMAIN, MX, detail, gz, json, mail, policyEntry, report } from '../tlsrpt/fixtures.ts';

let dir: string;
let file: string;
test.afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const testingConfig = (domains: string[]) => {
  const config = parseConfig(`domains: [${domains.join(', ')}]\npolicy:\n  mode: testing\n  mx: ["*.contoso.example"]\n  max_age: 7d\n`, 'mta-sts.config.yaml');
  if (!config.ok) throw new Error('config');
  return config.config;
};

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mta-sts-html-'));
  file = join(dir, 'report.html');
  const files: [string, Buffer][] = [
    ['google-1.eml', mail({ attachment: gz(report({ org: 'Google Inc.', id: 'g1', day: '2026-03-01', policies: [policyEntry({ successful: 900, details: [detail({ resultType: 'certificate-expired', count: 4, mx: MX })] })] })) })],
    ['google-2.json.gz', gz(report({ org: 'Google Inc.', id: 'g2', day: '2026-03-02', policies: [policyEntry({ successful: 850 })] }))],
    ['microsoft.json', json(report({ org: 'Microsoft Corporation', id: 'm1', day: '2026-03-02', range: 'microsoft-2023', policies: [policyEntry({ successful: 96 })] }))],
    ['fabrikam.json', json(report({ org: '<script>alert(1)</script>Evil', id: 'e1', day: '2026-03-03', policies: [policyEntry({ domain: 'fabrikam.example', successful: 10 })] }))],
  ];
  // Read as `mta-sts reports reports/` names them: relative, so the page (and its snapshot) is the same in any temp folder.
  await mkdir(join(dir, 'reports'));
  for (const [name, bytes] of files) await writeFile(join(dir, 'reports', name), bytes);
  const set = await readReports(['reports'], dir);
  const verdict = judge(set, testingConfig([DOMAIN, 'adatum.example']), new Date('2026-03-04T00:00:00Z'));
  await writeFile(file, renderHtml({ set, verdict: verdictView(verdict), generated: '2026-03-04T08:00:00.000Z' }));
});

test('the report page shows domains, totals, failures, reporters and warnings, with an accessible chart and no script', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => r.url() !== pathToFileURL(file).href && requests.push(r.url()));
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await page.goto(pathToFileURL(file).href);

  await expect(page.getByRole('main').getByRole('heading', { level: 1 })).toHaveText('TLS-RPT reports');
  // The overview: every domain, config's first, with its verdict in words and why.
  const overview = page.getByRole('table', { name: /^Each domain: the verdict for 2026-02-18 to 2026-03-03/ });
  await expect(overview.locator('tbody th[scope=row]')).toHaveText([DOMAIN, 'adatum.example', 'fabrikam.example']);
  const contosoRow = overview.getByRole('row', { name: new RegExp(`^${DOMAIN}`) });
  await expect(contosoRow.getByRole('cell').nth(0)).toHaveText('✗ not ready');
  await expect(contosoRow.getByRole('cell').nth(1)).toHaveText('2');
  await expect(contosoRow.locator('td.reasons li')).toHaveText([/^contoso\.example: 4 session\(s\) failed .* certificate-expired at mx1\.contoso\.example/, /^contoso\.example: sts reports on 2 distinct day\(s\) .* need at least 10/]);
  await expect(overview.getByRole('row', { name: /^adatum\.example/ }).getByRole('cell').nth(0)).toHaveText('? not enough evidence');
  await expect(overview.getByRole('row', { name: /^fabrikam\.example/ }).getByRole('cell').nth(0)).toHaveText('not in the config');
  await contosoRow.getByRole('link', { name: DOMAIN }).click();
  await expect(page.locator(':target')).toHaveText(DOMAIN);

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

  // The axis is the verdict's window, every day of it: 14 days, 12 of them without a report, shown empty.
  const chart = page.getByRole('img', { name: `Successful and failed sessions per day for ${DOMAIN}, 2026-02-18 to 2026-03-03; the table below has the numbers` });
  await expect(chart).toBeVisible();
  await expect(chart.locator('g.day')).toHaveCount(14);
  await expect(chart.locator('rect.empty')).toHaveCount(12);
  await expect(chart.locator('g.day > title').first()).toHaveText('2026-02-18: no report');
  await expect(chart.locator('rect.successful')).toHaveCount(2);
  await expect(chart.locator('g.day:has(rect.successful) > title')).toHaveText(['2026-03-01: 900 successful, 4 failed (0.4%)', '2026-03-02: 946 successful, 0 failed (0%)']);
  const tallest = await chart.locator('rect.successful').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))));
  expect(tallest[1]).toBeGreaterThan(tallest[0]!); // 946 > 900: bars scale with the sessions
  // 4 failures in 904 sessions: on their own scale a full bar, as it is drawn, with the count beside it.
  const failed = chart.locator('rect.failed').first();
  expect((await failed.boundingBox())!.height).toBeGreaterThan(40);
  await expect(chart.locator('g.day:has(rect.successful) text').first()).toHaveText('4');
  // Colour-blind-safe marks, each at least 3:1 against the page (WCAG 1.4.11).
  const colours = await chart.evaluate((svg) => ['rect.successful', 'rect.failed'].map((s) => getComputedStyle(svg.querySelector(s)!).fill));
  expect(colours).toEqual(['rgb(0, 114, 178)', 'rgb(194, 78, 0)']);
  // The same numbers as a table, for screen readers.
  await page.getByText(`Sessions per day for ${DOMAIN} as a table`).click();
  const daily = page.getByRole('table', { name: `Sessions per day for ${DOMAIN}` });
  await expect(daily.getByRole('row')).toHaveCount(15);
  await expect(daily.getByRole('row', { name: /^2026-03-01/ }).getByRole('cell')).toHaveText(['900', '4', '0.4%']);
  await expect(daily.getByRole('row', { name: /^2026-02-18/ }).getByRole('cell')).toHaveText(['no report']);

  // The hostile organisation name is text, not markup: no dialog, no script element, shown as written.
  await expect(page.getByText('<script>alert(1)</script>Evil').first()).toBeVisible();
  expect(await page.locator('script').count()).toBe(0);
  expect(dialogs).toEqual([]);
  expect(requests).toEqual([]);
});

test('a window across 1 January shows the year, so the days read in order; the overview counts the window only', async ({ page }) => {
  const yearDir = await mkdtemp(join(tmpdir(), 'mta-sts-html-year-'));
  try {
    // Before the window: its failures are history, not part of the verdict, and must not be counted beside it.
    await writeFile(join(yearDir, 'old.json'), json(report({ org: 'Google Inc.', id: 'y0', day: '2025-11-10', policies: [policyEntry({ successful: 5000, details: [detail({ resultType: 'certificate-expired', count: 9, mx: MX })] })] })));
    await writeFile(join(yearDir, 'a.json'), json(report({ org: 'Google Inc.', id: 'y1', day: '2025-12-30', policies: [policyEntry({ successful: 500 })] })));
    await writeFile(join(yearDir, 'b.json'), json(report({ org: 'Google Inc.', id: 'y2', day: '2026-01-02', policies: [policyEntry({ successful: 700 })] })));
    const set = await readReports([yearDir], yearDir);
    const verdict = judge(set, testingConfig([DOMAIN]), new Date('2026-01-05T00:00:00Z'));
    const yearFile = join(yearDir, 'report.html');
    await writeFile(yearFile, renderHtml({ set, verdict: verdictView(verdict), generated: '2026-01-05T08:00:00.000Z' }));
    await page.goto(pathToFileURL(yearFile).href);
    const chart = page.getByRole('img', { name: /^Successful and failed sessions per day for contoso\.example, 2025-12-22 to 2026-01-04/ });
    await expect(chart.locator('text.year')).toHaveText(['2025', '2026']);
    await expect(chart.locator('g.day:has(text.year) > title')).toHaveText(['2025-12-22: no report', '2026-01-01: no report']);
    // The reporters' table: a row of years over the month-days.
    const reporters = page.getByRole('region', { name: 'Reports per organisation and day' });
    await expect(reporters.locator('thead tr').first().locator('th')).toHaveText(['2025', '2026']);
    expect(await reporters.locator('thead th[scope=colgroup]').evaluateAll((ths) => ths.map((t) => t.getAttribute('colspan')))).toEqual(['2', '1']);
    await expect(reporters.locator('thead tr').nth(1).locator('th')).toHaveText(['Organisation', '11-10', '12-30', '01-02']);
    // The overview: the window's sessions, labelled so, not the 5000 and 9 of November.
    const overview = page.getByRole('table', { name: /^Each domain: the verdict for 2025-12-22 to 2026-01-04 and why; sts sessions in that window$/ });
    await expect(overview.locator('thead th')).toHaveText(['Domain', 'Verdict', 'Report days in window', 'Successful in window', 'Failed in window', 'Failure rate in window', 'Why']);
    await expect(overview.getByRole('row', { name: /^contoso\.example/ }).locator('td.n')).toHaveText(['2', '1200', '0', '0%']);
  } finally {
    await rm(yearDir, { recursive: true, force: true });
  }
});

for (const view of VIEWS) {
  test(`no accessibility violation at ${view.width} px, ${view.colorScheme}; looks as its snapshot`, async ({ browser }) => {
    const page = await viewTab(browser, view);
    await page.goto(pathToFileURL(file).href);
    await page.locator('details').first().evaluate((d) => { (d as HTMLDetailsElement).open = true; }); // audit a data table too
    await expectAccessible(page); // axe-core and no overflow (audit.ts)
    await page.locator('details').first().evaluate((d) => { (d as HTMLDetailsElement).open = false; });
    await expectPicture(page, 'reports', view, { docs: true });
  });
}
