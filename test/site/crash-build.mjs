// Run by swap.test.ts in a child process: builds, and kills itself with SIGKILL at the step named on
// the command line, as a power cut or `kill -9` would (no cleanup code runs). Plain JavaScript on the compiled
// dist/ (the tests' global setup compiles it), so each child starts fast.
const { buildSite } = await import('../../dist/site/build.js');

const [out, step, config] = process.argv.slice(2);
await buildSite(JSON.parse(config), out, undefined, (at) => {
  if (at === step) process.kill(process.pid, 'SIGKILL');
});
process.stdout.write(`finished without reaching ${step}\n`);
