// `mta-sts azure setup`: one idempotent run from "domains in the config" to a pipeline that can deploy. It looks
// at what exists (resource group, Static Web App, config keys, Azure DevOps variable group, service connection,
// pipeline and its permissions, custom domains), prints a numbered plan of what is missing, asks once, then does
// it step by step. Every step re-reads before it writes, so a second run, or a run after a half-finished one,
// only does what is still missing. The deployment token is read into memory and sent to Azure DevOps only.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { StaticSiteCustomDomainOverviewARMResource } from '@azure/arm-appservice';
import { ResourceManagementClient, type ResourceManagementClientOptionalParams } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/identity';
import { isMap, isSeq, parseDocument } from 'yaml';
import { checkPolicyFetch, type PolicyFetchIO } from '../check/policy-checks.ts';
import { parseConfig, type Config } from '../config/config.ts';
import { editConfigFile, type ConfigEdit } from '../config/edit.ts';
import { POLICY_PATH } from '../rfc/policy.ts';
import { dnsRecords, zoneFileLines, type DnsRecord } from '../site/records.ts';
import { askDns } from '../check/dns.ts';
import { printable } from '../printable.ts';
import { writeFileAtomic } from '../write-file-atomic.ts';
import { Reporter, type Output } from './annotations.ts';
import { armClients, statusOf, type ArmClients } from './arm.ts';
import { advice, azureSaid, readAzureError } from './azure-error.ts';
import { bindDomains } from './bind.ts';
import { listZones } from './dns-zones.ts';
import { DevOps, DevOpsError, devopsToken, type ProjectRef } from './devops.ts';
import { clockOf, poll } from './retry.ts';
import { zoneFor } from './zones.ts';

const run = promisify(execFile);

/** Names Azure DevOps and the pipeline YAML already use for these (README, azure-pipelines.yml). */
export const VARIABLE_GROUP = 'mta-sts';
export const TOKEN_VARIABLE = 'deployment_token';
export const DEFAULT_CONNECTION = 'mta-sts-azure';
export const PIPELINE_FILE = 'azure-pipelines.yml';
export const DEFAULT_REGION = 'westeurope';
export const DEFAULT_RESOURCE_GROUP = 'rg-mta-sts';

/** Static Web Apps can be created in these regions (content is served worldwide from any of them). */
export const SWA_REGIONS = ['centralus', 'eastus2', 'westus2', 'westeurope', 'eastasia'] as const;

/** The app name `setup` proposes: mta-sts-<first domain>, within Azure's 40 letters, digits and hyphens. */
export function defaultAppName(config: Config): string {
  return `mta-sts-${config.domains[0]!.replace(/\./g, '-')}`.slice(0, 40).replace(/-+$/, '');
}

export type RepositoryRef =
  | { type: 'TfsGit'; name: string }
  | { type: 'GitHub'; fullName: string; connection: string };

export interface DevOpsTarget {
  orgUrl: string;
  project: string;
  repository: RepositoryRef;
  pipelineName: string;
}

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
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Bounds for the binding retries (tests shorten them). */
  bindAttempts?: number;
  bindDelayMs?: number;
  pollIntervalMs?: number;
}

/** One line of the plan and how to do it. */
interface Step {
  key: string;
  title: string;
  /** Steps that must have succeeded first. */
  needs: string[];
  /** What is left to do by hand when this step cannot be done here (no rights, for instance). */
  byHand: string;
  /** A string is the detail of "done"; a StepOutcome says the step did not (fully) happen and why. */
  apply: () => Promise<string | void | StepOutcome>;
}

/** A step that ran but is not done: it waits on something outside this run. */
interface StepOutcome { state: 'waiting'; detail: string }

/** What the run knows and learns; filled by the observation, then by each step. */
interface State {
  rgExists: boolean;
  site?: { defaultHostname: string; sku?: string };
  token?: string;
  bound: Map<string, StaticSiteCustomDomainOverviewARMResource>;
  zones: string[];
  project?: ProjectRef;
  /** `variables` are the group's others, kept on update (secrets come back without a value, which keeps them). */
  group?: { id: number; fingerprint?: string; variables?: Record<string, { value?: string; isSecret?: boolean; isReadOnly?: boolean }> };
  endpoint?: { id: string; servicePrincipalId?: string; failed?: string };
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
function hostName(value: string | undefined): string {
  const name = (value ?? '').toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(name)) throw new StepFailure(`Azure reported an unusable default host name for the app (${printable(name) || 'none'})`);
  return name;
}

/** A service principal id from Azure DevOps, kept only when it is a GUID (it goes into a printed command). */
const guid = (value: string | undefined) => (value && /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(value) ? value : undefined);

const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 16);
const groupDescription = (app: string, token: string) =>
  `Deployment token of the Static Web App ${app}, set by mta-sts azure setup (sha256 fingerprint ${fingerprint(token)})`;
const fingerprintIn = (description: string | undefined) => /fingerprint ([0-9a-f]{16})/.exec(description ?? '')?.[1];

/** A failure of one step, with what remains to be done by hand when it is about rights. */
class StepFailure extends Error {}

function describe(e: unknown): string {
  if (e instanceof DevOpsError) return printable(e.message);
  // Azure's answers, in any of their shapes, are read by the one reader; the advice comes with them.
  if (statusOf(e) !== undefined || /long-running operation/.test(String((e as Error)?.message))) {
    const a = readAzureError(e);
    return `Azure answered ${azureSaid(a)}; ${advice(a)}`;
  }
  return printable(e instanceof Error ? e.message : String(e));
}

const rightsMissing = (e: unknown) => (e instanceof DevOpsError ? e.status : statusOf(e)) === 403;


/**
 * azure-pipelines.yml with the named `variables:` entries set, through the yaml Document API so comments and
 * layout survive. Only variables the file already declares are set; returns the text unchanged when they match.
 */
export function setPipelineVariables(text: string, wanted: Record<string, string>): string {
  const doc = parseDocument(text);
  const variables = isMap(doc.contents) ? doc.contents.get('variables', true) : undefined;
  if (!isSeq(variables)) return text;
  let changed = false;
  for (const item of variables.items) {
    if (!isMap(item)) continue;
    const name = item.get('name');
    if (typeof name === 'string' && Object.hasOwn(wanted, name) && item.get('value') !== wanted[name]) {
      item.set('value', wanted[name]);
      changed = true;
    }
  }
  return changed ? doc.toString() : text;
}

/** The value of a `variables:` entry of the pipeline YAML, or undefined when it is not declared. */
export function pipelineVariable(text: string, name: string): string | undefined {
  const doc = parseDocument(text);
  const variables = isMap(doc.contents) ? doc.contents.get('variables', true) : undefined;
  if (!isSeq(variables)) return undefined;
  for (const item of variables.items) {
    if (isMap(item) && item.get('name') === name) return String(item.get('value') ?? '');
  }
  return undefined;
}

export class Setup {
  private readonly arm: ArmClients;
  private readonly resources: ResourceManagementClient;
  private devops?: DevOps;
  private readonly reporter: Reporter;
  private readonly state: State = {
    rgExists: false, bound: new Map(), zones: [], groupAuthorized: false, endpointAuthorized: false,
    homeStale: false, uncommitted: [], filesChanged: new Set(),
  };
  private connectionName = DEFAULT_CONNECTION;

  constructor(private readonly r: SetupRequest, private readonly d: SetupDeps) {
    const connection = { endpoint: r.armEndpoint, subscription: r.subscription.id, credential: d.credential, ca: d.armCa };
    this.arm = armClients(connection);
    const endpoint = r.armEndpoint.replace(/\/+$/, '');
    this.resources = new ResourceManagementClient(d.credential, r.subscription.id, {
      endpoint, $host: endpoint, credentialScopes: [`${endpoint}/.default`], ...(d.armCa ? { tlsOptions: { ca: d.armCa } } : {}),
    } as ResourceManagementClientOptionalParams);
    this.reporter = new Reporter(d.out, d.env);
  }

  private line(text: string): void {
    this.d.out.out(`${text}\n`);
  }

  /** The whole run; the exit code (0 done or only waiting on the user's DNS, 1 a step failed). */
  async run(): Promise<number> {
    let steps: Step[];
    try {
      await this.observe();
      steps = this.plan();
    } catch (e) {
      this.reporter.fail(`${e instanceof StepFailure ? e.message : `reading the current state failed: ${describe(e)}`}. Nothing was changed; fix that and run the same command again.`);
      return 1;
    }

    if (steps.length === 0) {
      this.line('Nothing to change: every resource and setting is already in place.');
    } else {
      this.line(`Plan (${steps.length} change${steps.length === 1 ? '' : 's'}):`);
      steps.forEach((s, i) => this.line(`  ${String(i + 1).padStart(2)}. ${s.title}`));
      if (!(await this.d.confirm(`Apply these ${steps.length} changes? [y/N] `))) {
        this.line('Nothing was changed.');
        return 0;
      }
      if (!(await this.apply(steps))) {
        await this.finalState();
        return 1;
      }
    }

    await this.waitForExternalCnames();
    await this.finalState();
    this.nextSteps();
    return this.reporter.finish();
  }

  // ------------------------------------------------------------------------------------------------ observe

  private async observe(): Promise<void> {
    const { r, state } = this;
    if (r.resourceGroupIsDefault && !r.dnsResourceGroup) {
      await this.findDnsZones();
      if (r.dnsResourceGroup && !(await this.groupExists(r.resourceGroup))) {
        r.resourceGroup = r.dnsResourceGroup;
        this.line(`Using resource group ${r.resourceGroup} for the app too: the pipeline's connection, scoped to it, can then write the DNS records.`);
      }
    }
    try {
      await this.resources.resourceGroups.get(r.resourceGroup);
      state.rgExists = true;
    } catch (e) {
      if (statusOf(e) !== 404) throw new StepFailure(`cannot read resource group ${r.resourceGroup}: ${describe(e)}`, { cause: e });
    }
    if (state.rgExists) {
      try {
        const site = await this.arm.web.staticSites.getStaticSite(r.resourceGroup, r.app);
        state.site = { defaultHostname: hostName(site.defaultHostname), sku: printable(site.sku?.name ?? '') || undefined };
      } catch (e) {
        if (statusOf(e) !== 404) throw new StepFailure(`cannot read Static Web App ${r.app}: ${describe(e)}`, { cause: e });
      }
    }
    if (state.site) {
      state.token = await this.readToken();
      for await (const d of this.arm.web.staticSites.listStaticSiteCustomDomains(r.resourceGroup, r.app)) {
        const name = (d.domainName ?? d.name ?? '').toLowerCase();
        if (name) state.bound.set(name, d);
      }
    }
    if (!r.dnsResourceGroup) await this.findDnsZones();
    if (r.dnsResourceGroup) {
      try {
        state.zones = await listZones(this.arm.dns, r.dnsResourceGroup);
      } catch (e) {
        throw new StepFailure(`cannot list the Azure DNS zones in resource group ${r.dnsResourceGroup}: ${describe(e)}`, { cause: e });
      }
    }
    const yamlPath = resolve(r.cwd, PIPELINE_FILE);
    const yamlText = await readFile(yamlPath, 'utf8').catch(() => undefined);
    if (yamlText !== undefined) {
      const named = pipelineVariable(yamlText, 'armServiceConnection');
      if (named) this.connectionName = named;
      // Older pipeline files also name the app and resource groups in variables; keep them in line with the config.
      const wanted: Record<string, string> = { armServiceConnection: this.connectionName, swaName: r.app, swaResourceGroup: r.resourceGroup };
      if (r.dnsResourceGroup) wanted.dnsResourceGroup = r.dnsResourceGroup;
      state.yaml = { text: yamlText, wanted };
    }
    const site = await import('../site/build.ts');
    state.homeStale = (await site.staleFiles(r.config, resolve(r.cwd, 'home'))).length > 0;
    state.uncommitted = await this.uncommittedFiles();
    if (r.devops) await this.observeDevOps(r.devops);
  }

  private async groupExists(name: string): Promise<boolean> {
    try {
      await this.resources.resourceGroups.get(name);
      return true;
    } catch (e) {
      if (statusOf(e) !== 404) throw new StepFailure(`cannot read resource group ${name}: ${describe(e)}`, { cause: e });
      return false;
    }
  }

  /**
   * Without hosting.dns_resource_group: the resource group of the subscription's Azure DNS zones that hold the
   * domains, so users with zones in Azure DNS need not name it. Zones the caller cannot list are simply not used.
   */
  private async findDnsZones(): Promise<void> {
    const byGroup = new Map<string, number>();
    try {
      for await (const zone of this.arm.dns.zones.list()) {
        const group = /\/resourceGroups\/([^/]+)\//i.exec(zone.id ?? '')?.[1];
        const name = (zone.name ?? '').toLowerCase();
        if (!group || !name) continue;
        const holds = this.r.config.domains.filter((d) => zoneFor(`mta-sts.${d}`, [name])).length;
        if (holds > 0) byGroup.set(group, (byGroup.get(group) ?? 0) + holds);
      }
    } catch (e) {
      this.line(`(could not list the subscription's Azure DNS zones: ${describe(e)}; DNS records are printed instead)`);
      return;
    }
    const best = [...byGroup].sort((a, b) => b[1] - a[1])[0];
    if (best) {
      this.r.dnsResourceGroup = best[0];
      this.line(`Found the Azure DNS zones of ${best[1]} of ${this.r.config.domains.length} domain(s) in resource group ${best[0]}.`);
    }
  }

  /** The files setup writes that git reports as changed; none outside a git work tree. */
  private async uncommittedFiles(): Promise<string[]> {
    const files = [this.r.configFile, 'home', PIPELINE_FILE];
    try {
      const { stdout } = await run('git', ['status', '--porcelain', '--', ...files], { cwd: this.r.cwd });
      return files.filter((f) => stdout.split('\n').some((l) => {
        const path = l.slice(3);
        return path === f || path.startsWith(`${f}/`);
      }));
    } catch {
      return [];
    }
  }

  private async readToken(): Promise<string> {
    try {
      const secrets = await this.arm.web.staticSites.listStaticSiteSecrets(this.r.resourceGroup, this.r.app);
      const token = secrets.properties?.apiKey;
      if (!token) throw new Error('Azure returned no apiKey');
      return token;
    } catch (e) {
      throw new StepFailure(`cannot read the deployment token of ${this.r.app}: ${describe(e)}`, { cause: e });
    }
  }

  private async observeDevOps(target: DevOpsTarget): Promise<void> {
    const { state } = this;
    let token: string;
    try {
      token = await devopsToken(this.d.credential);
    } catch (e) {
      throw new StepFailure(`cannot get an Azure DevOps token from az: ${describe(e)} (run az login)`, { cause: e });
    }
    const devops = (this.devops = DevOps.connect(target.orgUrl, token, { caFile: this.d.devopsCaFile }));
    const at = `Azure DevOps ${target.orgUrl}`;
    const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (e) {
        throw new StepFailure(`${what} in ${at}: ${describe(e)}`, { cause: e });
      }
    };
    state.project = await wrap('reading the project', () => devops.project(target.project));
    const p = target.project;
    const repo = target.repository;
    if (repo.type === 'TfsGit') {
      const found = await wrap('reading the repository', () => devops.repository(p, repo.name));
      if (!found?.id) throw new StepFailure(`repository ${repo.name} does not exist in project ${p} of ${at}; import or push this repository there first, or pass --repository NAME`);
      state.repository = { id: found.id, name: found.name ?? repo.name, defaultBranch: found.defaultBranch ?? 'refs/heads/main' };
    } else {
      const connection = await wrap('reading the GitHub service connection', () => devops.serviceEndpoint(p, repo.connection));
      if (!connection?.id || connection.type?.toLowerCase() !== 'github') {
        throw new StepFailure(`no GitHub service connection named ${repo.connection} in project ${p}; create one (Project settings > Service connections > New > GitHub), then run the same command again`);
      }
      state.githubConnectionId = connection.id;
    }
    const group = await wrap('reading the variable group', () => devops.variableGroup(p, VARIABLE_GROUP));
    if (group?.id !== undefined) {
      const secret = group.variables?.[TOKEN_VARIABLE]?.isSecret === true;
      state.group = { id: group.id, fingerprint: secret ? fingerprintIn(group.description) : undefined, variables: group.variables };
    }
    const endpoint = await wrap('reading the service connection', () => devops.serviceEndpoint(p, this.connectionName));
    if (endpoint?.id) {
      const status = endpoint.operationStatus as { state?: string; statusMessage?: string } | undefined;
      state.endpoint = { id: endpoint.id, servicePrincipalId: guid(endpoint.authorization?.parameters?.serviceprincipalid) };
      if (status?.state === 'Failed') state.endpoint.failed = printable(status.statusMessage || 'no reason given');
    }
    const definition = await wrap('reading the pipeline', () => devops.definition(p, target.pipelineName));
    if (definition?.id !== undefined) state.definition = { id: definition.id };
    if (!state.definition) state.queueId = await wrap('reading the agent queue', () => devops.agentQueue(p, 'Azure Pipelines'));
    if (state.definition && state.group) {
      state.groupAuthorized = (await wrap('reading pipeline permissions', () => devops.authorizedPipelines(p, 'variablegroup', String(state.group!.id)))).includes(state.definition.id);
    }
    if (state.definition && state.endpoint) {
      state.endpointAuthorized = (await wrap('reading pipeline permissions', () => devops.authorizedPipelines(p, 'endpoint', state.endpoint!.id))).includes(state.definition.id);
    }
  }

  // ------------------------------------------------------------------------------------------------ plan

  private plan(): Step[] {
    const { r, state } = this;
    const steps: Step[] = [];
    const sku = r.config.hosting.plan === 'free' ? 'Free' : 'Standard';
    if (!state.rgExists) {
      steps.push({
        key: 'rg', needs: [], title: `Create resource group ${r.resourceGroup} in ${r.region}`,
        byHand: `az group create -n ${r.resourceGroup} -l ${r.region}`,
        apply: async () => {
          await this.resources.resourceGroups.createOrUpdate(r.resourceGroup, { location: r.region, tags: { 'managed-by': 'mta-sts' } });
          state.rgExists = true;
        },
      });
    }
    if (!state.site) {
      steps.push({
        key: 'app', needs: state.rgExists ? [] : ['rg'], title: `Create Static Web App ${r.app} (${sku} plan) in ${r.region}`,
        byHand: `az staticwebapp create -n ${r.app} -g ${r.resourceGroup} -l ${r.region} --sku ${sku}`,
        apply: async () => {
          const site = await this.arm.web.staticSites.beginCreateOrUpdateStaticSiteAndWait(r.resourceGroup, r.app, {
            location: r.region, sku: { name: sku, tier: sku }, stagingEnvironmentPolicy: 'Disabled', allowConfigFileUpdates: true,
            tags: { 'managed-by': 'mta-sts' },
          }, this.d.pollIntervalMs !== undefined ? { updateIntervalInMs: this.d.pollIntervalMs } : undefined);
          if (!site.defaultHostname) throw new Error('Azure created the app but reported no default host name; run the same command again');
          state.site = { defaultHostname: hostName(site.defaultHostname), sku: printable(site.sku?.name ?? '') || undefined };
          state.token = await this.readToken();
          return `default host name ${state.site.defaultHostname}`;
        },
      });
    } else if (state.site.sku && state.site.sku.toLowerCase() !== r.config.hosting.plan) {
      this.reporter.warn(`${r.app} is on the ${state.site.sku} plan but hosting.plan is ${r.config.hosting.plan}; setup does not change an app's plan (billing): change it in the portal (Static Web App > Hosting plan) or set hosting.plan to match`);
    }

    const edits = this.configEdits();
    if (edits.length > 0 || state.homeStale) {
      steps.push({
        key: 'config', needs: state.site ? [] : ['app'],
        title: edits.length > 0 ? `Write ${edits.map((e) => `hosting.${e.path[1]}`).join(', ')} to ${r.configFile} and rebuild home/` : 'Rebuild home/ from the config',
        byHand: `set ${edits.map((e) => `hosting.${e.path[1]}`).join(', ')} in ${r.configFile}, then run npm run build`,
        apply: () => this.writeConfig(),
      });
    }

    if (r.devops && state.project) this.planDevOps(r.devops, state.project, steps);

    const unbound = r.config.domains.filter((domain) => {
      const d = state.bound.get(`mta-sts.${domain}`);
      return !d || d.status === 'Failed';
    });
    if (unbound.length > 0) {
      const how = unbound.map((domain) => {
        const zone = r.dnsResourceGroup ? zoneFor(`mta-sts.${domain}`, state.zones) : undefined;
        return zone ? `mta-sts.${domain} (CNAME in Azure DNS zone ${zone.zone})` : `mta-sts.${domain} (once its CNAME exists at your DNS host)`;
      });
      steps.push({
        key: 'bind', needs: state.site ? [] : ['app'], title: `Bind ${how.join(', ')} to ${r.app}`,
        byHand: `npx mta-sts azure bind --config ${r.configFile}`,
        apply: () => this.bind(),
      });
    }

    if (steps.some((s) => s.key === 'config' || s.key === 'yaml') || state.uncommitted.length > 0) {
      for (const f of state.uncommitted) state.filesChanged.add(f);
      steps.push({
        key: 'commit', needs: [], title: `Commit the changed files (${r.configFile}, home/${state.yaml ? `, ${PIPELINE_FILE}` : ''}) for you to push`,
        byHand: `git add ${r.configFile} home ${PIPELINE_FILE} && git commit -m "MTA-STS setup"`,
        apply: () => this.commit(),
      });
    }
    return steps;
  }

  private configEdits(): ConfigEdit[] {
    const { r, state } = this;
    const h = r.config.hosting;
    const wanted: [string, string | undefined][] = [
      ['app', r.app],
      ['resource_group', r.resourceGroup],
      ['subscription', r.subscription.id],
      // Known only once the app exists; the step that writes the config runs after the app is created.
      ['default_hostname', state.site?.defaultHostname ?? (h.default_hostname ? undefined : '(new app)')],
      ['dns_resource_group', r.dnsResourceGroup],
    ];
    return wanted
      .filter(([key, value]) => value !== undefined && (h as Record<string, string | undefined>)[key] !== value)
      .map(([key, value]) => ({ path: ['hosting', key], value }));
  }

  private async writeConfig(): Promise<string> {
    const { r, state } = this;
    const edits = this.configEdits();
    const changed = await editConfigFile(r.configPath, edits, r.configFile);
    if (changed) state.filesChanged.add(r.configFile);
    const text = await readFile(r.configPath, 'utf8');
    const parsed = parseConfig(text, r.configFile);
    if (!parsed.ok) throw new Error(`${r.configFile} no longer parses after the edit`);
    // The site is built from the config; home/ is committed with it (README: Edit the config).
    const site = await import('../site/build.ts');
    const home = resolve(r.cwd, 'home');
    if (await site.buildSite(parsed.config, home)) state.filesChanged.add('home');
    r.config = parsed.config;
    return `${edits.map((e) => `hosting.${e.path[1]}: ${String(e.value)}`).join(', ')}`;
  }

  private planDevOps(target: DevOpsTarget, project: ProjectRef, steps: Step[]): void {
    const { r, state } = this;
    const devops = this.devops!;
    const p = target.project;
    const library = `Pipelines > Library > + Variable group "${VARIABLE_GROUP}" with the secret variable ${TOKEN_VARIABLE} (the token: az staticwebapp secrets list -n ${r.app} -g ${r.resourceGroup} --query properties.apiKey -o tsv)`;
    const tokenCurrent = state.group?.fingerprint !== undefined && state.token !== undefined && state.group.fingerprint === fingerprint(state.token);
    if (!state.group || !tokenCurrent) {
      steps.push({
        key: 'group', needs: state.site ? [] : ['app'],
        title: state.group
          ? `Update variable group ${VARIABLE_GROUP} in project ${p}: ${TOKEN_VARIABLE} = the deployment token of ${r.app} (secret)`
          : `Create variable group ${VARIABLE_GROUP} in project ${p} with ${TOKEN_VARIABLE} = the deployment token of ${r.app} (secret)`,
        byHand: library,
        apply: async () => {
          const token = state.token!;
          const saved = await devops.saveVariableGroup(project, {
            id: state.group?.id, name: VARIABLE_GROUP, description: groupDescription(r.app, token),
            variables: { ...state.group?.variables, [TOKEN_VARIABLE]: { value: token, isSecret: true } },
          });
          state.group = { id: saved.id!, fingerprint: fingerprint(token), variables: saved.variables };
        },
      });
    }

    if (state.endpoint?.failed) {
      // Its name is taken, so it cannot be created again; only deleting or repairing it helps.
      const why = state.endpoint.failed;
      steps.push({
        key: 'endpoint', needs: [], title: `Service connection ${this.connectionName} exists but Azure DevOps reports it failed (${why})`,
        byHand: `Project settings > Service connections > ${this.connectionName}: fix it (for example "Convert" or edit and verify), or delete it so this command creates it again`,
        apply: async () => {
          throw new Error(`service connection ${this.connectionName} is in a failed state; delete it (Project settings > Service connections > ${this.connectionName} > Delete) and run the same command again`);
        },
      });
    } else if (!state.endpoint) {
      steps.push({
        key: 'endpoint', needs: state.rgExists ? [] : ['rg'],
        title: `Create service connection ${this.connectionName} in project ${p} (Azure Resource Manager, workload identity federation, automatic, scoped to ${r.resourceGroup})`,
        byHand: `Project settings > Service connections > New service connection > Azure Resource Manager > Workload identity federation (automatic), subscription ${r.subscription.name}, resource group ${r.resourceGroup}, name ${this.connectionName}`,
        apply: async () => {
          const tenantId = r.subscription.tenantId;
          if (!tenantId) throw new Error('the Entra tenant of the subscription is unknown (az login, then run again)');
          const endpoint = await devops.createArmEndpoint(project, {
            name: this.connectionName, tenantId, subscriptionId: r.subscription.id, subscriptionName: r.subscription.name,
            resourceGroup: r.resourceGroup, armUrl: `${r.cloud.armUrl.replace(/\/+$/, '')}/`, environment: r.cloud.environment,
          });
          state.endpoint = { id: endpoint.id!, servicePrincipalId: guid(endpoint.authorization?.parameters?.serviceprincipalid) };
        },
      });
    }

    if (state.yaml && state.yaml.text !== setPipelineVariables(state.yaml.text, state.yaml.wanted)) {
      const changes = Object.entries(state.yaml.wanted).filter(([k, v]) => {
        const now = pipelineVariable(state.yaml!.text, k);
        return now !== undefined && now !== v;
      });
      // The pipeline fails to start when armServiceConnection names a connection that does not exist.
      steps.push({
        key: 'yaml', needs: state.endpoint && !state.endpoint.failed ? [] : ['endpoint'], title: `Set ${changes.map(([k, v]) => `${k}: '${v}'`).join(', ')} in ${PIPELINE_FILE}`,
        byHand: `edit the variables at the top of ${PIPELINE_FILE}`,
        apply: async () => {
          const path = resolve(r.cwd, PIPELINE_FILE);
          const current = await readFile(path, 'utf8');
          const next = setPipelineVariables(current, state.yaml!.wanted);
          if (next !== current) {
            await writeFileAtomic(path, next);
            state.filesChanged.add(PIPELINE_FILE);
          }
        },
      });
    }

    if (!state.definition) {
      const repo = target.repository;
      const where = repo.type === 'TfsGit' ? `Azure Repos repository ${repo.name}` : `GitHub repository ${repo.fullName} (connection ${repo.connection})`;
      steps.push({
        key: 'pipeline', needs: [], title: `Create pipeline ${target.pipelineName} in project ${p} from /${PIPELINE_FILE} of ${where}`,
        byHand: `Pipelines > New pipeline > ${repo.type === 'TfsGit' ? 'Azure Repos Git' : 'GitHub'} > the repository > Existing Azure Pipelines YAML file > /${PIPELINE_FILE} > Save`,
        apply: async () => {
          if (state.queueId === undefined) throw new Error('project has no agent queue "Azure Pipelines" (Project settings > Agent pools)');
          const repository = repo.type === 'TfsGit'
            ? { type: 'TfsGit' as const, id: state.repository!.id, name: state.repository!.name, defaultBranch: state.repository!.defaultBranch }
            : { type: 'GitHub' as const, fullName: repo.fullName, connectionId: state.githubConnectionId!, defaultBranch: 'refs/heads/main' };
          const created = await devops.createYamlDefinition(project, { name: target.pipelineName, yamlPath: PIPELINE_FILE, repository, queueId: state.queueId });
          state.definition = { id: created.id! };
        },
      });
    }

    if (!state.groupAuthorized) {
      steps.push({
        key: 'perm-group', needs: [...(state.group ? [] : ['group']), ...(state.definition ? [] : ['pipeline'])],
        title: `Allow pipeline ${target.pipelineName} to use variable group ${VARIABLE_GROUP} (no "Permit" prompt on the first run)`,
        byHand: `Pipelines > Library > ${VARIABLE_GROUP} > Pipeline permissions > + > ${target.pipelineName}`,
        apply: async () => {
          await devops.authorizePipeline(p, 'variablegroup', String(state.group!.id), state.definition!.id);
          state.groupAuthorized = true;
        },
      });
    }
    if (!state.endpointAuthorized) {
      steps.push({
        key: 'perm-endpoint', needs: [...(state.endpoint && !state.endpoint.failed ? [] : ['endpoint']), ...(state.definition ? [] : ['pipeline'])],
        title: `Allow pipeline ${target.pipelineName} to use service connection ${this.connectionName}`,
        byHand: `Project settings > Service connections > ${this.connectionName} > ... > Security > Pipeline permissions > + > ${target.pipelineName}`,
        apply: async () => {
          await devops.authorizePipeline(p, 'endpoint', state.endpoint!.id, state.definition!.id);
          state.endpointAuthorized = true;
        },
      });
    }
  }

  // ------------------------------------------------------------------------------------------------ apply

  private async apply(steps: Step[]): Promise<boolean> {
    const done: number[] = [];
    const failedAt: number[] = [];
    const skipped: number[] = [];
    const failed = new Set<string>();
    const byHand: string[] = [];
    for (const [i, step] of steps.entries()) {
      const n = `[${i + 1}/${steps.length}]`;
      if (step.needs.some((k) => failed.has(k))) {
        failed.add(step.key);
        skipped.push(i + 1);
        this.line(`${n} ${step.title}: skipped (it needs a step that failed)`);
        continue;
      }
      try {
        const detail = await step.apply();
        done.push(i + 1);
        if (typeof detail === 'object') this.line(`${n} ${step.title}: ${detail.state} (${detail.detail})`);
        else this.line(`${n} ${step.title}: done${detail ? ` (${detail})` : ''}`);
      } catch (e) {
        failed.add(step.key);
        failedAt.push(i + 1);
        this.reporter.fail(`${n} ${step.title}: failed: ${describe(e)}`);
        if (rightsMissing(e)) byHand.push(`${step.title}: you lack the rights for this step; someone who has them can do it by hand: ${step.byHand}`);
      }
    }
    if (failed.size === 0) return true;
    const list = (xs: number[]) => (xs.length ? xs.join(', ') : 'none');
    this.line('');
    this.line(`Done: steps ${list(done)}. Failed: ${list(failedAt)}. Skipped: ${list(skipped)}. ${this.r.configFile} is either fully updated or unchanged.`);
    for (const b of byHand) this.line(`By hand: ${b}`);
    this.line('Run the same command again to continue from here: it only does what is still missing.');
    return false;
  }

  /** Binds what can be bound; says which hosts still wait for their CNAME (the step is then not "done"). */
  private async bind(): Promise<string | StepOutcome> {
    const { r, state } = this;
    const before = this.reporter.failures;
    // Reuses `mta-sts azure bind`: CNAMEs in Azure DNS, validation retries, already-bound hosts skipped.
    await bindDomains({
      config: r.config, target: { app: r.app, resourceGroup: r.resourceGroup, dnsResourceGroup: r.dnsResourceGroup },
      clients: this.arm, web: this.d.web, reporter: this.reporter,
      attempts: this.d.bindAttempts, baseDelayMs: this.d.bindDelayMs, sleep: this.d.sleep, pollIntervalMs: this.d.pollIntervalMs,
      throttle: { sleep: this.d.sleep },
    });
    state.bound.clear();
    for await (const d of this.arm.web.staticSites.listStaticSiteCustomDomains(r.resourceGroup, r.app)) {
      const name = (d.domainName ?? d.name ?? '').toLowerCase();
      if (name) state.bound.set(name, d);
    }
    if (this.reporter.failures > before) throw new Error('binding failed for a domain (see the error above)');
    const hosts = r.config.domains.map((d) => `mta-sts.${d}`);
    const bound = hosts.filter((h) => state.bound.has(h) && state.bound.get(h)!.status !== 'Failed');
    const waiting = hosts.filter((h) => !bound.includes(h));
    if (waiting.length === 0) return `bound ${bound.join(', ')}`;
    return { state: 'waiting', detail: `${bound.length > 0 ? `bound ${bound.join(', ')}; ` : 'nothing bound yet; '}${waiting.join(', ')} wait${waiting.length === 1 ? 's' : ''} for the CNAME at your DNS host (below)` };
  }

  private async commit(): Promise<string> {
    const { r, state } = this;
    const files = [...state.filesChanged];
    if (files.length === 0) return 'no file changed';
    const git = (...args: string[]) => run('git', args, { cwd: r.cwd });
    try {
      await git('rev-parse', '--is-inside-work-tree');
    } catch {
      return `not a git repository: commit and push ${files.join(', ')} yourself`;
    }
    await git('add', '--', ...files);
    const staged = await git('diff', '--cached', '--name-only', '--', ...files);
    if (staged.stdout.trim() === '') return 'already committed';
    await git('commit', '-q', '-m', 'MTA-STS: azure setup wrote the Azure names into the config and pipeline', '--', ...files);
    return `committed ${files.join(', ')}; push it`;
  }

  // ------------------------------------------------------------------------------------------------ DNS elsewhere

  /** Hosts whose CNAME must be made at a DNS host outside Azure and is not bound yet. */
  private externalPending(): string[] {
    const { r, state } = this;
    return r.config.domains.filter((domain) => {
      const host = `mta-sts.${domain}`;
      const d = state.bound.get(host);
      const inAzure = r.dnsResourceGroup && zoneFor(host, state.zones);
      return (!d || d.status === 'Failed') && !inAzure;
    });
  }

  private async waitForExternalCnames(): Promise<void> {
    const { r, state } = this;
    if (!state.site) return;
    let pending = this.externalPending();
    if (pending.length === 0) return;
    const target = state.site.defaultHostname;
    this.line('');
    this.line('Create these records at your DNS host (one per domain):');
    for (const domain of pending) this.line(`  mta-sts.${domain}. 3600 IN CNAME ${target}.`);
    if (r.waitDnsSeconds <= 0) {
      this.reporter.warn(`mta-sts.<domain> is not bound yet for ${pending.join(', ')}: create the CNAME record(s) above, then run the same command again (or pass --wait-dns SECONDS to wait for them)`);
      return;
    }
    const clock = clockOf(this.d);
    const deadline = clock.now() + r.waitDnsSeconds * 1000;
    let lastLine: number | undefined;
    const lookupFailures = new Set<string>();
    let bindFailed = false;
    // Rounds of 10 s at most, plus one round per domain that binds: bounded in count and in time.
    await poll<void>(async () => {
      const visible: string[] = [];
      for (const domain of pending) {
        const host = `mta-sts.${domain}`;
        const answer = await askDns(host, 'CNAME', () => this.d.web.resolver.resolveCname(host));
        // A failed lookup is no answer: said once, then asked again on the next round.
        if (answer.kind === 'failed' && !lookupFailures.has(host)) {
          lookupFailures.add(host);
          this.d.out.err(`${printable(answer.message)}; asking again\n`);
        }
        if (answer.kind === 'answer' && answer.value.some((n) => n.toLowerCase().replace(/\.$/, '') === target)) visible.push(domain);
      }
      if (visible.length > 0) {
        this.line(`\nCNAME visible for ${visible.join(', ')}; binding.`);
        try {
          await this.bind();
        } catch (e) {
          this.reporter.fail(`binding after the CNAME appeared failed: ${describe(e)}; run the same command again`);
          bindFailed = true;
          return { done: true, value: undefined };
        }
        pending = this.externalPending();
        return pending.length === 0 ? { done: true, value: undefined } : { done: false, value: undefined, waitMs: 0 };
      }
      return clock.now() >= deadline ? { done: true, value: undefined } : { done: false, value: undefined };
    }, {
      attempts: Math.ceil(r.waitDnsSeconds / 10) + r.config.domains.length + 2,
      delayMs: () => Math.min(10_000, Math.max(0, deadline - clock.now())),
      clock,
      onWait: (ms) => {
        if (ms === 0) return;
        const left = Math.ceil((deadline - clock.now()) / 1000);
        const text = `waiting for the CNAME of ${pending.map((d) => `mta-sts.${d}`).join(', ')}: ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left`;
        if (this.d.isTTY) this.d.out.err(`\r${text}   `);
        else if (lastLine === undefined || clock.now() - lastLine >= 60_000) {
          this.d.out.err(`${text}\n`);
          lastLine = clock.now();
        }
      },
    });
    if (bindFailed) return;
    if (this.d.isTTY) this.d.out.err('\n');
    if (pending.length > 0) {
      this.reporter.warn(`gave up waiting after ${r.waitDnsSeconds} s for the CNAME of ${pending.map((d) => `mta-sts.${d}`).join(', ')}: create the record(s) above, then run the same command again`);
    }
  }

  // ------------------------------------------------------------------------------------------------ report

  private async finalState(): Promise<void> {
    const { r, state } = this;
    if (!state.site) return;
    this.line('');
    this.line('State per domain:');
    const records = dnsRecords(r.config);
    const built = await readFile(resolve(r.cwd, 'home', `.${POLICY_PATH}`)).catch(() => undefined);
    for (const domain of r.config.domains) {
      const host = `mta-sts.${domain}`;
      const d = state.bound.get(host);
      const parts: string[] = [];
      if (!d) parts.push('not bound');
      else parts.push(`bound (${d.status ?? 'status unknown'})`);
      let live = false;
      if (d?.status === 'Ready') {
        const fetched = await checkPolicyFetch(domain, this.d.web, AbortSignal.timeout(20_000), true);
        if (fetched.certPending) parts.push('certificate pending');
        else if (fetched.result.status === 'fail') parts.push(`policy not reachable yet (${printable(fetched.result.message)})`);
        else {
          parts.push('certificate ready');
          live = built !== undefined && fetched.body !== undefined && Buffer.compare(Buffer.from(fetched.body), built) === 0;
          parts.push(live ? 'policy live' : 'policy not deployed yet (the pipeline deploys it on push)');
        }
      } else if (d) {
        parts.push('certificate pending (Azure is validating the host)');
      }
      const sts = records.find((x) => x.domain === domain && x.name === `_mta-sts.${domain}`)!;
      parts.push(await this.txtState('TXT', sts, (v) => v.replace(/\s+/g, ' ').trim().replace(/;?$/, ';') === sts.value, state.zones));
      const rpt = records.find((x) => x.domain === domain && x.name === `_smtp._tls.${domain}`);
      if (rpt) parts.push(await this.txtState('TLS-RPT', rpt, (v) => v === rpt.value, state.zones));
      this.line(`  ${domain}: ${parts.join('; ')}`);
    }
  }

  /** Whether a TXT record is live; a failed lookup is said as such, never taken for "still to publish". */
  private async txtState(label: string, rec: DnsRecord, matches: (value: string) => boolean, zones: string[]): Promise<string> {
    const answer = await askDns(rec.name, 'TXT', () => this.d.web.resolver.resolveTxt(rec.name));
    if (answer.kind === 'failed') return `${label}: lookup failed (${printable(answer.message)}), cannot tell whether it is published`;
    const values = answer.kind === 'answer' ? answer.value.map((x) => x.join('')) : [];
    if (values.some(matches)) return `${label} published`;
    if (this.r.dnsResourceGroup && zoneFor(rec.name, zones)) return `${label}: the pipeline publishes it in Azure DNS once the policy is live`;
    return `${label} still to publish: ${zoneFileLines([rec])}`;
  }

  private nextSteps(): void {
    const { r, state } = this;
    const lines: string[] = [];
    if (r.dnsResourceGroup && r.dnsResourceGroup.toLowerCase() !== r.resourceGroup.toLowerCase() && state.endpoint?.servicePrincipalId) {
      lines.push(`The DNS zones are in resource group ${r.dnsResourceGroup}; let the pipeline's connection write records there (once):`);
      lines.push(`  az role assignment create --assignee ${state.endpoint.servicePrincipalId} --role "DNS Zone Contributor" --scope /subscriptions/${r.subscription.id}/resourceGroups/${r.dnsResourceGroup}`);
    }
    if (!r.devops) {
      lines.push('Azure DevOps was not set up (no --devops-org/--devops-project). Either run this again with them, or in Azure DevOps:');
      lines.push(`  1. Pipelines > Library > + Variable group "${VARIABLE_GROUP}" with the secret ${TOKEN_VARIABLE} (az staticwebapp secrets list -n ${r.app} -g ${r.resourceGroup} --query properties.apiKey -o tsv).`);
      lines.push(`  2. Project settings > Service connections > New > Azure Resource Manager > Workload identity federation (automatic), resource group ${r.resourceGroup}; put its name in armServiceConnection in ${PIPELINE_FILE}.`);
      lines.push(`  3. Pipelines > New pipeline > your repository > Existing Azure Pipelines YAML file > /${PIPELINE_FILE}; on the first run click Permit.`);
    }
    if (state.filesChanged.size > 0 || r.devops) {
      // The pipeline writes TXT records only into Azure DNS zones; elsewhere it prints them for the admin.
      const inAzure = r.config.domains.filter((d) => r.dnsResourceGroup && zoneFor(`_mta-sts.${d}`, state.zones));
      const elsewhere = r.config.domains.filter((d) => !inAzure.includes(d));
      const txt = elsewhere.length === 0
        ? 'publishes the TXT records in Azure DNS once the policy is live'
        : inAzure.length === 0
          ? 'prints the TXT records once the policy is live, for you to publish at your DNS host'
          : `publishes the TXT records in Azure DNS once the policy is live (${inAzure.join(', ')}) and prints them for you to publish at your DNS host (${elsewhere.join(', ')})`;
      lines.push(`Then push: the pipeline deploys home/, binds the domains and ${txt}.`);
    }
    if (lines.length > 0) {
      this.line('');
      for (const l of lines) this.line(l);
    }
  }
}
