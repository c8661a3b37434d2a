// `mta-sts build`: the config becomes the folders its hosting kind deploys (src/project/outputs.ts): home/
// (policy, page, SWA config) and, with hosting.kind function-app, the Function App package functions/; then
// the records to publish.
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/file-name.ts';
import { displayPath, folderPath, outputs, folderOverrides } from '../project/outputs.ts';
import { dnsRecords, zoneFileLines } from '../site/records.ts';
import { printable } from '../printable.ts';
import { configOption, loadConfigArg, parseOptions, type Command, type CommandIO } from './io.ts';

export const command: Command = {
  name: 'build',
  usage: 'build [--config FILE] [--out DIR] [--functions-out DIR] [--check]',
  summary: 'write the site (policy, page, SWA config) to home/ and, for a Function App, its package to functions/; --check only verifies they are current',
  help: [
    '  --config FILE  the config (default mta-sts.config.yaml); home/ and functions/ go beside it',
    '  --out DIR      the folder to write instead of home/ beside the config; it must be empty, missing, or a previous build',
    '  --functions-out DIR  hosting.kind function-app: the package folder to write instead of functions/ beside the config, same rules',
    '  --check        write nothing; exit 1 when a folder is stale against the config',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(args, { ...configOption, out: { type: 'string' }, 'functions-out': { type: 'string' }, check: { type: 'boolean' } });
    const configPath = resolve(io.cwd, values.config ?? DEFAULT_CONFIG_FILE);
    if (values.check) return build(io, values, configPath);
    // The config is read and the folders written under the project's lock, so a promote or retire cannot
    // change the config between this build's read and its swap (src/files/change.ts).
    const { ChangeError, lockProject } = await import('../files/change.ts');
    let lock;
    try {
      lock = await lockProject(configPath, 'build');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return build(io, values, configPath); // no such folder: the config load says so
      if (!(e instanceof ChangeError)) throw e;
      io.err(`mta-sts build: ${printable(e.message)}\nNothing was written.\n`);
      return 1;
    }
    try {
      return await build(io, values, configPath);
    } finally {
      await lock.release();
    }
  },
};

async function build(io: CommandIO, values: { config?: string; out?: string; 'functions-out'?: string; check?: boolean }, configPath: string): Promise<number> {
  {
    const overrides = folderOverrides(values);
    const config = await loadConfigArg(io, values.config);
    if (!config) {
      io.err(`Nothing was written; ${displayPath(io.cwd, folderPath(configPath, 'site', io.cwd, overrides))}/ is unchanged.\n`);
      return 1;
    }
    const folders = outputs(configPath, config, io.cwd, overrides).folders;
    // Loaded here, not at the top: Vite is heavy and only the build needs it.
    const { FOLDER_BUILDERS, SiteError } = await import('../site/folders.ts');
    try {
      if (values.check) {
        let stale = false;
        for (const folder of folders) {
          const files = await FOLDER_BUILDERS[folder.role].stale(config, folder.path);
          if (files.length === 0) {
            io.out(`${folder.display}/ is up to date.\n`);
          } else {
            stale = true;
            io.err(`${folder.display}/ is stale against the config (${files.join(', ')}): run npm run build and commit the result.\n`);
          }
        }
        return stale ? 1 : 0;
      }
      for (const folder of folders) {
        const builder = FOLDER_BUILDERS[folder.role];
        const changed = await builder.build(config, folder.path);
        io.out(changed ? `Wrote ${folder.display}/ (${builder.contents}).\n` : `${folder.display}/ is already up to date.\n`);
      }
      io.out('\n');
    } catch (e) {
      if (!(e instanceof SiteError)) throw e;
      io.err(`mta-sts build: ${e.message}\n`);
      return 1;
    }
    io.out(`DNS records to publish:\n${zoneFileLines(dnsRecords(config))}\n\n`);
    io.out(
      'Publish the new _mta-sts TXT id only after the new policy is live on every mta-sts host:\n' +
        'senders that see a new id fetch the policy at once, and would otherwise cache the old one (RFC 8461 §8.1).\n',
    );
    return 0;
  }
}
