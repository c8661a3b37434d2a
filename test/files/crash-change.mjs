// Run by change.test.ts in a child process: promotes or retires the config named on the command line, and
// kills itself with SIGKILL at the n-th time the named step is reached, as a power cut or `kill -9` would.
// Plain JavaScript on the compiled dist/ (the tests' global setup compiles it): a child starts in a fraction of
// the time a TypeScript loader takes, and there are two dozen of them.
const { loadConfig } = await import('../../dist/config/config.js');
const { retire, writePromotion } = await import('../../dist/rollout/rollout.js');

const [kind, configPath, at, evidence] = process.argv.slice(2);
const [step, nth] = at.split('#');
let seen = 0;
const hook = (reached) => {
  if (reached === step && ++seen === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
};
const loaded = await loadConfig(configPath);
if (!loaded.ok) throw new Error('the test config is invalid');
const result = kind === 'promote'
  ? await writePromotion(configPath, 'mta-sts.config.yaml', JSON.parse(evidence), hook)
  : await retire(loaded.config, configPath, 'mta-sts.config.yaml', hook);
process.stdout.write(`finished without reaching ${at}: ${JSON.stringify(result)}\n`);
