// `mta-sts check --html`, made by the real command against the loopback servers of test/check/world.ts and
// opened from disk in Chromium as an admin would: the grid puts failures first and tells states apart by icon
// and word as well as colour, each cell leads to its finding, the details show the TXT record, the policy and
// each MX; the page runs no script and loads nothing, and axe-core finds no accessibility violation at a phone's
// and a desk's width, in light and dark, where it looks as its snapshot does (the run's clock and the certificates'
// dates are fixed for that). MTA_STS_WRITE_DOCS=1 also writes the README's screenshot.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { expectAccessible, expectPicture, viewTab, VIEWS } from './audit.ts';
import { checkCommand } from '../../src/cli/check.ts';
import { runCommand } from '../../src/cli/main.ts';
import { createDns } from '../../src/check/io.ts';
import { policyFor, World } from '../check/world.ts';

let world: World;
let dir: string;
let file: string;
let exit: number;
/** The page with what differs run to run made constant: the loopback servers' ports and the fetch's milliseconds. */
let stableFile: string;

test.beforeAll(async () => {
  // Certificates valid for years on either side of the run's fixed clock: the page shows their dates and days left.
  world = await World.start({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2099-01-01T00:00:00Z') });
  dir = await mkdtemp(join(tmpdir(), 'mta-sts-check-page-'));
  await world.addDomain('contoso.example', { mx: ['mx1.contoso.example', 'mx2.contoso.example'], policy: policyFor(['*.contoso.example'], 'testing') });
  await world.addDomain('fabrikam.example', { tlsrptTxt: [] });
  // Enforce with an MX that offers no STARTTLS: mail would bounce.
  await world.addDomain('northwind.example', { mx: ['mx.northwind.example'], plainMx: ['mx.northwind.example'] });
  // A sender's text is markup here: it must stay text.
  await world.addDomain('tailspin.example', { stsTxt: ['v=STSv1; id=<script>alert(1)</script>;'] });
  file = join(dir, 'check.html');
  const command = checkCommand({ io: (o) => ({ ...world.io(undefined, () => new Date('2026-03-04T08:00:00.000Z')), dns: createDns({ server: o.dnsServer, timeoutMs: 400, tries: 1 }) }) });
  exit = await runCommand(command, ['contoso.example', 'fabrikam.example', 'northwind.example', 'tailspin.example', 'no-such-domain.example', '--html', 'check.html', '--dns-server', world.dns.address],
    { out: () => {}, err: () => {}, cwd: dir, isTTY: false, env: {} });
  stableFile = join(dir, 'check-stable.html');
  await writeFile(stableFile, (await readFile(file, 'utf8'))
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:53')
    .replace(/(mta-sts\.[a-z.-]+\.example):\d+\//g, '$1/')
    .replace(/ bytes in \d+ ms /g, ' bytes in 100 ms '));
});
test.afterAll(async () => {
  await world?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the grid puts failures first, tells states apart without colour, and links each cell to its finding', async ({ page }) => {
  expect(exit).toBe(1);
  const requests: string[] = [];
  page.on('request', (r) => r.url() !== pathToFileURL(file).href && requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);

  await expect(page).toHaveTitle('MTA-STS check: 3 fail, 1 warn, 1 ok');
  const grid = page.getByRole('table', { name: /Each domain and check/ });
  const rows = grid.getByRole('row');
  // Header, then the failing domains in the order given, then the warning, then the one that passes.
  await expect(rows.locator('th[scope=row]')).toHaveText(['northwind.example', 'tailspin.example', 'no-such-domain.example', 'fabrikam.example', 'contoso.example']);
  const northwind = grid.getByRole('row', { name: /^northwind\.example/ });
  await expect(northwind.getByRole('cell').last()).toHaveText('✗ fail');
  await expect(grid.getByRole('row', { name: /^no-such-domain\.example/ }).getByRole('cell').first()).toHaveText('✗ fail');

  // A cell leads to its finding, which says what to do.
  await northwind.getByRole('link', { name: '✗ fail' }).first().click();
  const target = page.locator(':target');
  await expect(target).toContainText('fail');
  await expect(page.locator('#d2-exchange')).toContainText('MAIL WOULD BOUNCE');
  await expect(page.locator('#d4-domain')).toContainText('no-such-domain.example does not exist in DNS (NXDOMAIN)');

  // Details: the TXT record, the policy as served, and each MX with its STARTTLS result.
  const contoso = page.getByRole('region', { name: /^contoso\.example/ });
  await expect(contoso.locator('pre').first()).toHaveText('v=STSv1; id=abc123;');
  await expect(contoso.locator('pre').nth(1)).toContainText('mode: testing\nmx: *.contoso.example\nmax_age: 604800');
  const mx = contoso.getByRole('table', { name: 'MX hosts of contoso.example: STARTTLS on port 25' });
  await expect(mx.getByRole('row')).toHaveCount(3);
  await expect(mx.getByRole('row', { name: /^mx1\.contoso\.example/ })).toContainText('TLSv1.3');
  await expect(page.getByRole('table', { name: 'MX hosts of northwind.example: STARTTLS on port 25' })).toContainText('does not offer STARTTLS');

  // Remote text stays text; nothing runs and nothing is fetched.
  await expect(page.getByText('v=STSv1; id=<script>alert(1)</script>;').first()).toBeVisible();
  expect(await page.locator('script').count()).toBe(0);
  expect(requests).toEqual([]);
  await expect(page.getByRole('definition').nth(1)).toContainText('mta-sts check contoso.example fabrikam.example northwind.example tailspin.example no-such-domain.example --html check.html --dns-server');
});

for (const view of VIEWS) {
  test(`no accessibility violation at ${view.width} px, ${view.colorScheme}; looks as its snapshot`, async ({ browser }) => {
    const page = await viewTab(browser, view);
    await page.goto(pathToFileURL(file).href);
    await expectAccessible(page); // axe-core and no overflow (audit.ts)
    // The first screen, the summary and the grid, as a wall screen shows it; the details below are text the
    // test above reads. The copy with the run's ports and timings fixed, so the picture is the same each run.
    await page.goto(pathToFileURL(stableFile).href);
    await expectPicture(page, 'check-report', view, { firstScreen: true, docs: true });
  });
}
