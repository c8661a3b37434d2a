// `mta-sts azure bind`: options and settings only; the work is in src/azure/bind.ts.
import { DEFAULT_CONFIG_FILE } from '../config/file-name.ts';
import { Reporter } from '../azure/annotations.ts';
import { AZURE_HELP, armEndpoint, azureOptions, azureSettings, webIO, type AzureCommandDeps } from './azure-options.ts';
import { networkSettings } from './network.ts';
import { loadConfigArg, numberOption, parseOptions, type Command, type CommandIO } from './io.ts';

const options = {
  ...azureOptions,
  attempts: { type: 'string' },
  'retry-delay': { type: 'string' },
} as const;

/** The command with the cloud injectable (tests); `command` below is the production one. */
export function azureBindCommand(deps: AzureCommandDeps = {}): Command {
  return {
    name: 'azure bind',
    usage: 'azure bind [--config FILE] [--app NAME] [--resource-group RG] [--subscription ID] [--dns-resource-group RG] [--cloud NAME] [--arm-endpoint URL] [--dns-server HOST:PORT] [--attempts N] [--retry-delay S]',
    summary: 'bind mta-sts.<domain> to the Static Web App or Function App (creating the DNS records in Azure DNS), and report each host',
    help: [
      AZURE_HELP,
      '  --attempts N              tries while Azure answers "CNAME Record is invalid" (default 5)',
      '  --retry-delay S           first wait between them, doubled each time (default 30)',
    ].join('\n'),
    run: (args, io) => run(args, io, deps),
  };
}

export const command = azureBindCommand();

async function run(args: string[], io: CommandIO, deps: AzureCommandDeps): Promise<number> {
  const { values } = parseOptions(args, options);
  const env = io.env ?? process.env;
  const attempts = numberOption('--attempts', values.attempts, 5, { integer: true, min: 1, max: 20 });
  const retryDelay = numberOption('--retry-delay', values['retry-delay'], 30, { integer: false, min: 0, max: 600 });
  const web = await webIO(networkSettings(io, 'azure bind', values['dns-server']), deps);
  const endpoint = await armEndpoint(values, env);
  const config = await loadConfigArg(io, values.config);
  if (!config) return 1;
  const file = values.config ?? DEFAULT_CONFIG_FILE;
  const settings = azureSettings(values, config, ['app', 'resource_group', 'subscription'], ['dns_resource_group'], file);
  const { app, resource_group: resourceGroup, subscription, dns_resource_group: dnsResourceGroup } = settings;
  const reporter = new Reporter(io, env);
  // The SDKs load only now, when the command calls Azure: --help and usage errors stay fast.
  const [{ armClients, cliCredential }, { azureHosting }] = await Promise.all([import('../azure/arm.ts'), import('../azure/hosting.ts')]);
  const clients = armClients({ endpoint, subscription, credential: deps.credential ?? cliCredential(), ca: deps.armCa });
  // The kind's own bind (src/azure/hosting.ts): a Static Web App's custom domains, or a Function App's host-name
  // bindings and managed certificates.
  await azureHosting(config).bind({
    config, target: { app, resourceGroup, dnsResourceGroup }, clients, web, reporter,
    attempts, baseDelayMs: retryDelay * 1000, sleep: deps.sleep, now: deps.now, throttle: { sleep: deps.sleep, now: deps.now }, pollIntervalMs: deps.pollIntervalMs,
  });
  return reporter.finish();
}
