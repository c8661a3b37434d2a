// Browser tests: Debian's Chromium (or the agent's Chrome) against the SWA CLI emulator serving home/.
import { defineConfig } from '@playwright/test';
import { findBrowser } from './test/browser/find-browser.ts';

export const E2E_PORT = 4281; // not 4280, so `npm start` can keep running while tests run

export default defineConfig({
  testDir: 'test/browser',
  testMatch: '*.spec.ts', // *.test.ts files here are vitest unit tests
  outputDir: 'test-results/browser',
  timeout: 30_000,
  retries: 0,
  workers: 1,
  reporter: [['list'], ['junit', { outputFile: 'test-results/browser.xml' }]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: findBrowser(),
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
    },
  },
  webServer: {
    // The emulator serves the committed home/ — exactly what ships. --swa-config-location is required:
    // without it the emulator searches the cwd for staticwebapp.config.json and may serve with none.
    command: `node_modules/.bin/swa start home --swa-config-location home --host 127.0.0.1 --port ${E2E_PORT}`,
    url: `http://127.0.0.1:${E2E_PORT}/.well-known/mta-sts.txt`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
