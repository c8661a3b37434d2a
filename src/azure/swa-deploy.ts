// A Static Web App's content through the SWA CLI's `swa deploy` (the template's own dependency), run as a child
// process. The CLI fetches its StaticSitesClient binary (release metadata at https://aka.ms/swalocaldeploy) into
// ~/.swa/deploy and runs it with the token in its environment (Azure/static-web-apps-cli, "swa deploy":
// SWA_CLI_DEPLOYMENT_TOKEN); the binary uploads the folder. The token goes to the child in its environment only,
// never on its command line, where other users of the machine could read it (ps).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { printable } from '../printable.ts';
import type { SwaDeployment } from './deploy.ts';

/** How long one deploy may take, its download of StaticSitesClient included. */
const DEPLOY_TIMEOUT_MS = 15 * 60_000;

/** The SWA CLI of the template's node_modules, run by this Node (`npx swa` would also find a global one). */
export function swaCli(): string[] {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('@azure/static-web-apps-cli/package.json');
  } catch {
    throw new Error('the SWA CLI (@azure/static-web-apps-cli, a development dependency of the template) is not installed: run npm ci (not --omit=dev) in the project, then run the same command again');
  }
  return [process.execPath, join(dirname(pkg), 'dist/cli/bin.js')];
}

// The CLI colours and animates its lines; what reaches the user is plain text, one line at a time.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function swaDeploy(command: readonly string[] = swaCli()): (d: SwaDeployment) => Promise<void> {
  return (d) => new Promise<void>((resolve, reject) => {
    // --env production: the CLI's default is a preview environment. The config of the deployed folder is its own
    // staticwebapp.config.json (the CLI would otherwise search the working folder and pick another).
    const args = [...command.slice(1), 'deploy', d.folder, '--env', 'production', '--swa-config-location', d.folder, '--no-use-keychain'];
    let child;
    try {
      child = spawn(command[0]!, args, {
        cwd: d.cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: DEPLOY_TIMEOUT_MS, killSignal: 'SIGKILL',
        env: { ...d.env, SWA_CLI_DEPLOYMENT_TOKEN: d.token, SWA_CLI_CAPTURE_TELEMETRY: 'false', CI: '1', NO_COLOR: '1' },
      });
    } catch (e) {
      return reject(new Error(`cannot run swa deploy: ${(e as Error).message}`));
    }
    let last = '';
    const each = (chunk: Buffer) => {
      for (const raw of chunk.toString('utf8').split(/\r?\n|\r/)) {
        // Nothing the CLI prints may carry the token on, even should it echo it.
        const text = printable(raw.replace(ANSI, '').split(d.token).join('<token>')).trim();
        if (text) {
          last = text;
          d.onLine(text);
        }
      }
    };
    child.stdout.on('data', each);
    child.stderr.on('data', each);
    child.on('error', (e) => {
      reject(new Error(`cannot run swa deploy: ${printable(e.message)} (run npm ci in the project first)`));
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`swa deploy ${signal ? `was stopped (${signal})` : `exited with code ${code}`}${last ? `: ${last}` : ''}`));
    });
  });
}
