// The committed home/ as the SWA emulator serves it, seen through Debian's Chromium; axe-core finds no
// accessibility violation on the page at a phone's and a desk's width, in light and dark. The page of a fixed
// config (static-web-app.config.yaml, with a TLS-RPT address and a contact) looks as its snapshot; its build time
// is masked. MTA_STS_WRITE_DOCS=1 also writes the README's screenshot.
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { expectAccessible, expectPicture, viewTab, VIEWS } from './audit.ts';
import { SWA_SNAPSHOT_URL } from '../../playwright.config.ts';

const policyBytes = readFile('home/.well-known/mta-sts.txt');
const swaConfig = readFile('home/staticwebapp.config.json', 'utf8').then((t) => JSON.parse(t));

test('the page says what this host is and shows the current mode and policy', async ({ page }, testInfo) => {
  const violations: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));
  page.on('request', (r) => !r.url().startsWith(testInfo.project.use.baseURL!) && foreign.push(r.url()));

  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  const policy = (await policyBytes).toString('ascii');
  const mode = /^mode: (\w+)\r$/m.exec(policy)?.[1];
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('MTA-STS policy host');
  await expect(page.getByTestId('mode')).toHaveText(mode!);
  await expect(page.getByTestId('policy')).toHaveText(policy.replace(/\r\n/g, '\n').trimEnd());
  // The template's config: one domain, named; max_age in words; the id and since when it is built; no TLS-RPT
  // address or contact, since none is configured, and no promise of reports.
  await expect(page.getByTestId('domain')).toHaveText('contoso.com');
  await expect(page.getByTestId('max-age')).toHaveText('604800 seconds (7 days): how long senders keep this policy before they fetch it again');
  await expect(page.getByTestId('policy-id')).toHaveText(/^[A-Za-z0-9]{1,32}$/);
  await expect(page.getByTestId('built')).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  await expect(page.getByTestId('tlsrpt')).toHaveCount(0);
  await expect(page.getByTestId('contact')).toHaveCount(0);
  await expect(page.locator('main')).not.toContainText(/report/i);
  // The stylesheet loaded under the strict CSP (a blocked sheet would leave the default margin).
  await expect(page.locator('main')).toHaveCSS('max-width', '672px');

  const shot = await page.screenshot({ fullPage: true, path: testInfo.outputPath('home.png') });
  await testInfo.attach('home page', { body: shot, contentType: 'image/png' });
  expect(violations).toEqual([]);
  expect(foreign).toEqual([]);
});

test('the policy link serves the exact bytes as 200 text/plain with no redirect', async ({ page }) => {
  await page.goto('/');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/.well-known/mta-sts.txt')),
    page.getByRole('link', { name: '/.well-known/mta-sts.txt' }).click(),
  ]);
  expect(response.status()).toBe(200);
  expect(response.request().redirectedFrom()).toBeNull();
  expect(response.headers()['content-type']).toMatch(/^text\/plain(;|$)/);
  expect(Buffer.compare(await response.body(), await policyBytes)).toBe(0);
});

test('a sender-style fetch gets 200 and never a redirect', async ({ request }) => {
  const response = await request.get('/.well-known/mta-sts.txt', { maxRedirects: 0 });
  expect(response.status()).toBe(200);
  expect(response.headers()['cache-control']).toContain('max-age=300');
  expect(Buffer.compare(await response.body(), await policyBytes)).toBe(0);
});

test('a missing file under /.well-known is a real 404, not the page as 200 HTML', async ({ request }) => {
  const response = await request.get('/.well-known/nothing.txt', { maxRedirects: 0 });
  expect(response.status()).toBe(404);
});

test('other unknown paths fall back to the page, so people still learn what the host is', async ({ request }) => {
  const response = await request.get('/some/page', { maxRedirects: 0 });
  expect(response.status()).toBe(200);
  expect(await response.text()).toContain('MTA-STS policy host');
});

for (const path of ['/', '/.well-known/mta-sts.txt']) {
  test(`security headers are set on ${path}`, async ({ request }) => {
    const headers = (await request.get(path, { maxRedirects: 0 })).headers();
    const configured = (await swaConfig).globalHeaders;
    // Compared with our config, not with the emulator's own defaults (it adds an HSTS header of its own).
    expect(headers['strict-transport-security']).toBe(configured['Strict-Transport-Security']);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toBe(configured['Content-Security-Policy']);
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });
}

for (const view of VIEWS) {
  test(`the page has no accessibility violation at ${view.width} px, ${view.colorScheme}; looks as its snapshot`, async ({ browser }) => {
    const page = await viewTab(browser, view);
    await page.goto('/');
    await expectAccessible(page); // axe-core and no overflow (audit.ts)
    // The same page with every optional line (a TLS-RPT address, a contact), from a fixed config; those lines are
    // audited on the Function App's host pages (function-app.spec.ts), which have them too.
    await page.goto(`${SWA_SNAPSHOT_URL}/`);
    await expect(page.getByTestId('contact')).toHaveText('postmaster@contoso.com');
    await expectPicture(page, 'policy-page', view, { mask: [page.getByTestId('built')], docs: true });
  });
}
