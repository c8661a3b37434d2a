import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Node's compile cache for every process the tests start that inherits this environment (the workers, the CLI
// processes, the crash children): each loads the Azure SDKs, Vite and the config code, and compiles them again
// otherwise. In node_modules/.cache, like other tools' caches: never in the user's temp folder, gone with npm ci.
process.env.NODE_COMPILE_CACHE ??= fileURLToPath(new URL('node_modules/.cache/node-compile-cache', import.meta.url));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/compile.ts'],
    // Tests start real servers and child processes; a hang must fail, not stall CI.
    testTimeout: 30_000,
    // Most tests wait on servers and child processes, not the CPU: on a 2-core machine vitest's default (cores - 1)
    // runs one file at a time. Four at once keep both cores busy.
    maxWorkers: 4,
    // Files share their worker's module cache instead of loading the Azure SDKs, Vite and the checker again for each
    // file: two fifths of the suite's CPU. Each file still sets up its own servers and state in its own hooks, and
    // no test file mocks modules or changes process-wide state without restoring it.
    isolate: false,
    hookTimeout: 60_000,
    // JUnit always, so the pipelines publish results from plain `npm test` (browser tests: playwright.config.ts).
    reporters: ['default', 'junit'],
    outputFile: { junit: 'test-results/vitest.xml' },
  },
});
