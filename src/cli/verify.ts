// `mta-sts verify`: everything a push can break, checked in a few seconds with nothing but Node and the runtime
// dependencies (the pipelines' Build stage runs it after `npm ci --omit=dev`): the config, every error at once;
// home/ (and, for a Function App, functions/) against a fresh build; the built policy through lint's parser;
// staticwebapp.config.json as the site needs it. Inside Azure Pipelines or GitHub Actions each problem is also an
// error on the run's summary page.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { annotation, ciFormat } from '../ci/annotations.ts';
import { DEFAULT_CONFIG_FILE } from '../config/file-name.ts';
import { formatDiagnostic as formatPolicyDiagnostic } from '../rfc/diagnostic.ts';
import { POLICY_PATH, parsePolicy } from '../rfc/policy.ts';
import { swaConfigProblems } from '../site/swa-config.ts';
import { printable } from '../printable.ts';
import { displayPath, folderPath, outputs, folderOverrides } from '../project/outputs.ts';
import { configOption, parseOptions, type Command } from './io.ts';

export const command: Command = {
  name: 'verify',
  usage: 'verify [--config FILE] [--out DIR] [--functions-out DIR]',
  summary: 'check what a push can break: the config, home/ against a fresh build, the built policy, staticwebapp.config.json',
  help: [
    '  --config FILE        the config (default mta-sts.config.yaml)',
    '  --out DIR            the built folder to verify (default home)',
    '  --functions-out DIR  hosting.kind function-app: the Function App package to verify (default functions)',
    'Needs no browser, no system package and no dev dependency; exit 0 when all is in order, 1 otherwise.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(args, { ...configOption, out: { type: 'string' }, 'functions-out': { type: 'string' } });
    const overrides = folderOverrides(values);
    const ci = ciFormat(io.env ?? process.env);
    let problems = 0;
    const ok = (text: string): void => io.out(`ok     ${text}\n`);
    const fail = (file: string, message: string): void => {
      problems++;
      io.out(`error  ${file}: ${message}\n`);
      if (ci) io.out(`${annotation(ci, 'error', file, message)}\n`);
    };

    // 1. The config: every diagnostic, with its position.
    const display = values.config ?? DEFAULT_CONFIG_FILE;
    const { formatDiagnostic, loadConfig } = await import('../config/config.ts');
    const loaded = await loadConfig(resolve(io.cwd, display), display);
    for (const w of loaded.warnings) io.err(`${formatDiagnostic(w, 'warning')}\n`);
    if (loaded.ok) {
      ok(`${display}: valid (${loaded.config.domains.length} domain(s), mode ${loaded.config.policy.mode})`);
    } else {
      for (const e of loaded.errors) {
        problems++;
        io.out(`error  ${formatDiagnostic(e)}\n`);
        if (ci) io.out(`${annotation(ci, 'error', undefined, formatDiagnostic(e))}\n`);
      }
    }

    // 2. Every folder the kind builds (home/, and a Function App's functions/) is what the config builds
    // (Vite is loaded only now).
    const configPath = resolve(io.cwd, display);
    const home = displayPath(io.cwd, folderPath(configPath, 'site', io.cwd, overrides));
    if (loaded.ok) {
      const { FOLDER_BUILDERS, SiteError } = await import('../site/folders.ts');
      for (const folder of outputs(configPath, loaded.config, io.cwd, overrides).folders) {
        const name = `${folder.display}/`;
        try {
          const stale = await FOLDER_BUILDERS[folder.role].stale(loaded.config, folder.path);
          if (stale.length === 0) ok(`${name} is ${FOLDER_BUILDERS[folder.role].fresh} of ${display}`);
          else fail(name, `stale against ${display} (${stale.map(printable).join(', ')}): run npm run build and commit the result`);
        } catch (e) {
          if (!(e instanceof SiteError)) throw e;
          fail(name, e.message);
        }
      }
    }

    // 3. The policy that deploys, through lint's parser (RFC 8461 §3.2).
    const policyFile = join(home, POLICY_PATH);
    const policy = await readText(resolve(io.cwd, policyFile));
    if (typeof policy !== 'string') {
      fail(policyFile, `cannot read it (${policy.code}): run npm run build and commit ${home}/`);
    } else {
      const parsed = parsePolicy(policy);
      for (const d of parsed.errors) fail(policyFile, formatPolicyDiagnostic(d, { withCode: true }));
      if (parsed.ok) ok(`${policyFile}: valid MTA-STS policy (mode ${parsed.policy?.mode})`);
    }

    // 4. The SWA config that deploys with it.
    const swaFile = join(home, 'staticwebapp.config.json');
    const swa = await readText(resolve(io.cwd, swaFile));
    if (typeof swa !== 'string') {
      fail(swaFile, `cannot read it (${swa.code}): run npm run build and commit ${home}/`);
    } else {
      const found = swaConfigProblems(swa);
      for (const p of found) fail(swaFile, p);
      if (found.length === 0) ok(`${swaFile}: serves ${POLICY_PATH} as text/plain, never redirected`);
    }

    io.out(problems === 0 ? 'Ready to deploy.\n' : `${problems} problem(s): nothing should be deployed until they are fixed.\n`);
    return problems === 0 ? 0 : 1;
  },
};

async function readText(path: string): Promise<string | { code: string }> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    return { code: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}
