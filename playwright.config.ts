// Browser tests: Debian's Chromium (or the agent's Chrome) against both hosting kinds: the SWA CLI emulator serving
// home/ (and a build of test/browser/static-web-app.config.yaml, whose page the visual snapshots keep), and the
// Function App package of test/browser/function-app.config.yaml through `mta-sts preview --runner`.
// Visual snapshots (toHaveScreenshot) live in test/browser/snapshots/; `npx playwright test --update-snapshots`
// rewrites them after a change to a page is meant.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import { findBrowser } from './test/browser/find-browser.ts';

// Free ports, chosen once: workers load this file again and inherit the choice through the environment.
// Never 4280 or any fixed port, so `npm start` (or a second test run) can keep running while tests run.
function freePort(variable: string): number {
  process.env[variable] ??= execFileSync(process.execPath, [
    '-e', "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })",
  ], { encoding: 'utf8' }).trim();
  return Number(process.env[variable]);
}
export const E2E_PORT = freePort('MTA_STS_E2E_PORT');
const FA_PORT = freePort('MTA_STS_E2E_FA_PORT');
const FA = ['--config test/browser/function-app.config.yaml', '--out test-results/function-app/home', '--functions-out test-results/function-app/functions'].join(' ');
const SWA_PORT = freePort('MTA_STS_E2E_SWA_PORT');
/** The Static Web App of a fixed config (not the user's home/), for the policy page's visual snapshots. */
export const SWA_SNAPSHOT_URL = `http://127.0.0.1:${SWA_PORT}`;
/** The pictures' fonts: fonts-dejavu-core's (test/browser/fonts.conf), whatever else this machine has. */
const FONTS = fileURLToPath(new URL('./test/browser/fonts.conf', import.meta.url));
if (!existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf')) {
  throw new Error('The browser tests draw their pages with the DejaVu fonts: install them with `sudo apt-get install -y fonts-dejavu-core`.');
}

// Each server is ready at the first of its URL answering and its line saying it listens: Playwright starts them one
// after another and asks the URL only every second after the first, so the line saves up to a second each.
/** The SWA CLI emulator's line once it listens (src/msha/server.ts: "this string must not change", VS Code reads it). */
const SWA_STARTED = /Azure Static Web Apps emulator started at /;

export default defineConfig({
  testDir: 'test/browser',
  testMatch: '*.spec.ts', // *.test.ts files here are vitest unit tests
  projects: [
    { name: 'static-web-app', testIgnore: 'function-app.spec.ts' },
    { name: 'function-app', testMatch: 'function-app.spec.ts', use: { baseURL: `http://127.0.0.1:${FA_PORT}` } },
  ],
  outputDir: 'test-results/browser',
  // One file per page and view, beside the tests, reviewable in a pull request; no platform suffix: the only
  // platform is Debian's Chromium with the fonts of test/browser/fonts.conf.
  snapshotPathTemplate: '{testDir}/snapshots/{testFileName}/{arg}{ext}',
  expect: {
    toHaveScreenshot: {
      // The same Debian machine renders the same pixels: 0 beyond the colour tolerance between runs, as root and as
      // another user in another time zone and language. The colour tolerance (YIQ, 0-1) of 0.05 still flags a bar's
      // orange changed from #c24e00 to #d55e00 (2988 pixels); 8 pixels in all still flags a missing failure bar
      // (2478) or a one-digit label moved 2 px (18).
      threshold: 0.05,
      maxDiffPixels: 8,
      animations: 'disabled',
      caret: 'hide',
      scale: 'css',
    },
  },
  timeout: 90_000, // an axe audit and a full-page picture take 10-30 s on a busy 2-core machine
  retries: 0,
  workers: 1,
  reporter: [['list'], ['junit', { outputFile: 'test-results/browser.xml' }]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    browserName: 'chromium',
    headless: true,
    // Nothing a page shows may depend on the machine's clock zone or language.
    timezoneId: 'UTC',
    locale: 'en-US',
    launchOptions: {
      executablePath: findBrowser(),
      // The Function App's mta-sts hosts resolve to its loopback port, so each host's page is opened by its name.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--host-resolver-rules=MAP mta-sts.* 127.0.0.1', '--font-render-hinting=none', '--force-color-profile=srgb'],
      // Fixed fonts and rendering, whatever fonts this machine has (test/browser/fonts.conf).
      env: { ...process.env, FONTCONFIG_FILE: FONTS },
    },
  },
  webServer: [
    {
      // The emulator serves the committed home/ — exactly what ships. --swa-config-location is required:
      // without it the emulator searches the cwd for staticwebapp.config.json and may serve with none.
      command: `node_modules/.bin/swa start home --swa-config-location home --host 127.0.0.1 --port ${E2E_PORT}`,
      url: `http://127.0.0.1:${E2E_PORT}/.well-known/mta-sts.txt`,
      wait: { stdout: SWA_STARTED },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // A fixed config's site (one domain, a TLS-RPT address and a contact), for the visual snapshots: the user's
      // own home/ changes with their config, this does not.
      command: `node bin/mta-sts.js build --config test/browser/static-web-app.config.yaml --out test-results/static-web-app/home && ` +
        `node_modules/.bin/swa start test-results/static-web-app/home --swa-config-location test-results/static-web-app/home --host 127.0.0.1 --port ${SWA_PORT}`,
      url: `${SWA_SNAPSHOT_URL}/.well-known/mta-sts.txt`,
      wait: { stdout: SWA_STARTED },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // The Function App kind as `npm start` serves it when Azure Functions Core Tools is not installed.
      command: `node bin/mta-sts.js build ${FA} && node bin/mta-sts.js preview ${FA} --runner --host 127.0.0.1 --port ${FA_PORT}`,
      url: `http://127.0.0.1:${FA_PORT}/.well-known/mta-sts.txt`,
      wait: { stdout: / with the local runner / }, // src/cli/preview.ts, once the runner listens
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
