// The accessibility audit every page gets, as a person meets it: axe-core's WCAG 2.1 A/AA and best-practice rules
// with no violation, and nothing wider than the screen (wide tables and charts scroll inside their own box).
// And the page's picture: compared with its snapshot (playwright.config.ts), and written to docs/ on request.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Browser, type Locator, type Page } from '@playwright/test';

// axe-core's minified build, from the axe-core that @axe-core/playwright itself loads: the same rules in 650 KB
// rather than 1.5 MB. Each audit sends it to the page twice, and sending the full build took ~0.5 s per audit.
const axeSource = readFileSync(createRequire(createRequire(import.meta.url).resolve('@axe-core/playwright')).resolve('axe-core/axe.min.js'), 'utf8');

export async function expectAccessible(page: Page): Promise<void> {
  // The same rules in about half the time: full details for violations only (resultTypes), and axe.run in the
  // page itself (legacy mode) rather than runPartial there and finishRun in a second, blank tab. Legacy mode only
  // differs for cross-origin frames, and no page of ours has a frame (their CSP allows none).
  const audit = await new AxeBuilder({ page, axeSource }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .options({ resultTypes: ['violations'] }).setLegacyMode().analyze();
  expect(audit.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

export interface View { width: number; colorScheme: 'light' | 'dark' }

/** The views every page is audited in: a phone's width and a desk's, each light and dark. */
export const VIEWS: readonly View[] = [400, 1280].flatMap((width) => (['light', 'dark'] as const).map((colorScheme) => ({ width, colorScheme })));

/** Opens a view: the window's width (900 px high) and the colour scheme the page is asked for. */
async function useView(page: Page, { width, colorScheme }: View): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  await page.emulateMedia({ colorScheme });
}

let tab: Page | undefined;

/**
 * The browser tab every view test of a worker shares, set to the test's view; each test then opens its page anew.
 * axe-core's first audit in a new tab costs about 1.7 s more than the next ones (its code compiled afresh), so a
 * tab per test would pay that each time. A failed test restarts the worker, so the tests after it get a new tab;
 * the worker's browser closes it at the end.
 */
export async function viewTab(browser: Browser, view: View): Promise<Page> {
  tab ??= await browser.newPage(); // with the config's `use` options, as the page fixture's
  await useView(tab, view);
  return tab;
}

/**
 * The page as this view shows it (the whole page, or with `firstScreen` what shows before any scrolling),
 * compared with test/browser/snapshots/<spec>/<name>-<width>-<scheme>.png (`npx playwright test
 * --update-snapshots` rewrites them). `mask` covers what differs run to run (a build time): a box of the same size,
 * so a moved or resized element still shows. With MTA_STS_WRITE_DOCS=1 the desk-width light view is also
 * docs/<name>.png, the README's picture.
 */
export async function expectPicture(page: Page, name: string, view: View, options: { mask?: Locator[]; firstScreen?: boolean; docs?: boolean } = {}): Promise<void> {
  const fullPage = !options.firstScreen;
  await expect(page).toHaveScreenshot(`${name}-${view.width}-${view.colorScheme}.png`, { fullPage, mask: options.mask ?? [], timeout: 30_000 }); // two equal pictures in a row: slow on a busy machine
  if (process.env.MTA_STS_WRITE_DOCS === '1' && options.docs && view.width === 1280 && view.colorScheme === 'light') {
    await mkdir('docs', { recursive: true });
    await page.screenshot({ path: `docs/${name}.png`, fullPage });
  }
}
