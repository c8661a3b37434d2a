// What the parts of `mta-sts azure setup` share: the names it uses, the frozen request and its injected parts, the
// state that observe fills and the steps change, the steps themselves, and how a failure is described.
import { createHash } from 'node:crypto';
import type { StaticSiteCustomDomainOverviewARMResource } from '@azure/arm-appservice';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { StorageManagementClient } from '@azure/arm-storage';
import type { TokenCredential } from '@azure/identity';
import type { CheckIO } from '../../check/io.ts';
import type { PolicyFetchIO } from '../../check/policy-checks.ts';
import type { Config } from '../../config/config.ts';
import { printable } from '../../printable.ts';
import type { Output, Reporter } from '../annotations.ts';
import { statusOf, type ArmClients } from '../arm.ts';
import { advice, azureSaid, readAzureError } from '../azure-error.ts';
import { DeployError, type Deployer } from '../deploy.ts';
import { DevOpsError, type DevOps, type ProjectRef } from '../devops.ts';
import type { Identity, IdentityClients, RoleGrant } from '../identity.ts';
import { zoneFor } from '../zones.ts';

export {
  DEFAULT_CONNECTION, DEFAULT_REGION, DEFAULT_RESOURCE_GROUP, FUNCTION_APP_PLAN, FUNCTION_APP_PLAN_SKU, FUNCTION_APP_RUNTIME, PIPELINE_FILE, SWA_REGIONS, TOKEN_VARIABLE, VARIABLE_GROUP,
  defaultAppName, storageAccountName, type DevOpsTarget, type GitHubTarget, type RepositoryRef,
} from './names.ts';
import { DEFAULT_CONNECTION, type DevOpsTarget, type GitHubTarget } from './names.ts';
import type { GitHubRepository } from '../../github/repository.ts';

/**
 * What the user asked for: the parsed options and the config as read at the start. Frozen (setupContext) and never
 * changed: what the run finds out (the resource groups it settles on, the config it rewrites) is in the State.
 */
export interface SetupRequest {
  readonly cwd: string;
  /** The config file as the user named it, and its absolute path. */
  readonly configFile: string;
  readonly configPath: string;
  readonly config: Config;
  readonly armEndpoint: string;
  readonly subscription: { readonly id: string; readonly name: string; readonly tenantId?: string | undefined };
  /** Azure DevOps' name of the cloud (AzureCloud, AzureUSGovernment, AzureChinaCloud) and its ARM URL. */
  readonly cloud: { readonly environment: string; readonly armUrl: string };
  /** The app's resource group as asked (flag, hosting.resource_group or the default); State.resourceGroup is the one used. */
  readonly resourceGroup: string;
  /**
   * Nobody named the resource group (no flag, no hosting.resource_group): setup may then put the app beside the
   * Azure DNS zones, so the pipeline's connection, scoped to that one group, can also write their records.
   */
  readonly resourceGroupIsDefault?: boolean | undefined;
  readonly app: string;
  readonly region: string;
  /** As asked (flag or hosting.dns_resource_group); State.dnsResourceGroup may be found in the subscription. */
  readonly dnsResourceGroup?: string | undefined;
  readonly devops?: DevOpsTarget | undefined;
  /** `--github OWNER/REPO`: the GitHub Actions route instead of Azure DevOps (github.ts). */
  readonly github?: GitHubTarget | undefined;
  /** Seconds to wait for CNAMEs at a DNS host outside Azure (0: print them and stop). */
  readonly waitDnsSeconds: number;
}

/** Freezes a request and everything in it (the config's lists too): a step that tries to change it throws. */
export function freezeRequest(r: SetupRequest): SetupRequest {
  const deep = <T>(value: T): T => {
    if (value && typeof value === 'object' && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const v of Object.values(value)) deep(v);
    }
    return value;
  };
  return deep(structuredClone(r));
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
  /** Makes the built folder live on the app (src/cli/production.ts; tests pass a loopback stand-in). */
  deployer: Deployer;
  /** The network I/O of the closing `mta-sts check` (src/cli/production.ts productionIO). */
  checkIO: CheckIO;
  /** How long to wait for the policy to be live before its TXT records are published (default 10 min). */
  liveWaitMs?: number;
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

/**
 * What the run knows and learns: observe returns it, plan reads it, and each step records in it what it made (the
 * app it created, the token it read, the config it wrote), so the steps after it and the report see the same facts.
 */
export interface State {
  /** The app's resource group: the request's, or the DNS zones' group when nobody named one (observe). */
  resourceGroup: string;
  /** The Azure DNS zones' resource group: the request's, or where observe found the domains' zones. */
  dnsResourceGroup?: string | undefined;
  /** The config as it is on disk now: the request's, then the one the config step wrote. */
  config: Config;
  /** The ARM service connection's name: the pipeline YAML's armServiceConnection, else DEFAULT_CONNECTION. */
  connectionName: string;
  /** The Azure DevOps client, once observe connected (with --devops-org). */
  devops?: DevOps;
  rgExists: boolean;
  /** `verificationId`: a Function App's customDomainVerificationId, the value of each asuid.mta-sts.<domain> TXT. */
  site?: { defaultHostname: string; sku?: string | undefined; verificationId?: string | undefined; scmHost?: string | undefined };
  /** Some mta-sts host of the config already serves exactly the config's policy: nothing to deploy. */
  policyLive: boolean;
  /** Every domain's _mta-sts (and, with tlsrpt, _smtp._tls) TXT record already says what the config says. */
  txtPublished: boolean;
  /**
   * hosting.kind function-app, before the app exists: its App Service plan (id once it exists) and whether its
   * storage account exists. An existing app keeps the plan and storage it has.
   */
  functionApp?: { planId?: string | undefined; storageExists: boolean };
  token?: string;
  bound: Map<string, StaticSiteCustomDomainOverviewARMResource>;
  zones: string[];
  /** The resource group of each zone in `zones`. */
  zoneGroups: Map<string, string>;
  project?: ProjectRef;
  /** `variables` are the group's others, kept on update (secrets come back without a value, which keeps them). */
  group?: { id: number; fingerprint?: string | undefined; variables?: Record<string, { value?: string; isSecret?: boolean; isReadOnly?: boolean }> | undefined };
  endpoint?: { id: string; servicePrincipalId?: string | undefined; failed?: string; issuer?: string | undefined; subject?: string | undefined };
  /** The pipeline's managed identity, the roles it still lacks, and whether it trusts the connection's tokens. */
  identity?: Identity | undefined;
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
  hostedJobs?: number | undefined;
  definition?: { id: number };
  repository?: { id: string; name: string; defaultBranch: string };
  githubConnectionId?: string;
  queueId?: number | undefined;
  groupAuthorized: boolean;
  endpointAuthorized: boolean;
  yaml?: { text: string; wanted: Record<string, string> };
  /** home/ differs from a fresh build of the config. */
  homeStale: boolean;
  /** The config, home/ or pipeline file have changes git has not committed (a run that stopped before its commit). */
  uncommitted: string[];
  filesChanged: Set<string>;
}

/** The state before anything is looked at: what the request says, nothing found yet. */
export function initialState(r: SetupRequest): State {
  return {
    resourceGroup: r.resourceGroup, dnsResourceGroup: r.dnsResourceGroup, config: r.config, connectionName: DEFAULT_CONNECTION,
    missingGrants: [], federated: false, githubFederated: false,
    rgExists: false, bound: new Map(), zones: [], zoneGroups: new Map(), groupAuthorized: false, endpointAuthorized: false,
    homeStale: false, uncommitted: [], filesChanged: new Set(), policyLive: false, txtPublished: false,
  };
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
  if (e instanceof DevOpsError || e instanceof DeployError) return printable(e.message);
  // Azure's answers, in any of their shapes, are read by the one reader; the advice comes with them.
  if (statusOf(e) !== undefined || /long-running operation/.test(String((e as Error)?.message))) {
    const a = readAzureError(e);
    return `Azure answered ${azureSaid(a)}; ${advice(a)}`;
  }
  return printable(e instanceof Error ? e.message : String(e));
}

export const rightsMissing = (e: unknown) => (e instanceof DevOpsError || e instanceof DeployError ? e.status : statusOf(e)) === 403;

/** Everything a part of setup works with, none of it changed by a run: the request, the injected parts, the clients, the kind's steps. */
export interface SetupContext {
  readonly r: SetupRequest;
  readonly d: SetupDeps;
  readonly arm: ArmClients;
  readonly resources: ResourceManagementClient;
  /** The Function App's storage account (AzureWebJobsStorage). */
  readonly storage: StorageManagementClient;
  readonly identities: IdentityClients;
  readonly reporter: Reporter;
  /** What differs between the hosting kinds in setup (src/azure/hosting.ts, the Azure half of the adapter). */
  readonly hosting: SetupHosting;
  /** The role the pipeline's identity needs on the app (src/azure/hosting.ts pipelineGrant). */
  readonly pipelineGrant: PipelineGrant;
  /** The CI targets the request names, in the order their steps run. */
  readonly ci: readonly CiTarget[];
}

/**
 * Setup's part of a hosting adapter (src/azure/setup/static-web-app.ts, function-app.ts): what it reads of the app,
 * the steps that create it, how its hosts are bound, and what the pipeline needs to deploy to it.
 */
export interface SetupHosting {
  /** Reads the app and what creating it needs (state.site, state.functionApp, state.token, state.bound); changes nothing. */
  observe(ctx: SetupContext, state: State): Promise<void>;
  /** The steps that create the app (and what it stands on) when it does not exist; warnings about one that does. */
  planApp(ctx: SetupContext, state: State, steps: Step[]): void;
  /** Binds every mta-sts.<domain> with its certificate; says which hosts still wait (the step is then not "done"). */
  bind(ctx: SetupContext, state: State): Promise<string | StepOutcome>;
  /** Makes the built folder live on the app, the first time (the pipeline deploys later changes); says how. */
  deploy(ctx: SetupContext, state: State): Promise<string>;
  /** The same deployment by hand, for someone with the rights. */
  deployCommand(ctx: SetupContext, state: State): string;
  /** The secret a pipeline needs to deploy to the app (a Static Web App's deployment token), or none. */
  pipelineSecret(ctx: SetupContext, state: State): PipelineSecret | undefined;
}

/**
 * Where the pipeline runs (Azure DevOps today; GitHub Actions goes beside it): what the target has already, read
 * after the app (observe), and the steps that give its pipeline what it needs (plan), after the app's and the
 * config's steps. src/azure/setup/ci-targets.ts says which targets a request names.
 */
export interface CiTarget {
  /** "Azure DevOps": for messages. */
  readonly name: string;
  observe(ctx: SetupContext, state: State): Promise<void>;
  plan(ctx: SetupContext, state: State, steps: Step[]): void;
  /** What is left for the user once the run is over (lines for the closing report), if anything. */
  nextSteps?(ctx: SetupContext, state: State): string[];
}

/** A secret a CI target must hold to deploy (Azure DevOps: the variable group's TOKEN_VARIABLE). */
export interface PipelineSecret {
  /** Known once the app exists (state.token). */
  value?: string | undefined;
  /** "the deployment token of APP" */
  what: string;
  /** The command that prints it, for doing it by hand. */
  show: string;
}

export function line(ctx: SetupContext, text: string): void {
  ctx.d.out.out(`${text}\n`);
}

/** The role a pipeline's identity needs on the app, by the kind's adapter. */
export type PipelineGrant = (where: { subscription: string; resourceGroup: string; app: string }) => RoleGrant;

/** Where the pipeline's identity needs rights: the app, and the DNS zones' resource groups (wantedGrants). */
export interface GrantsWanted {
  /** The role on the app, from the kind's adapter (src/azure/hosting.ts pipelineGrant). */
  app: RoleGrant;
  subscription: string;
  dnsResourceGroup?: string | undefined;
  domains: readonly string[];
  zones: readonly string[];
  zoneGroups: ReadonlyMap<string, string>;
}

/**
 * The roles the pipeline's identity needs: the kind's role on the app (its adapter says which), DNS Zone
 * Contributor on the DNS zones' groups.
 */
export function wantedGrants(w: GrantsWanted): RoleGrant[] {
  const sub = `/subscriptions/${w.subscription}`;
  const grants: RoleGrant[] = [w.app];
  // DNS Zone Contributor on the resource group of each zone that holds a domain (a role per zone's group).
  const groups = new Set<string>();
  for (const domain of w.domains) {
    const zone = w.dnsResourceGroup ? zoneFor(`mta-sts.${domain}`, w.zones) : undefined;
    if (zone) groups.add(w.zoneGroups.get(zone.zone) ?? w.dnsResourceGroup!);
  }
  if (groups.size === 0 && w.dnsResourceGroup) groups.add(w.dnsResourceGroup);
  for (const g of [...groups].sort()) grants.push({ role: 'DNS Zone Contributor', scope: `${sub}/resourceGroups/${g}` });
  return grants;
}

/** wantedGrants for this run: the kind's role on the app, and the zones observe found. */
export function grantsFor(ctx: SetupContext, state: State): RoleGrant[] {
  const { r } = ctx;
  return wantedGrants({
    app: ctx.pipelineGrant({ subscription: r.subscription.id, resourceGroup: state.resourceGroup, app: r.app }),
    subscription: r.subscription.id, dnsResourceGroup: state.dnsResourceGroup, domains: r.config.domains, zones: state.zones, zoneGroups: state.zoneGroups,
  });
}
