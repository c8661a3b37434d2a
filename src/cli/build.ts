// `mta-sts build`: the config becomes home/ (policy, page, SWA config), then the records to publish.
import { resolve } from 'node:path';
import { dnsRecords, zoneFileLines } from '../site/records.ts';
import { configOption, loadConfigArg, parseOptions, type Command } from './io.ts';

export const command: Command = {
  name: 'build',
  usage: 'build [--config FILE] [--out DIR] [--check]',
  summary: 'write the site (policy, page, SWA config) to home/; --check only verifies home/ is current',
  help: [
    '  --config FILE  the config (default mta-sts.config.yaml)',
    '  --out DIR      the folder to write (default home); it must be empty, missing, or a previous build',
    '  --check        write nothing; exit 1 when DIR is stale against the config',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(args, { ...configOption, out: { type: 'string', default: 'home' }, check: { type: 'boolean' } });
    const config = await loadConfigArg(io, values.config);
    if (!config) {
      io.err(`Nothing was written; ${values.out}/ is unchanged.\n`);
      return 1;
    }
    const out = resolve(io.cwd, values.out);
    // Loaded here, not at the top: Vite is heavy and only the build needs it.
    const site = await import('../site/build.ts');
    try {
      if (values.check) {
        const stale = await site.staleFiles(config, out);
        if (stale.length > 0) {
          io.err(`${values.out}/ is stale against the config (${stale.join(', ')}): run npm run build and commit the result.\n`);
          return 1;
        }
        io.out(`${values.out}/ is up to date.\n`);
        return 0;
      }
      const changed = await site.buildSite(config, out);
      io.out(changed ? `Wrote ${values.out}/ (.well-known/mta-sts.txt, index.html, staticwebapp.config.json).\n\n` : `${values.out}/ is already up to date.\n\n`);
    } catch (e) {
      if (!(e instanceof site.SiteError)) throw e;
      io.err(`mta-sts build: ${e.message}\n`);
      return 1;
    }
    io.out(`DNS records to publish:\n${zoneFileLines(dnsRecords(config))}\n\n`);
    io.out(
      'Publish the new _mta-sts TXT id only after the new policy is live on every mta-sts host:\n' +
        'senders that see a new id fetch the policy at once, and would otherwise cache the old one (RFC 8461 §8.1).\n',
    );
    return 0;
  },
};
