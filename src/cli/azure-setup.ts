// `mta-sts azure setup`: options, the one question, and where the names come from; the work is in
// src/azure/setup.ts.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { promisify } from 'node:util';
import type { TokenCredential } from '@azure/identity';
import { DEFAULT_CONFIG_FILE } from '../config/file-name.ts';
import { hostingOf } from '../hosting/hosting.ts';
import { ARM_ENDPOINT_ENV, CLOUDS, activeCloud, armEndpointError, isCloudName } from '../azure/cloud.ts';
import {
  DEFAULT_REGION, DEFAULT_RESOURCE_GROUP, SWA_REGIONS, defaultAppName, type DevOpsTarget, type RepositoryRef,
} from '../azure/setup/names.ts';
import { GITHUB_API_ENV, REPOSITORY, apiUrlError } from '../github/repository.ts';
import type { Deployer } from '../azure/deploy.ts';
import type { CheckIO, PolicyFetcher } from '../check/io.ts';
import { azureOptions, webIO } from './azure-options.ts';
import { networkSettings } from './network.ts';
import type { IOOptions } from './production.ts';
import { UsageError, loadConfigArg, numberOption, parseOptions, type Command, type CommandIO } from './io.ts';

const run = promisify(execFile);

/** Tests: the CA file of a loopback Azure DevOps (the product reads NODE_EXTRA_CA_CERTS like any Node program). */
export interface SetupCommandDeps {
  credential?: TokenCredential;
  armCa?: string;
  devopsCaFile?: string;
  /** Tests: the GitHub client's fetch (one that trusts the loopback GitHub emulator's CA). */
  githubFetch?: typeof fetch;
  confirm?: (question: string) => Promise<boolean>;
  /** The waits (--wait-dns, retries) and the clock they are measured on: a test's virtual time. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Deploys the first policy (default productionDeployer: swa deploy, zip deployment). */
  deployer?: Deployer;
  /** The closing check's I/O, built from the options as `check` builds it (default productionIO). */
  checkIO?: (options: IOOptions) => CheckIO;
  /** The policy fetcher of the run's own looks (tests: one that trusts their CA). */
  fetcher?: PolicyFetcher;
  /** Between two looks at something Azure is still doing (tests: short, on their clock). */
  pollIntervalMs?: number;
  /** How long to wait for the policy to be live before its TXT records are published (default 10 min). */
  liveWaitMs?: number;
}

const spec = {
  ...azureOptions,
  app: { type: 'string' },
  'resource-group': { type: 'string' },
  region: { type: 'string' },
  'devops-org': { type: 'string' },
  'devops-project': { type: 'string' },
  repository: { type: 'string' },
  'github-connection': { type: 'string' },
  pipeline: { type: 'string' },
  github: { type: 'string' },
  'wait-dns': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
} as const;

/** One entry of az's azureProfile.json (what `az login` and `az account set` write). */
interface AzProfileSubscription { id: string; name?: string; tenantId?: string; isDefault?: boolean }

/** az's subscriptions, from AZURE_CONFIG_DIR (default ~/.azure)/azureProfile.json; empty when az has none. */
async function azSubscriptions(env: NodeJS.ProcessEnv): Promise<AzProfileSubscription[]> {
  const dir = env.AZURE_CONFIG_DIR || join(env.HOME || homedir(), '.azure');
  try {
    const text = (await readFile(join(dir, 'azureProfile.json'), 'utf8')).replace(/^\uFEFF/, ''); // az writes a BOM
    const profile = JSON.parse(text) as { subscriptions?: AzProfileSubscription[] };
    return Array.isArray(profile.subscriptions) ? profile.subscriptions : [];
  } catch {
    return [];
  }
}

/** The Entra tenant in an ARM access token (its `tid` claim), for a subscription az does not list. */
async function tenantFromToken(credential: TokenCredential, endpoint: string): Promise<string | undefined> {
  try {
    const token = await credential.getToken(`${endpoint.replace(/\/+$/, '')}/.default`);
    const payload = token?.token.split('.')[1];
    if (!payload) return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { tid?: unknown };
    return typeof claims.tid === 'string' ? claims.tid : undefined;
  } catch {
    return undefined;
  }
}

/** The repository the pipeline builds: --repository, else the git remote "origin" of the working directory. */
async function repository(values: { repository?: string; 'github-connection'?: string }, cwd: string): Promise<RepositoryRef> {
  const connection = values['github-connection'];
  let name = values.repository;
  if (name === undefined) {
    let remote = '';
    try {
      remote = (await run('git', ['remote', 'get-url', 'origin'], { cwd })).stdout.trim();
    } catch {
      throw new UsageError('no --repository given and this folder has no git remote "origin": pass --repository NAME (Azure Repos) or --repository OWNER/REPO --github-connection NAME');
    }
    const github = /github\.com[/:]([^/]+\/[^/]+?)(?:\.git)?\/?$/i.exec(remote);
    const azure = /\/_git\/([^/?#]+)\/?$/.exec(remote) ?? /^git@ssh\.dev\.azure\.com:v3\/[^/]+\/[^/]+\/([^/]+)$/.exec(remote);
    if (github) {
      if (!connection) throw new UsageError(`the remote origin is on GitHub (${github[1]}): pass --github-connection NAME, the GitHub service connection of your Azure DevOps project`);
      return { type: 'GitHub', fullName: github[1]!, connection };
    }
    if (!azure) throw new UsageError(`cannot tell the repository from the remote origin "${remote}": pass --repository NAME`);
    name = decodeURIComponent(azure[1]!);
  }
  if (connection) {
    if (!/^[^/]+\/[^/]+$/.test(name)) throw new UsageError(`with --github-connection, --repository must be OWNER/REPO (got "${name}")`);
    return { type: 'GitHub', fullName: name, connection };
  }
  return { type: 'TfsGit', name };
}

/**
 * --devops-org must name an organisation: https://dev.azure.com/ORG or https://ORG.visualstudio.com, or an
 * Azure DevOps Server collection. A project's URL (…/ORG/PROJECT) is the usual slip: say which parts go where.
 */
export function devopsOrgError(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `--devops-org must be the organisation URL, like https://dev.azure.com/contoso (got "${value}")`;
  }
  if (url.protocol !== 'https:') return `--devops-org must be an https:// URL, like https://dev.azure.com/contoso (got "${value}")`;
  const parts = url.pathname.split('/').filter(Boolean);
  const host = url.hostname.toLowerCase();
  const extra = host === 'dev.azure.com' ? parts.slice(1) : host.endsWith('.visualstudio.com') ? parts : [];
  if (host === 'dev.azure.com' && parts.length === 0) return `--devops-org must name the organisation, like https://dev.azure.com/contoso (got "${value}")`;
  if (extra.length > 0) {
    const org = host === 'dev.azure.com' ? `https://dev.azure.com/${parts[0]}` : `https://${host}`;
    return `--devops-org must be the organisation URL, not a project's: pass --devops-org ${org} --devops-project ${decodeURIComponent(extra[0]!)} (got "${value}")`;
  }
  return undefined;
}

/** Whether an executable of that name is on PATH (az is never run: the credential calls it when it needs a token). */
async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const { access, constants } = await import('node:fs/promises');
  const { delimiter } = await import('node:path');
  const names = process.platform === 'win32' ? [`${name}.cmd`, `${name}.exe`, name] : [name];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const n of names) {
      try {
        await access(join(dir, n), constants.X_OK);
        return true;
      } catch {
        // not here
      }
    }
  }
  return false;
}

async function confirmOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function runSetup(args: string[], io: CommandIO, deps: SetupCommandDeps = {}): Promise<number> {
  const { values } = parseOptions(args, spec);
  const env = io.env ?? process.env;
  const stdinIsTTY = io.stdinIsTTY ?? false;
  if (!values.yes && !stdinIsTTY && !deps.confirm) {
    throw new UsageError('standard input is not a terminal, so setup cannot ask before it changes anything: pass --yes to apply the plan without asking');
  }
  if ((values['devops-org'] === undefined) !== (values['devops-project'] === undefined)) {
    throw new UsageError('--devops-org and --devops-project go together (e.g. --devops-org https://dev.azure.com/contoso --devops-project mail)');
  }
  if (values['devops-org'] !== undefined) {
    const problem = devopsOrgError(values['devops-org']);
    if (problem) throw new UsageError(problem);
  }
  if (values.github !== undefined) {
    if (values['devops-org'] !== undefined) throw new UsageError('--github and --devops-org choose the route: one of them (GitHub Actions or Azure DevOps)');
    if (!REPOSITORY.test(values.github)) throw new UsageError(`--github must be the repository as OWNER/REPO, like contoso/mta-sts (got "${values.github}")`);
    const api = env[GITHUB_API_ENV];
    const problem = api ? apiUrlError(api) : undefined;
    if (problem) throw new UsageError(problem);
  }
  const region = (values.region ?? DEFAULT_REGION).toLowerCase();
  if (!/^[a-z0-9]+$/.test(region)) throw new UsageError(`--region must be an Azure region name such as ${DEFAULT_REGION} (got "${values.region}")`);
  const waitDns = numberOption('--wait-dns', values['wait-dns'], io.isTTY ? 900 : 0, { integer: true, min: 0, max: 7200 });
  const network = networkSettings(io, 'azure setup', values['dns-server']);
  const web = await webIO(network, deps.fetcher ? { fetcher: deps.fetcher } : {}, 20_000);

  // The ARM endpoint: --arm-endpoint, else MTA_STS_ARM_ENDPOINT, else --cloud, else az's active cloud.
  const names = Object.keys(CLOUDS).join(', ');
  if (values.cloud !== undefined && !isCloudName(values.cloud)) throw new UsageError(`--cloud must be one of ${names} (got "${values.cloud}")`);
  const environment = values.cloud ?? await activeCloud(env);
  if (!isCloudName(environment)) throw new UsageError(`az's active cloud is "${environment}", which has no known ARM endpoint; pass --cloud (${names}) or --arm-endpoint URL`);
  const explicit = values['arm-endpoint'] ?? (env[ARM_ENDPOINT_ENV] || undefined);
  if (explicit !== undefined) {
    const problem = armEndpointError(explicit);
    if (problem) throw new UsageError(`${values['arm-endpoint'] !== undefined ? '--arm-endpoint' : ARM_ENDPOINT_ENV}: ${problem}`);
  }
  const armEndpoint = explicit ?? CLOUDS[environment];
  // azure/login in the workflow signs in to the public cloud with its token-exchange audience.
  if (values.github !== undefined && environment !== 'AzureCloud') {
    throw new UsageError(`--github sets up the workflow for the public Azure cloud (AzureCloud), and az's cloud is ${environment}: use Azure DevOps there (docs/github-actions.md: "Troubleshooting")`);
  }

  const configFile = values.config ?? DEFAULT_CONFIG_FILE;
  const config = await loadConfigArg(io, values.config);
  if (!config) return 1;
  // Static Web Apps exist in five regions only; a Function App in any region.
  const { regions, name } = hostingOf(config);
  if (regions && !regions.includes(region)) {
    throw new UsageError(`--region must be one of ${regions.join(', ')}, where ${name}s can be created (got "${values.region}")`);
  }
  // The SDKs load only now, when the command calls Azure (--help and usage errors stay fast).
  const { cliCredential } = await import('../azure/arm.ts');
  const credential = deps.credential ?? cliCredential();

  const profile = await azSubscriptions(env);
  const subscriptionId = values.subscription ?? config.hosting.subscription ?? profile.find((s) => s.isDefault)?.id;
  if (!deps.credential && !(await onPath('az', env))) {
    // Not a usage mistake: the tool that signs in is missing (exit 1), whatever else is right.
    io.err('mta-sts azure setup: the Azure CLI (az) is not installed, or not on PATH: install it (https://aka.ms/installazurecli), run az login, then run the same command again\n');
    return 1;
  }
  if (!subscriptionId) throw new UsageError('no Azure subscription: run az login (its default subscription is used), or pass --subscription ID');
  const known = profile.find((s) => s.id.toLowerCase() === subscriptionId.toLowerCase());
  const subscription = {
    id: subscriptionId,
    name: known?.name ?? subscriptionId,
    tenantId: known?.tenantId ?? await tenantFromToken(credential, armEndpoint),
  };

  let devops: DevOpsTarget | undefined;
  if (values['devops-org'] !== undefined) {
    devops = {
      orgUrl: values['devops-org'],
      project: values['devops-project']!,
      repository: await repository(values, io.cwd),
      pipelineName: values.pipeline ?? 'mta-sts',
    };
  }

  const [{ run: runSetupPlan, setupContext }, { productionDeployer, productionIO }] = await Promise.all([import('../azure/setup.ts'), import('./production.ts')]);
  return runSetupPlan(await setupContext({
    cwd: io.cwd,
    configFile,
    configPath: resolve(io.cwd, configFile),
    config,
    armEndpoint,
    subscription,
    cloud: { environment, armUrl: CLOUDS[environment] },
    resourceGroup: values['resource-group'] ?? config.hosting.resource_group ?? DEFAULT_RESOURCE_GROUP,
    resourceGroupIsDefault: values['resource-group'] === undefined && config.hosting.resource_group === undefined,
    app: values.app ?? config.hosting.app ?? defaultAppName(config),
    region,
    dnsResourceGroup: values['dns-resource-group'] ?? config.hosting.dns_resource_group,
    devops,
    github: values.github !== undefined ? { repository: values.github } : undefined,
    waitDnsSeconds: waitDns,
  }, {
    credential,
    web,
    out: io,
    env,
    isTTY: io.isTTY,
    confirm: values.yes ? async () => true : deps.confirm ?? confirmOnTerminal,
    armCa: deps.armCa,
    devopsCaFile: deps.devopsCaFile,
    githubFetch: deps.githubFetch,
    sleep: deps.sleep,
    now: deps.now,
    pollIntervalMs: deps.pollIntervalMs,
    liveWaitMs: deps.liveWaitMs,
    deployer: deps.deployer ?? productionDeployer(),
    // STARTTLS is left to the pipeline's check: an admin's network often blocks port 25 (the check says so).
    checkIO: (deps.checkIO ?? productionIO)({ dnsServer: network.dnsServer, httpsPort: network.httpsPort, timeoutMs: 30_000 }),
  }));
}

export const command: Command = {
  name: 'azure setup',
  usage: 'azure setup [--devops-org URL --devops-project NAME] [--github OWNER/REPO] [--repository NAME] [--github-connection NAME] [--app NAME] [--resource-group RG] [--region REGION] [--subscription ID] [--dns-resource-group RG] [--yes] [--wait-dns S] [--config FILE]',
  summary: 'create or reuse the Static Web App (or, with hosting.kind function-app, the Function App with its plan and storage) and set up Azure DevOps (variable group, pipeline, service connection) or GitHub Actions (--github), then bind the domains',
  help: [
    '  --devops-org URL          Azure DevOps organisation, e.g. https://dev.azure.com/contoso (with --devops-project)',
    '  --devops-project NAME     the project that runs the pipeline',
    '  --repository NAME         Azure Repos repository (default: from git remote origin); OWNER/REPO with --github-connection',
    '  --github-connection NAME  an existing GitHub service connection, for a repository on GitHub',
    '  --pipeline NAME           pipeline name (default mta-sts)',
    '  --github OWNER/REPO       GitHub Actions: the workflow\'s identity, and with',
    '                            GH_TOKEN the repository\'s variables and secret',
    '                            (without it: the gh commands to run)',
    '  --app NAME                Static Web App or Function App (default hosting.app, else mta-sts-<first domain>)',
    `  --resource-group RG       its resource group (default hosting.resource_group, else ${DEFAULT_RESOURCE_GROUP})`,
    `  --region REGION           where to create them (default ${DEFAULT_REGION}; a Static Web App: one of ${SWA_REGIONS.join(', ')})`,
    "  --subscription ID         default hosting.subscription, else az's default subscription",
    '  --dns-resource-group RG   resource group of the Azure DNS zones named after your domains (default hosting.dns_resource_group)',
    '  --cloud NAME              AzureCloud, AzureUSGovernment or AzureChinaCloud (default: az\'s active cloud)',
    `  --arm-endpoint URL        another ARM endpoint (or ${ARM_ENDPOINT_ENV})`,
    '  --yes, -y                 apply the plan without asking (needed when standard input is not a terminal)',
    '  --wait-dns S              wait up to S seconds for CNAMEs at a DNS host outside Azure (default 900 on a terminal, else 0)',
    '  --dns-server HOST:PORT    resolver for the CNAME, certificate and TXT checks',
    '  --config FILE             the config (default mta-sts.config.yaml)',
  ].join('\n'),
  run: (args, io) => runSetup(args, io),
};
