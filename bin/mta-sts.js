#!/usr/bin/env node
// Runs the TypeScript CLI directly, so the template has no compile step to forget.
import { register } from 'tsx/esm/api';

register();
const { main, processIO } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), processIO());
