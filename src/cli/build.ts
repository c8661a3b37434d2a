// `mta-sts build`: the config becomes home/ (policy, page, SWA config) and, with hosting.kind function-app, the
// Function App package functions/; then the records to publish.
import { resolve } from 'node:path';
import { dnsRecords, zoneFileLines } from '../site/records.ts';
import { configOption, loadConfigArg, parseOptions, type Command } from './io.ts';

export const command: Command = {
  name: 'build',
  usage: 'build [--config FILE] [--out DIR] [--functions-out DIR] [--check]',
  summary: 'write the site (policy, page, SWA config) to home/ and, for a Function App, its package to functions/; --check only verifies they are current',
  help: [
    '  --config FILE  the config (default mta-sts.config.yaml)',
    '  --out DIR      the folder to write (default home); it must be empty, missing, or a previous build',
    '  --functions-out DIR  hosting.kind function-app: the package folder to write (default functions), same rules',
    '  --check        write nothing; exit 1 when DIR is stale against the config',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(args, {
      ...configOption, out: { type: 'string', default: 'home' }, 'functions-out': { type: 'string', default: 'functions' }, check: { type: 'boolean' },
    });
    const config = await loadConfigArg(io, values.config);
    if (!config) {
      io.err(`Nothing was written; ${values.out}/ is unchanged.\n`);
      return 1;
    }
    const out = resolve(io.cwd, values.out);
    // Loaded here, not at the top: Vite is heavy and only the build needs it.
    const site = await import('../site/build.ts');
    const functionApp = config.hosting.kind === 'function-app' ? await import('../site/function-app.ts') : undefined;
    const functionsName = values['functions-out'];
    const functionsOut = resolve(io.cwd, functionsName);
    try {
      if (values.check) {
        let stale = false;
        const report = (name: string, files: string[]) => {
          if (files.length === 0) return io.out(`${name}/ is up to date.\n`);
          stale = true;
          io.err(`${name}/ is stale against the config (${files.join(', ')}): run npm run build and commit the result.\n`);
        };
        report(values.out, await site.staleFiles(config, out));
        if (functionApp) report(functionsName, await functionApp.staleFunctionApp(config, functionsOut));
        return stale ? 1 : 0;
      }
      const changed = await site.buildSite(config, out);
      io.out(changed ? `Wrote ${values.out}/ (.well-known/mta-sts.txt, index.html, staticwebapp.config.json).\n` : `${values.out}/ is already up to date.\n`);
      if (functionApp) {
        const wrote = await functionApp.buildFunctionApp(config, functionsOut);
        io.out(wrote ? `Wrote ${functionsName}/ (host.json, package.json, src/: the Function App package; commit it).\n` : `${functionsName}/ is already up to date.\n`);
      }
      io.out('\n');
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
