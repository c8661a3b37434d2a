// `mta-sts hosting`: what serves the policy, as the config says (hosting.kind and the app). The pipelines' Deploy
// stage runs it to stop a deployment of the wrong kind (azure-pipelines.yml chooses its steps from its own
// hostingKind variable when the YAML is compiled, before any file is read) and to pass the app name to the
// deploy task: in Azure Pipelines as the variable hostingApp, in GitHub Actions as the step output app.
import { appendFile } from 'node:fs/promises';
import { annotation, ciFormat, setVariable } from '../ci/annotations.ts';
import { HOSTING_KINDS, hostingOf } from '../hosting/hosting.ts';
import { configOption, loadConfigArg, parseOptions, UsageError, type Command } from './io.ts';

const KINDS: readonly string[] = HOSTING_KINDS;

export const command: Command = {
  name: 'hosting',
  usage: 'hosting [--config FILE] [--expect-kind KIND]',
  summary: 'print hosting.kind and the app of the config; --expect-kind fails when the pipeline was set up for another kind',
  help: [
    '  --config FILE       the config (default mta-sts.config.yaml)',
    '  --expect-kind KIND  static-web-app or function-app: exit 1 unless hosting.kind is KIND (and, for function-app, hosting.app is set)',
    'In Azure Pipelines it also sets the variable hostingApp; in GitHub Actions the step outputs app and resource_group.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(args, { ...configOption, 'expect-kind': { type: 'string' } });
    const expected = values['expect-kind'];
    if (expected !== undefined && !KINDS.includes(expected)) throw new UsageError(`--expect-kind must be one of ${KINDS.join(', ')} (got ${expected})`);
    const config = await loadConfigArg(io, values.config);
    if (!config) return 1;
    const file = values.config ?? 'mta-sts.config.yaml';
    const env = io.env ?? process.env;
    const ci = ciFormat(env);
    const { kind, app, resource_group: resourceGroup } = config.hosting;
    io.out(`kind: ${kind}\napp: ${app ?? '(not set)'}\n`);
    const problem = expected && kind !== expected
      ? `the pipeline is set up for hosting kind ${expected} but ${file} says hosting.kind: ${kind}; set hostingKind: ${kind} at the top of azure-pipelines.yml (or hosting.kind: ${expected} in ${file}) so both name the app that serves the policy`
      : expected && hostingOf(config).deployNeedsApp && !app
        ? `hosting.app is not set in ${file}: the ${hostingOf(config).name} to deploy to must be named there (docs/function-app.md: "Function App quick setup")`
        : undefined;
    if (problem) {
      io.out(ci ? `${annotation(ci, 'error', undefined, `Not deployed: ${problem}`)}\n` : '');
      io.err(`mta-sts hosting: ${problem}\n`);
      return 1;
    }
    if (app && ci === 'azure') io.out(`${setVariable('hostingApp', app)}\n`);
    // The resource group too: the workflow deploys a Function App with az (zip deploy), which names both.
    if (ci === 'github' && env.GITHUB_OUTPUT) await appendFile(env.GITHUB_OUTPUT, `kind=${kind}\n${app ? `app=${app}\n` : ''}${resourceGroup ? `resource_group=${resourceGroup}\n` : ''}`);
    return 0;
  },
};
