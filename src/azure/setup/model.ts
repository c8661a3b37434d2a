// What the parts of `mta-sts azure setup` share: the names it uses, the request and its injected parts, the
// state that observe fills and the steps change, the steps themselves, and how a failure is described.
import { createHash } from 'node:crypto';
import type { StaticSiteCustomDomainOverviewARMResource } from '@azure/arm-appservice';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { StorageManagementClient } from '@azure/arm-storage';
import type { TokenCredential } from '@azure/identity';
import type { PolicyFetchIO } from '../../check/policy-checks.ts';
import type { Config } from '../../config/config.ts';
import { printable } from '../../printable.ts';
import type { Output, Reporter } from '../annotations.ts';
import { statusOf, type ArmClients } from '../arm.ts';
import { advice, azureSaid, readAzureError } from '../azure-error.ts';
import { DevOpsError, type DevOps, type ProjectRef } from '../devops.ts';
import type { Identity, IdentityClients, RoleGrant } from '../identity.ts';
import { zoneFor } from '../zones.ts';

export {
  DEFAULT_CONNECTION, DEFAULT_REGION, DEFAULT_RESOURCE_GROUP, FUNCTION_APP_PLAN, FUNCTION_APP_PLAN_SKU, FUNCTION_APP_RUNTIME, PIPELINE_FILE, SWA_REGIONS, TOKEN_VARIABLE, VARIABLE_GROUP,
  defaultAppName, storageAccountName, type DevOpsTarget, type GitHubTarget, type RepositoryRef,
} from './names.ts';
import type { DevOpsTarget, GitHubTarget } from './names.ts';
import type { GitHubRepository } from '../../github/repository.ts';

export interface SetupRequest {
  cwd: string;
  /** The config file as the user named it, and its absolute path. */
  configFile: string;
  configPath: string;
  config: Config;
  armEndpoint: string;
  subscription: { id: string; name: string; tenantId?: string };
  /** Azure DevOps' name of the cloud (AzureCloud, AzureUSGovernment, AzureChinaCloud) and its ARM URL. */
  cloud: { environment: string; armUrl: string };
  resourceGroup: string;
  /**
   * Nobody named the resource group (no flag, no hosting.resource_group): setup may then put the app beside the
   * Azure DNS zones, so the pipeline's connection, scoped to that one group, can also write their records.
   */
  resourceGroupIsDefault?: boolean;
  app: string;
  region: string;
  dnsResourceGroup?: string;
  devops?: DevOpsTarget;
  /** `--github OWNER/REPO`: the GitHub Actions route instead of Azure DevOps (github.ts). */
  github?: GitHubTarget;
  /** Seconds to wait for CNAMEs at a DNS host outside Azure (0: print them and stop). */
  waitDnsSeconds: number;
}

export interface SetupDeps {
  credential: TokenCredential;
  web: PolicyFetchIO;
  out: Output;
  env: NodeJS.ProcessEnv;
  /** The one question; false means "do nothing". */
  confirm: (question: string) => Promise<boolean>;
  /** Draw a countdown on a terminal (carriage return) instead of one line a minute. */
  isTTY?: boolean;
  armCa?: string;
  devopsCaFile?: string;
  /** Tests: the fetch of the GitHub client (one that trusts the loopback emulator's CA). */
  githubFetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Bounds for the binding retries (tests shorten them). */
  bindAttempts?: number;
  bindDelayMs?: number;
  pollIntervalMs?: number;
}

/** One line of the plan and how to do it. */
export interface Step {
  key: string;
  title: string;
  /** Steps that must have succeeded first. */
  needs: string[];
  /** What is left to do by hand when this step cannot be done here (no rights, for instance). */
  byHand: string | (() => string);
  /** A string is the detail of "done"; a StepOutcome says the step did not (fully) happen and why. */
  apply: () => Promise<string | void | StepOutcome>;
}

/** A step that ran but is not done: it waits on something outside this run. */
export interface StepOutcome { state: 'waiting'; detail: string }

/** What the run knows and learns; filled by the observation, then by each step. */
export interface State {
  rgExists: boolean;
  /** `verificationId`: a Function App's customDomainVerificationId, the value of each asuid.mta-sts.<domain> TXT. */
  site?: { defaultHostname: string; sku?: string; verificationId?: string };
  /**
   * hosting.kind function-app, before the app exists: its App Service plan (id once it exists) and whether its
   * storage account exists. An existing app keeps the plan and storage it has.
   */
  functionApp?: { planId?: string; storageExists: boolean };
  token?: string;
  bound: Map<string, StaticSiteCustomDomainOverviewARMResource>;
  zones: string[];
  /** The resource group of each zone in `zones`. */
  zoneGroups: Map<string, string>;
  project?: ProjectRef;
  /** `variables` are the group's others, kept on update (secrets come back without a value, which keeps them). */
  group?: { id: number; fingerprint?: string; variables?: Record<string, { value?: string; isSecret?: boolean; isReadOnly?: boolean }> };
  endpoint?: { id: string; servicePrincipalId?: string; failed?: string; issuer?: string; subject?: string };
  /** The pipeline's managed identity, the roles it still lacks, and whether it trusts the connection's tokens. */
  identity?: Identity;
  missingGrants: RoleGrant[];
  federated: boolean;
  /** --github: whether the identity trusts the workflow's tokens; with a GitHub token, the repository as read. */
  githubFederated: boolean;
  github?: {
    fullName: string; defaultBranch: string; client: GitHubRepository;
    /** The workflow's variables and the token fingerprint, as the repository holds them (undefined: not set). */
    variables: Partial<Record<string, string>>;
    secret: boolean;
  };
  /** Microsoft-hosted parallel jobs of the Azure DevOps organisation (undefined: not known). */
  hostedJobs?: number;
  definition?: { id: number };
  repository?: { id: string; name: string; defaultBranch: string };
  githubConnectionId?: string;
  queueId?: number;
  groupAuthorized: boolean;
  endpointAuthorized: boolean;
  yaml?: { text: string; wanted: Record<string, string> };
  /** home/ differs from a fresh build of the config. */
  homeStale: boolean;
  /** The config, home/ or pipeline file have changes git has not committed (a run that stopped before its commit). */
  uncommitted: string[];
  filesChanged: Set<string>;
}

/** The app's default host name from ARM, checked before it is printed or written anywhere (remote text). */
export function hostName(value: string | undefined): string {
  const name = (value ?? '').toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(name)) throw new StepFailure(`Azure reported an unusable default host name for the app (${printable(name) || 'none'})`);
  return name;
}

/** A Function App's customDomainVerificationId (remote text that is printed and awaited in DNS): hex only. */
export function verificationId(value: string | undefined): string | undefined {
  return value && /^[0-9A-Fa-f]{32,128}$/.test(value) ? value : undefined;
}

/** A service principal id from Azure DevOps, kept only when it is a GUID (it goes into a printed command). */
export const guid = (value: string | undefined) => (value && /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(value) ? value : undefined);

export const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 16);
export const groupDescription = (app: string, token: string) =>
  `Deployment token of the Static Web App ${app}, set by mta-sts azure setup (sha256 fingerprint ${fingerprint(token)})`;
export const fingerprintIn = (description: string | undefined) => /fingerprint ([0-9a-f]{16})/.exec(description ?? '')?.[1];

/** A failure of one step, with what remains to be done by hand when it is about rights. */
export class StepFailure extends Error {}

export function describe(e: unknown): string {
  if (e instanceof DevOpsError) return printable(e.message);
  // Azure's answers, in any of their shapes, are read by the one reader; the advice comes with them.
  if (statusOf(e) !== undefined || /long-running operation/.test(String((e as Error)?.message))) {
    const a = readAzureError(e);
    return `Azure answered ${azureSaid(a)}; ${advice(a)}`;
  }
  return printable(e instanceof Error ? e.message : String(e));
}

export const rightsMissing = (e: unknown) => (e instanceof DevOpsError ? e.status : statusOf(e)) === 403;

/** Everything a part of setup works with: the request, the injected parts, the clients and the state. */
export interface SetupContext {
  readonly r: SetupRequest;
  readonly d: SetupDeps;
  readonly state: State;
  readonly arm: ArmClients;
  readonly resources: ResourceManagementClient;
  /** The Function App's storage account (AzureWebJobsStorage). */
  readonly storage: StorageManagementClient;
  readonly identities: IdentityClients;
  devops?: DevOps;
  readonly reporter: Reporter;
  /** The ARM service connection's name: the pipeline YAML's armServiceConnection, else DEFAULT_CONNECTION. */
  connectionName: string;
}

export function line(ctx: SetupContext, text: string): void {
  ctx.d.out.out(`${text}\n`);
}

export const isFunctionApp = (ctx: SetupContext) => ctx.r.config.hosting.kind === 'function-app';

/**
 * The roles the pipeline's identity needs: write on the Static Web App, or for a Function App Website Contributor
 * on its resource group (the site, and the managed certificates that are resources of the group); DNS Zone
 * Contributor on the DNS zones' group.
 */
export function wantedGrants(ctx: SetupContext): RoleGrant[] {
  const { r } = ctx;
  const sub = `/subscriptions/${r.subscription.id}`;
  const grants: RoleGrant[] = isFunctionApp(ctx)
    ? [{ role: 'Website Contributor', scope: `${sub}/resourceGroups/${r.resourceGroup}` }]
    : [{ role: 'Contributor', scope: `${sub}/resourceGroups/${r.resourceGroup}/providers/Microsoft.Web/staticSites/${r.app}` }];
  // DNS Zone Contributor on the resource group of each zone that holds a domain (a role per zone's group).
  const groups = new Set<string>();
  for (const domain of r.config.domains) {
    const zone = r.dnsResourceGroup ? zoneFor(`mta-sts.${domain}`, ctx.state.zones) : undefined;
    if (zone) groups.add(ctx.state.zoneGroups.get(zone.zone) ?? r.dnsResourceGroup!);
  }
  if (groups.size === 0 && r.dnsResourceGroup) groups.add(r.dnsResourceGroup);
  for (const g of [...groups].sort()) grants.push({ role: 'DNS Zone Contributor', scope: `${sub}/resourceGroups/${g}` });
  return grants;
}
