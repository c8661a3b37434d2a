// `mta-sts preview` (what `npm start` runs after the build): serves the configured hosting kind locally.
// static-web-app: the Static Web Apps CLI on home/. function-app: Azure Functions Core Tools (`func start`) on
// functions/ when `func` is installed, else the small runner of src/preview/function-app-runner.ts, which calls
// the same registered handler.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/file-name.ts';
import { hostingOf } from '../hosting/hosting.ts';
import { builtFolder, outputs, folderOverrides } from '../project/outputs.ts';
import { configOption, loadConfigArg, parseOptions, UsageError, type Command } from './io.ts';

export const command: Command = {
  name: 'preview',
  usage: 'preview [--config FILE] [--out DIR] [--functions-out DIR] [--host HOST] [--port N] [--runner]',
  summary: 'serve the built site (Static Web Apps CLI) or Function App (func start, else a local runner) on this machine',
  help: [
    '  --config FILE  the config (default mta-sts.config.yaml); hosting.kind chooses what is served',
    '  --out DIR      static-web-app: the built site to serve (default home)',
    '  --functions-out DIR  function-app: the built package to serve (default functions)',
    '  --host HOST    the address to listen on (default 127.0.0.1)',
    '  --port N       the port (default 4280)',
    '  --runner       function-app: use the local runner even when Azure Functions Core Tools (func) is installed',
    'Run npm run build first (npm start does both). Stop it with Ctrl-C.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(args, {
      ...configOption, out: { type: 'string' }, 'functions-out': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '4280' }, runner: { type: 'boolean' },
    });
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535 (got ${values.port})`);
    const config = await loadConfigArg(io, values.config);
    if (!config) return 1;
    const env = io.env ?? process.env;
    const configPath = resolve(io.cwd, values.config ?? DEFAULT_CONFIG_FILE);
    const overrides = folderOverrides(values);
    const served = builtFolder(outputs(configPath, config, io.cwd, overrides), hostingOf(config).deployed)!;
    if (served.role === 'site') {
      return child(join(io.cwd, 'node_modules', '.bin', 'swa'), ['start', served.display, '--swa-config-location', served.display, '--host', values.host, '--port', values.port], io.cwd);
    }
    const functions = served.path;
    const func = values.runner ? undefined : await onPath('func', env);
    if (func) {
      io.out(`Serving ${served.display}/ through Azure Functions Core Tools (${func}).\n`);
      return child(func, ['start', '--script-root', functions, '--port', values.port], io.cwd);
    }
    const { startFunctionAppRunner } = await import('../preview/function-app-runner.ts');
    const runner = await startFunctionAppRunner(functions, values.host, port);
    io.out(
      `Serving ${served.display}/ with the local runner (Azure Functions Core Tools not ${values.runner ? 'used' : 'found'}) at ${runner.url}/\n` +
        `  the policy: ${runner.url}/.well-known/mta-sts.txt\n` +
        `  as a sender asks for it: curl -H 'Host: mta-sts.${config.domains[0]}' ${runner.url}/.well-known/mta-sts.txt\n` +
        'Stop with Ctrl-C.\n',
    );
    await new Promise<void>((done) => {
      const stop = () => void runner.close().then(done);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

// Runs a server in the foreground; Ctrl-C reaches it through the terminal's process group.
function child(program: string, args: string[], cwd: string): Promise<number> {
  return new Promise((done) => {
    const proc = spawn(program, args, { cwd, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => proc.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    proc.once('error', (e) => {
      process.stderr.write(`mta-sts preview: cannot run ${program}: ${e.message}\n`);
      done(1);
    });
    proc.once('exit', (code) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      done(code ?? 0);
    });
  });
}

async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const path = join(dir, name);
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path;
  }
  return undefined;
}
