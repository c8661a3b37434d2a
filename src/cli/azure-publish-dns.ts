// `mta-sts azure publish-dns`: options and settings only; the work is in src/azure/publish-dns.ts.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/file-name.ts';
import { POLICY_PATH } from '../rfc/policy.ts';
import { displayPath, folderPath } from '../project/outputs.ts';
import { Reporter } from '../azure/annotations.ts';
import { ciFormat } from '../ci/annotations.ts';
import { AZURE_HELP, armEndpoint, azureOptions, azureSetting, azureSettings, webIO, type AzureCommandDeps } from './azure-options.ts';
import { networkSettings } from './network.ts';
import { loadConfigArg, numberOption, parseOptions, UsageError, type Command, type CommandIO } from './io.ts';

const options = {
  ...azureOptions,
  out: { type: 'string' },
  home: { type: 'string' },
  'wait-seconds': { type: 'string' },
  'poll-seconds': { type: 'string' },
  'print-only': { type: 'boolean' },
} as const;

/** The command with the cloud injectable (tests); `command` below is the production one. */
export function azurePublishDnsCommand(deps: AzureCommandDeps = {}): Command {
  return {
    name: 'azure publish-dns',
    usage: 'azure publish-dns [--config FILE] [--out DIR] [--app NAME] [--resource-group RG] [--subscription ID] [--dns-resource-group RG] [--cloud NAME] [--arm-endpoint URL] [--dns-server HOST:PORT] [--wait-seconds S] [--poll-seconds S] [--print-only]',
    summary: 'wait until every mta-sts host serves the built policy, then publish the TXT records (Azure DNS) or print them',
    help: [
      '  --out DIR                 the built site whose policy must be live (default home; --home is the same)',
      AZURE_HELP,
      '  --wait-seconds S          how long to wait for each domain\'s policy (default 600)',
      '  --poll-seconds S          pause between fetches of a domain not live yet (default 10)',
      '  --print-only              never write Azure DNS (no Azure login needed): print every record, and what the live DNS has',
    ].join('\n'),
    run: (args, io) => run(args, io, deps),
  };
}

export const command = azurePublishDnsCommand();

async function run(args: string[], io: CommandIO, deps: AzureCommandDeps): Promise<number> {
  const { values } = parseOptions(args, options);
  const env = io.env ?? process.env;
  if (values.out !== undefined && values.home !== undefined && values.out !== values.home) {
    throw new UsageError('--out and --home name the same folder; give one');
  }
  const waitS = numberOption('--wait-seconds', values['wait-seconds'], 600, { integer: false, min: 0, max: 7200 });
  const pollS = numberOption('--poll-seconds', values['poll-seconds'], 10, { integer: false, min: 0, max: 600 });
  const web = await webIO(networkSettings(io, 'azure publish-dns', values['dns-server']), deps);
  const config = await loadConfigArg(io, values.config);
  if (!config) return 1;
  const file = values.config ?? DEFAULT_CONFIG_FILE;
  // --app and --resource-group are taken like every azure command's (checked, unused: the TXT records live in the zones).
  const { dns_resource_group: dnsResourceGroup } = azureSettings(values, config, [], ['app', 'resource_group', 'dns_resource_group'], file);
  let azure;
  // The SDKs load only now, when the command calls Azure: --help and usage errors stay fast.
  const [{ armClients, cliCredential }, { publishDns }] = await Promise.all([import('../azure/arm.ts'), import('../azure/publish-dns.ts')]);
  if (dnsResourceGroup && !values['print-only']) {
    const subscription = azureSetting(values, config, 'subscription', true, file)!;
    const endpoint = await armEndpoint(values, env);
    const { dns } = armClients({ endpoint, subscription, credential: deps.credential ?? cliCredential(), ca: deps.armCa });
    azure = { dns, resourceGroup: dnsResourceGroup };
  }
  const override = values.out ?? values.home;
  const home = displayPath(io.cwd, folderPath(resolve(io.cwd, file), 'site', io.cwd, override !== undefined ? { site: override } : {}));
  const policyFile = `${home}${POLICY_PATH}`;
  let policy: Buffer;
  try {
    policy = await readFile(resolve(io.cwd, policyFile));
  } catch (e) {
    io.err(`mta-sts azure publish-dns: cannot read ${policyFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run npm run build and commit ${home}/\n`);
    return 1;
  }
  const reporter = new Reporter(io, env);
  await publishDns({
    config, policy, policyFile, web, azure, reporter,
    ...(dnsResourceGroup && values['print-only'] ? { notWritten: { resourceGroup: dnsResourceGroup, howToWrite: howToWrite(env) } } : {}),
    waitMs: waitS * 1000, pollMs: pollS * 1000, sleep: deps.sleep, now: deps.now, throttle: { sleep: deps.sleep, now: deps.now },
  });
  return reporter.finish();
}

/** What gives this run the Azure login --print-only went without: where it runs decides the advice. */
function howToWrite(env: NodeJS.ProcessEnv): string {
  const format = ciFormat(env);
  if (format === 'azure') return 'set armServiceConnection at the top of azure-pipelines.yml to let the pipeline publish them (docs/azure-devops.md: "3. Let the pipeline reach Azure (service connection)")';
  if (format === 'github') return 'set the variables AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID to let the workflow publish them (docs/github-actions.md: "Setting the variables by hand")';
  return 'run it without --print-only after az login to publish them';
}
