#!/usr/bin/env node
// Runs the compiled CLI in dist/ (npm ci compiles it through the `prepare` script).
import { enableCompileCache } from 'node:module';

// Each pipeline step starts the CLI afresh: Node's compile cache (in the temp folder, or NODE_COMPILE_CACHE) spares
// the later steps compiling the Azure SDKs again. Where the folder cannot be written, Node runs without it.
enableCompileCache();
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/cli/main.js')) throw e;
  process.stderr.write('mta-sts: the compiled CLI is missing (dist/): run npm ci, or npm run compile\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2), cli.processIO());
