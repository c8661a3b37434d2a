// Run by change.test.ts in a child process: promotes or retires the config named on the command line, and
// kills itself with SIGKILL at the n-th time the named step is reached, as a power cut or `kill -9` would.
import { loadConfig } from '../../src/config/config.ts';
import type { EvidenceFile } from '../../src/rollout/evidence.ts';
import { retire, writePromotion } from '../../src/rollout/rollout.ts';
import type { ChangeHook } from '../../src/rollout/change.ts';

const [kind, configPath, at, evidence] = process.argv.slice(2) as [string, string, string, string];
const [step, nth] = at.split('#') as [string, string | undefined];
let seen = 0;
const hook: ChangeHook = (reached) => {
  if (reached === step && ++seen === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
};
const loaded = await loadConfig(configPath);
if (!loaded.ok) throw new Error('the test config is invalid');
const result = kind === 'promote'
  ? await writePromotion(configPath, 'mta-sts.config.yaml', JSON.parse(evidence) as EvidenceFile, hook)
  : await retire(loaded.config, configPath, 'mta-sts.config.yaml', hook);
process.stdout.write(`finished without reaching ${at}: ${JSON.stringify(result)}\n`);
