// Browser tests: Debian's Chromium (or the agent's Chrome) against both hosting kinds: the SWA CLI emulator serving
// home/, and the Function App package of test/browser/function-app.config.yaml through `mta-sts preview --runner`.
import { execFileSync } from 'node:child_process';
import { defineConfig } from '@playwright/test';
import { findBrowser } from './test/browser/find-browser.ts';

// A free port, chosen once: workers load this file again and inherit the choice through the environment.
// Never 4280 or any fixed port, so `npm start` (or a second test run) can keep running while tests run.
process.env.MTA_STS_E2E_PORT ??= execFileSync(process.execPath, [
  '-e', "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })",
], { encoding: 'utf8' }).trim();
export const E2E_PORT = Number(process.env.MTA_STS_E2E_PORT);
process.env.MTA_STS_E2E_FA_PORT ??= execFileSync(process.execPath, [
  '-e', "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })",
], { encoding: 'utf8' }).trim();
const FA_PORT = Number(process.env.MTA_STS_E2E_FA_PORT);
const FA = ['--config test/browser/function-app.config.yaml', '--out test-results/function-app/home', '--functions-out test-results/function-app/functions'].join(' ');

export default defineConfig({
  testDir: 'test/browser',
  testMatch: '*.spec.ts', // *.test.ts files here are vitest unit tests
  projects: [
    { name: 'static-web-app', testIgnore: 'function-app.spec.ts' },
    { name: 'function-app', testMatch: 'function-app.spec.ts', use: { baseURL: `http://127.0.0.1:${FA_PORT}` } },
  ],
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
  webServer: [
    {
      // The emulator serves the committed home/ — exactly what ships. --swa-config-location is required:
      // without it the emulator searches the cwd for staticwebapp.config.json and may serve with none.
      command: `node_modules/.bin/swa start home --swa-config-location home --host 127.0.0.1 --port ${E2E_PORT}`,
      url: `http://127.0.0.1:${E2E_PORT}/.well-known/mta-sts.txt`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // The Function App kind as `npm start` serves it when Azure Functions Core Tools is not installed.
      command: `node bin/mta-sts.js build ${FA} && node bin/mta-sts.js preview ${FA} --runner --host 127.0.0.1 --port ${FA_PORT}`,
      url: `http://127.0.0.1:${FA_PORT}/.well-known/mta-sts.txt`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
