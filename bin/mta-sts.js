#!/usr/bin/env node
// Runs the compiled CLI in dist/ (npm ci compiles it through the `prepare` script).
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/cli/main.js')) throw e;
  process.stderr.write('mta-sts: the compiled CLI is missing (dist/): run npm ci, or npm run compile\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2), cli.processIO());
