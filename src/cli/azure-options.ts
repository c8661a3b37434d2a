// What `mta-sts azure bind` and `azure publish-dns` share: where the Azure settings come from (flags first,
// then the config's hosting: keys), which ARM endpoint, and the lookups and fetches of `check`.
import type { TokenCredential } from '@azure/identity';
import { createResolver, type PolicyFetcher } from '../check/io.ts';
import type { PolicyFetchIO } from '../check/policy-checks.ts';
import type { AzureHostingKey, Config } from '../config/config.ts';
import { hostingOf } from '../hosting/hosting.ts';
import { ARM_ENDPOINT_ENV, CLOUDS, activeCloud, armEndpointError, isCloudName } from '../azure/cloud.ts';
import { UsageError } from './io.ts';
import type { NetworkSettings } from './network.ts';

/** What tests put in place of the cloud: a token credential, the emulator's CA, the policy fetcher's port. */
export interface AzureCommandDeps {
  credential?: TokenCredential;
  armCa?: string;
  fetcher?: PolicyFetcher;
  sleep?: (ms: number) => Promise<void>;
  /** The clock the waits are measured on (with `sleep`, a test's virtual time). */
  now?: () => number;
  /** Between polls of a long-running operation that sent no Retry-After (the SDK's default, 2 s, when absent). */
  pollIntervalMs?: number;
}

/** The flags every azure command takes (docs/configuration.md: "Commands", "Every azure command takes …"). */
export const azureOptions = {
  config: { type: 'string' },
  app: { type: 'string' },
  'resource-group': { type: 'string' },
  subscription: { type: 'string' },
  'dns-resource-group': { type: 'string' },
  cloud: { type: 'string' },
  'arm-endpoint': { type: 'string' },
  'dns-server': { type: 'string' },
} as const;

export const AZURE_HELP = [
  '  --config FILE             the config (default mta-sts.config.yaml); its hosting: keys name the Azure resources',
  '  --app NAME                overrides hosting.app',
  '  --resource-group RG       overrides hosting.resource_group',
  '  --subscription ID         overrides hosting.subscription',
  '  --dns-resource-group RG   overrides hosting.dns_resource_group (the Azure DNS zones; absent: records are printed)',
  '  --cloud NAME              AzureCloud, AzureUSGovernment or AzureChinaCloud (default: az\'s active cloud)',
  `  --arm-endpoint URL        an ARM endpoint instead of the cloud's (private clouds, tests; also ${ARM_ENDPOINT_ENV})`,
  '  --dns-server HOST:PORT    send every DNS lookup to this server, as in check (or MTA_STS_DNS_SERVER)',
].join('\n');

const GUID = /^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$/;

const FLAG: Record<AzureHostingKey, string> = {
  app: '--app',
  resource_group: '--resource-group',
  subscription: '--subscription',
  dns_resource_group: '--dns-resource-group',
};
const WHAT: Record<AzureHostingKey, (config: Config) => string> = {
  app: (config) => `the ${hostingOf(config).name} is not named`,
  resource_group: () => "the app's resource group is not named",
  subscription: () => 'the Azure subscription is not named',
  dns_resource_group: () => 'the resource group of the Azure DNS zones is not named',
};

/** A setting from its flag, else the config's hosting: key; a `required` one missing is a usage error. */
export function azureSetting(values: Record<string, unknown>, config: Config, key: AzureHostingKey, required: boolean, configFile: string): string | undefined {
  const flag = values[FLAG[key].slice(2)];
  const value = typeof flag === 'string' && flag !== '' ? flag : config.hosting[key];
  if (!value && required) throw new UsageError(`${WHAT[key](config)}: pass ${FLAG[key]} or set hosting.${key} in ${configFile}`);
  // The config's value passed the schema; a flag's is checked here, by the same rule.
  if (key === 'subscription' && value && !GUID.test(value)) {
    throw new UsageError(`--subscription must be a subscription ID like 00000000-0000-0000-0000-000000000000 (az account show --query id -o tsv) (got "${value}")`);
  }
  return value || undefined;
}

/**
 * Several settings at once: every required one that is missing is named in ONE usage error, so a config without
 * hosting: keys is fixed in one go, not one run per key.
 */
export function azureSettings<K extends AzureHostingKey>(
  values: Record<string, unknown>, config: Config, required: readonly K[], optional: readonly AzureHostingKey[], configFile: string,
): Record<K, string> & Partial<Record<AzureHostingKey, string>> {
  const out: Partial<Record<AzureHostingKey, string>> = {};
  const missing: string[] = [];
  for (const key of [...required, ...optional]) {
    const value = azureSetting(values, config, key, false, configFile);
    if (value) out[key] = value;
    else if ((required as readonly AzureHostingKey[]).includes(key)) missing.push(`${WHAT[key](config)}: pass ${FLAG[key]} or set hosting.${key}`);
  }
  if (missing.length === 1) throw new UsageError(`${missing[0]} in ${configFile}`);
  if (missing.length > 1) throw new UsageError(`${missing.length} settings are missing; set them in ${configFile} (or pass the flags):\n  ${missing.join('\n  ')}`);
  return out as Record<K, string> & Partial<Record<AzureHostingKey, string>>;
}

/** --arm-endpoint, else MTA_STS_ARM_ENDPOINT (private clouds, tests), else --cloud, else az's active cloud. */
export async function armEndpoint(values: { cloud?: string; 'arm-endpoint'?: string }, env: NodeJS.ProcessEnv): Promise<string> {
  const explicit = values['arm-endpoint'] ?? (env[ARM_ENDPOINT_ENV] || undefined);
  if (explicit !== undefined) {
    const problem = armEndpointError(explicit);
    if (problem) throw new UsageError(`${values['arm-endpoint'] !== undefined ? '--arm-endpoint' : ARM_ENDPOINT_ENV}: ${problem}`);
    return explicit;
  }
  const names = Object.keys(CLOUDS).join(', ');
  if (values.cloud !== undefined) {
    if (!isCloudName(values.cloud)) throw new UsageError(`--cloud must be one of ${names} (got "${values.cloud}")`);
    return CLOUDS[values.cloud];
  }
  const active = await activeCloud(env);
  if (!isCloudName(active)) {
    throw new UsageError(`az's active cloud is "${active}", which has no known ARM endpoint; pass --cloud (${names}) or --arm-endpoint URL`);
  }
  return CLOUDS[active];
}

/** The resolver (all lookups to --dns-server or MTA_STS_DNS_SERVER when given) and policy fetcher of `check`, as networkSettings read them. */
export async function webIO({ dnsServer, httpsPort }: NetworkSettings, deps: AzureCommandDeps, timeoutMs = 30_000): Promise<PolicyFetchIO> {
  // node:https and node:tls load on use, not for --help.
  const fetcher = deps.fetcher ?? (await import('../check/https-fetcher.ts')).createPolicyFetcher({ port: httpsPort, timeoutMs });
  return { resolver: createResolver({ server: dnsServer }), fetcher };
}
