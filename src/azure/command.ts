// `mta-sts azure bind` and `mta-sts azure publish-dns`: options, settings and output only; the work is in
// bind.ts and publish-dns.ts.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { TokenCredential } from '@azure/identity';
import { UsageError, type CommandIO } from '../cli/io.ts';
import { createPolicyFetcher } from '../check/https-fetcher.ts';
import { createResolver, dnsServerError, type PolicyFetcher } from '../check/io.ts';
import type { PolicyFetchIO } from '../check/policy-checks.ts';
import { DEFAULT_CONFIG_FILE, formatDiagnostic, loadConfig, type AzureHostingKey, type Config } from '../config/config.ts';
import { POLICY_PATH } from '../rfc/policy.ts';
import { Reporter } from './annotations.ts';
import { ARM_ENDPOINT_ENV, CLOUDS, activeCloud, armClients, armEndpointError, cliCredential, isCloudName } from './arm.ts';
import { bindDomains } from './bind.ts';
import { publishDns } from './publish-dns.ts';

export const BIND_USAGE =
  'mta-sts azure bind [--config FILE] [--app NAME] [--resource-group RG] [--subscription ID] [--dns-resource-group RG] [--cloud NAME] [--arm-endpoint URL] [--dns-server HOST:PORT] [--attempts N] [--retry-delay S]';
export const PUBLISH_USAGE =
  'mta-sts azure publish-dns [--config FILE] [--out DIR] [--subscription ID] [--dns-resource-group RG] [--cloud NAME] [--arm-endpoint URL] [--dns-server HOST:PORT] [--wait-seconds S] [--poll-seconds S]';

/** What tests put in place of the cloud: a token credential, the emulator's CA, the policy fetcher's port. */
export interface AzureCommandDeps {
  credential?: TokenCredential;
  armCa?: string;
  fetcher?: PolicyFetcher;
  sleep?: (ms: number) => Promise<void>;
}

type IO = CommandIO & { env?: NodeJS.ProcessEnv };

const common = {
  config: { type: 'string' },
  subscription: { type: 'string' },
  'dns-resource-group': { type: 'string' },
  cloud: { type: 'string' },
  'arm-endpoint': { type: 'string' },
  'dns-server': { type: 'string' },
} as const;

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], spec: T) {
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function seconds(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) throw new UsageError(`${name} must be a number of seconds from 0 to ${max} (got "${value}")`);
  return n;
}

async function readConfig(io: IO, file: string | undefined): Promise<Config | undefined> {
  const path = file ?? DEFAULT_CONFIG_FILE;
  const result = await loadConfig(resolve(io.cwd, path), path);
  for (const w of result.warnings) io.err(`${formatDiagnostic(w, 'warning')}\n`);
  if (!result.ok) {
    for (const e of result.errors) io.err(`${formatDiagnostic(e, 'error')}\n`);
    io.err(`${path}: ${result.errors.length} error(s).\n`);
    return undefined;
  }
  return result.config;
}

const FLAG: Record<AzureHostingKey, string> = {
  app: '--app',
  resource_group: '--resource-group',
  subscription: '--subscription',
  dns_resource_group: '--dns-resource-group',
};
const WHAT: Record<AzureHostingKey, string> = {
  app: 'the Static Web App is not named',
  resource_group: "the app's resource group is not named",
  subscription: 'the Azure subscription is not named',
  dns_resource_group: 'the resource group of the Azure DNS zones is not named',
};

/** A setting from its flag, else the config's hosting: key; `required` ones missing are a usage error. */
function setting(values: Record<string, unknown>, config: Config, key: AzureHostingKey, required: boolean, configFile: string): string | undefined {
  const flag = values[FLAG[key].slice(2)];
  const value = typeof flag === 'string' && flag !== '' ? flag : config.hosting[key];
  if (!value && required) throw new UsageError(`${WHAT[key]}: pass ${FLAG[key]} or set hosting.${key} in ${configFile}`);
  return value || undefined;
}

/** --arm-endpoint, else MTA_STS_ARM_ENDPOINT (private clouds, tests), else --cloud, else az's active cloud. */
async function armEndpoint(values: { cloud?: string; 'arm-endpoint'?: string }, env: NodeJS.ProcessEnv): Promise<string> {
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

function webIO(dnsServer: string | undefined, deps: AzureCommandDeps): PolicyFetchIO {
  if (dnsServer !== undefined) {
    const problem = dnsServerError(dnsServer);
    if (problem) throw new UsageError(problem);
  }
  return {
    resolver: createResolver({ server: dnsServer }),
    fetcher: deps.fetcher ?? createPolicyFetcher({ timeoutMs: 30_000 }),
  };
}

async function withUsage(usage: string, name: string, io: IO, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`mta-sts ${name}: ${e.message}\nusage: ${usage}\n`);
    return 2;
  }
}

export function azureBindCommand(args: string[], io: IO, deps: AzureCommandDeps = {}): Promise<number> {
  return withUsage(BIND_USAGE, 'azure bind', io, async () => {
    const values = parse(args, {
      ...common,
      app: { type: 'string' },
      'resource-group': { type: 'string' },
      attempts: { type: 'string' },
      'retry-delay': { type: 'string' },
    });
    const env = io.env ?? process.env;
    const attempts = values.attempts === undefined ? 5 : Number(values.attempts);
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20) throw new UsageError(`--attempts must be a whole number from 1 to 20 (got "${values.attempts}")`);
    const retryDelay = seconds('--retry-delay', values['retry-delay'], 30, 600);
    const web = webIO(values['dns-server'], deps);
    const endpoint = await armEndpoint(values, env);
    const configFile = values.config ?? DEFAULT_CONFIG_FILE;
    const config = await readConfig(io, values.config);
    if (!config) return 1;
    const app = setting(values, config, 'app', true, configFile)!;
    const resourceGroup = setting(values, config, 'resource_group', true, configFile)!;
    const subscription = setting(values, config, 'subscription', true, configFile)!;
    const dnsResourceGroup = setting(values, config, 'dns_resource_group', false, configFile);
    const reporter = new Reporter(io, env);
    const clients = armClients({ endpoint, subscription, credential: deps.credential ?? cliCredential(), ca: deps.armCa });
    await bindDomains({
      config, target: { app, resourceGroup, dnsResourceGroup }, clients, web, reporter,
      attempts, baseDelayMs: retryDelay * 1000, sleep: deps.sleep, throttle: { sleep: deps.sleep },
    });
    return reporter.finish();
  });
}

export function azurePublishDnsCommand(args: string[], io: IO, deps: AzureCommandDeps = {}): Promise<number> {
  return withUsage(PUBLISH_USAGE, 'azure publish-dns', io, async () => {
    const values = parse(args, {
      ...common,
      out: { type: 'string' },
      home: { type: 'string' },
      'wait-seconds': { type: 'string' },
      'poll-seconds': { type: 'string' },
    });
    const env = io.env ?? process.env;
    if (values.out !== undefined && values.home !== undefined && values.out !== values.home) {
      throw new UsageError('--out and --home name the same folder; give one');
    }
    const waitS = seconds('--wait-seconds', values['wait-seconds'], 600, 7200);
    const pollS = seconds('--poll-seconds', values['poll-seconds'], 10, 600);
    const web = webIO(values['dns-server'], deps);
    const configFile = values.config ?? DEFAULT_CONFIG_FILE;
    const config = await readConfig(io, values.config);
    if (!config) return 1;
    const dnsResourceGroup = setting(values, config, 'dns_resource_group', false, configFile);
    let azure;
    if (dnsResourceGroup) {
      const subscription = setting(values, config, 'subscription', true, configFile)!;
      const endpoint = await armEndpoint(values, env);
      const { dns } = armClients({ endpoint, subscription, credential: deps.credential ?? cliCredential(), ca: deps.armCa });
      azure = { dns, resourceGroup: dnsResourceGroup };
    }
    const home = values.out ?? values.home ?? 'home';
    const policyFile = `${home.replace(/\/+$/, '')}${POLICY_PATH}`;
    let policy: Buffer;
    try {
      policy = await readFile(resolve(io.cwd, policyFile));
    } catch (e) {
      io.err(`mta-sts azure publish-dns: cannot read ${policyFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run npm run build and commit home/\n`);
      return 1;
    }
    const reporter = new Reporter(io, env);
    await publishDns({
      config, policy, policyFile, web, azure, reporter,
      waitMs: waitS * 1000, pollMs: pollS * 1000, sleep: deps.sleep, throttle: { sleep: deps.sleep },
    });
    return reporter.finish();
  });
}
