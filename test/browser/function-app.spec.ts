// The Function App package as `npm start` serves it without Azure Functions Core Tools (the local runner calling
// the registered handler), seen through Chromium: the page on the app's own host and the policy as senders get it;
// each mta-sts host's page names its own domain only; axe-core finds no violation on the app's own page, nor on a
// host's page (the one strangers open) at a phone's and a desk's width, in light and dark, where it looks as its
// snapshot does (its build time masked).
import { expect, test } from '@playwright/test';
import { expectAccessible, expectPicture, viewTab, VIEWS } from './audit.ts';

test('the Function App serves the page and the policy link as 200 text/plain without a redirect', async ({ page }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('MTA-STS policy host');
  await expect(page.locator('main')).toHaveCSS('max-width', '672px'); // the stylesheet came from the package too
  const [policy] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/.well-known/mta-sts.txt')),
    page.getByRole('link', { name: '/.well-known/mta-sts.txt' }).click(),
  ]);
  expect(policy.status()).toBe(200);
  expect(policy.request().redirectedFrom()).toBeNull();
  expect(policy.headers()['content-type']).toBe('text/plain; charset=utf-8');
  expect((await policy.body()).toString('ascii')).toMatch(/^version: STSv1\r\n/);
});

test('each mta-sts host gets the policy and any other host a 404', async ({ request }) => {
  for (const host of ['mta-sts.contoso.com', 'mta-sts.fabrikam.com']) {
    const response = await request.get('/.well-known/mta-sts.txt', { headers: { host }, maxRedirects: 0 });
    expect(response.status(), host).toBe(200);
    expect(response.headers()['set-cookie']).toBeUndefined();
  }
  expect((await request.get('/.well-known/mta-sts.txt', { headers: { host: 'mta-sts.example.org' } })).status()).toBe(404);
});

test('each mta-sts host\'s page names its own domain and no other; the app\'s own host names none', async ({ request }) => {
  for (const [host, other] of [['mta-sts.contoso.com', 'fabrikam.com'], ['mta-sts.fabrikam.com', 'contoso.com']] as const) {
    const text = await (await request.get('/', { headers: { host } })).text();
    expect(text, host).toContain(`data-testid="domain">${host.slice('mta-sts.'.length)}<`);
    expect(text, host).not.toContain(other);
  }
  const own = await (await request.get('/')).text();
  expect(own).not.toMatch(/contoso\.com|fabrikam\.com/);
  expect(own).toContain("mail sent to the domain in this host's name");
});

test('the app\'s own host\'s page has no accessibility violation', async ({ page }) => {
  await page.goto('/');
  await expectAccessible(page);
});

for (const view of VIEWS) {
  test(`a host's page has no accessibility violation at ${view.width} px, ${view.colorScheme}; looks as its snapshot`, async ({ browser }, testInfo) => {
    const page = await viewTab(browser, view);
    // An mta-sts host by its name (playwright.config.ts maps mta-sts.* to loopback), as a stranger opens it.
    await page.goto(`http://mta-sts.fabrikam.com:${new URL(testInfo.project.use.baseURL!).port}/`);
    await expect(page.getByTestId('domain')).toHaveText('fabrikam.com');
    await expect(page.getByTestId('tlsrpt')).toContainText('mailto:tlsrpt@reports.example.net');
    await expectAccessible(page);
    await expectPicture(page, 'policy-page-function-app', view, { mask: [page.getByTestId('built')] });
  });
}
