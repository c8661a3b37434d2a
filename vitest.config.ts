import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/compile.ts'],
    // Tests start real servers and child processes; a hang must fail, not stall CI.
    testTimeout: 30_000,
    // Most tests wait on servers and child processes, not the CPU: on a 2-core machine vitest's default (cores - 1)
    // runs one file at a time. Four at once keep both cores busy.
    maxWorkers: 4,
    hookTimeout: 60_000,
    // JUnit always, so the pipelines publish results from plain `npm test` (browser tests: playwright.config.ts).
    reporters: ['default', 'junit'],
    outputFile: { junit: 'test-results/vitest.xml' },
  },
});
