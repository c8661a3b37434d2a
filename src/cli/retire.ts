// `mta-sts retire`: withdraw MTA-STS the way RFC 8461 §8.3 says: publish mode none with a short max_age, and
// remove the records only once senders' cached copies of the old policy have expired.
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/config.ts';
import { displayPath, foldersPhrase, outputs } from '../project/outputs.ts';
import { humanDuration, retire } from '../rollout/rollout.ts';
import { printable } from '../printable.ts';
import { configOption, loadConfigArg, parseOptions, type Command } from './io.ts';

export const command: Command = {
  name: 'retire',
  usage: 'retire [--config FILE]',
  summary: 'withdraw MTA-STS: mode none with max_age 1d, home/ (and functions/) rebuilt, and when the records may go (RFC 8461 §8.3)',
  help: [
    `  --config FILE  the config (default ${DEFAULT_CONFIG_FILE}); comments and layout are kept`,
    'Exit codes: 0 done, 1 the config is invalid or cannot be written, 2 usage.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(args, configOption);
    const display = values.config ?? DEFAULT_CONFIG_FILE;
    const config = await loadConfigArg(io, values.config);
    if (!config) return 1;
    const result = await retire(config, resolve(io.cwd, display), display);
    if (typeof result === 'string') {
      io.err(`mta-sts retire: ${printable(result)}\n`);
      return 1;
    }
    const old = humanDuration(result.oldMaxAge);
    const where = outputs(display, config, io.cwd);
    const built = foldersPhrase(where);
    const evidence = displayPath(io.cwd, where.evidence);
    io.out(
      `${display} now says mode: none with max_age: 1d; ${built.list} ${built.verb} rebuilt; ${evidence}, if there was one, is removed.\n\n` +
      (result.wasMode === 'none' ? `The policy was already mode none; its max_age was ${old}.\n\n` : '') +
      'Next (RFC 8461 §8.3):\n' +
      `  1. Commit ${display}, ${built.names.join(', ')} (and the removal of ${evidence}) and push: the pipeline publishes the none policy, then the new _mta-sts id,\n` +
      '     so senders fetch it and drop the old policy.\n' +
      `  2. Keep the _mta-sts TXT record, the mta-sts.<domain> host and the policy for the old max_age, ${old}\n` +
      `     (${result.oldMaxAge} s) after that deploy: senders may still hold the old policy until then.\n` +
      '  3. Then remove the _mta-sts TXT record (and, when you are done with reporting, _smtp._tls), and the app.\n',
    );
    return 0;
  },
};
