// Setup's first part: what exists (resource group, app, token, custom domains, DNS zones, pipeline YAML, home/,
// git, and in Azure DevOps the project, repository, variable group, service connection, pipeline, permissions).
// It changes nothing.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ConfigEdit } from '../../config/edit.ts';
import { pipelineVariable } from '../../config/pipeline-yaml.ts';
import { printable } from '../../printable.ts';
import { statusOf } from '../arm.ts';
import { zonesHolding } from '../dns-zones.ts';
import { DevOps, devopsToken } from '../devops.ts';
import { tokenExchangeAudience } from '../cloud.ts';
import { IDENTITY_NAME, isFederated, missingGrants, readIdentity } from '../identity.ts';
import { zoneFor } from '../zones.ts';
import { uncommittedFiles as gitUncommitted } from './git.ts';
import { observeGitHub } from './github.ts';
import { outputs } from '../../project/outputs.ts';
import {
  FUNCTION_APP_PLAN, PIPELINE_FILE, StepFailure, TOKEN_VARIABLE, VARIABLE_GROUP, describe, fingerprintIn, guid, hostName,
  isFunctionApp, line, rightsMissing, storageAccountName, verificationId, wantedGrants, type DevOpsTarget, type SetupContext,
} from './model.ts';

export async function observe(ctx: SetupContext): Promise<void> {
  const { r, state } = ctx;
  if (r.resourceGroupIsDefault && !r.dnsResourceGroup) {
    await findDnsZones(ctx);
    if (r.dnsResourceGroup && !(await groupExists(ctx, r.resourceGroup))) {
      r.resourceGroup = r.dnsResourceGroup;
      line(ctx, `Using resource group ${r.resourceGroup} for the app too, beside the Azure DNS zones.`);
    }
  }
  try {
    await ctx.resources.resourceGroups.get(r.resourceGroup);
    state.rgExists = true;
  } catch (e) {
    if (statusOf(e) !== 404) throw new StepFailure(`cannot read resource group ${r.resourceGroup}: ${describe(e)}`, { cause: e });
  }
  if (isFunctionApp(ctx)) {
    await observeFunctionApp(ctx);
  } else if (state.rgExists) {
    try {
      const site = await ctx.arm.web.staticSites.getStaticSite(r.resourceGroup, r.app);
      state.site = { defaultHostname: hostName(site.defaultHostname), sku: printable(site.sku?.name ?? '') || undefined };
    } catch (e) {
      if (statusOf(e) !== 404) throw new StepFailure(`cannot read Static Web App ${r.app}: ${describe(e)}`, { cause: e });
    }
  }
  if (state.site && isFunctionApp(ctx)) {
    await readHostBindings(ctx);
  } else if (state.site) {
    state.token = await readToken(ctx);
    for await (const d of ctx.arm.web.staticSites.listStaticSiteCustomDomains(r.resourceGroup, r.app)) {
      const name = (d.domainName ?? d.name ?? '').toLowerCase();
      if (name) state.bound.set(name, d);
    }
  }
  if (!r.dnsResourceGroup) await findDnsZones(ctx);
  if (r.dnsResourceGroup) {
    try {
      // Per domain: in hosting.dns_resource_group first, else wherever in the subscription its zone is.
      const found = await zonesHolding(ctx.arm.dns, r.dnsResourceGroup, r.config.domains.map((d) => `mta-sts.${d}`));
      state.zones = found.map((z) => z.name);
      state.zoneGroups = new Map(found.map((z) => [z.name, z.resourceGroup]));
      const others = [...new Set(found.map((z) => z.resourceGroup).filter((g) => g.toLowerCase() !== r.dnsResourceGroup!.toLowerCase()))];
      if (others.length > 0) line(ctx, `Found Azure DNS zones of your domains also in resource group(s) ${others.join(', ')}.`);
    } catch (e) {
      throw new StepFailure(`cannot list the Azure DNS zones in resource group ${r.dnsResourceGroup}: ${describe(e)}`, { cause: e });
    }
  }
  const yamlPath = resolve(r.cwd, PIPELINE_FILE);
  const yamlText = await readFile(yamlPath, 'utf8').catch(() => undefined);
  if (yamlText !== undefined) {
    const named = pipelineVariable(yamlText, 'armServiceConnection');
    if (named) ctx.connectionName = named;
    // Older pipeline files also name the app and resource groups in variables; keep them in line with the config.
    // hostingKind picks the Deploy steps when the YAML is compiled (azure-pipelines.yml); it must match hosting.kind.
    const wanted: Record<string, string> = { armServiceConnection: ctx.connectionName, hostingKind: r.config.hosting.kind, swaName: r.app, swaResourceGroup: r.resourceGroup };
    if (r.dnsResourceGroup) wanted.dnsResourceGroup = r.dnsResourceGroup;
    state.yaml = { text: yamlText, wanted };
  }
  const { FOLDER_BUILDERS } = await import('../../site/folders.ts');
  for (const folder of outputs(r.configPath, r.config, r.cwd).folders) {
    if ((await FOLDER_BUILDERS[folder.role].stale(r.config, folder.path)).length > 0) state.homeStale = true;
  }
  state.uncommitted = await uncommittedFiles(ctx);
  if ((r.devops || r.github) && state.rgExists) await observeIdentity(ctx);
  if (r.devops) await observeDevOps(ctx, r.devops);
  if (r.github) await observeGitHub(ctx);
}

export async function groupExists(ctx: SetupContext, name: string): Promise<boolean> {
  try {
    await ctx.resources.resourceGroups.get(name);
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
export async function findDnsZones(ctx: SetupContext): Promise<void> {
  const byGroup = new Map<string, number>();
  try {
    for await (const zone of ctx.arm.dns.zones.list()) {
      const group = /\/resourceGroups\/([^/]+)\//i.exec(zone.id ?? '')?.[1];
      const name = (zone.name ?? '').toLowerCase();
      if (!group || !name) continue;
      const holds = ctx.r.config.domains.filter((d) => zoneFor(`mta-sts.${d}`, [name])).length;
      if (holds > 0) byGroup.set(group, (byGroup.get(group) ?? 0) + holds);
    }
  } catch (e) {
    // Rights on resource groups only (no read on the subscription): the zones' group has to be named.
    const hint = rightsMissing(e) ? '; if your zones are in Azure DNS, name their resource group with --dns-resource-group (and the app\'s with --resource-group)' : '';
    line(ctx, `(could not list the subscription's Azure DNS zones: ${describe(e)}; DNS records are printed instead${hint})`);
    return;
  }
  const best = [...byGroup].sort((a, b) => b[1] - a[1])[0];
  if (best) {
    ctx.r.dnsResourceGroup = best[0];
    line(ctx, `Found the Azure DNS zones of ${best[1]} of ${ctx.r.config.domains.length} domain(s) in resource group ${best[0]}.`);
  }
}

/** The folders built from the config (src/project/outputs.ts), as git names them from the working folder. */
export const builtFolders = (ctx: SetupContext) => outputs(ctx.r.configPath, ctx.r.config, ctx.r.cwd).folders.map((f) => f.display);

/** The files setup writes that git reports as changed (a run that stopped before its commit). */
export function uncommittedFiles(ctx: SetupContext): Promise<string[]> {
  return gitUncommitted(ctx.r.cwd, builtFolders(ctx).concat(ctx.r.configFile, PIPELINE_FILE));
}

export async function readToken(ctx: SetupContext): Promise<string> {
  try {
    const secrets = await ctx.arm.web.staticSites.listStaticSiteSecrets(ctx.r.resourceGroup, ctx.r.app);
    const token = secrets.properties?.apiKey;
    if (!token) throw new Error('Azure returned no apiKey');
    return token;
  } catch (e) {
    throw new StepFailure(`cannot read the deployment token of ${ctx.r.app}: ${describe(e)}`, { cause: e });
  }
}

export async function observeDevOps(ctx: SetupContext, target: DevOpsTarget): Promise<void> {
  const { state } = ctx;
  let token: string;
  try {
    token = await devopsToken(ctx.d.credential);
  } catch (e) {
    throw new StepFailure(`cannot get an Azure DevOps token from az: ${describe(e)} (run az login)`, { cause: e });
  }
  const devops = (ctx.devops = DevOps.connect(target.orgUrl, token, { caFile: ctx.d.devopsCaFile }));
  const at = `Azure DevOps ${target.orgUrl}`;
  const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw new StepFailure(`${what} in ${at}: ${describe(e)}`, { cause: e });
    }
  };
  state.project = await wrap('reading the project', () => devops.project(target.project));
  // A new organisation runs no hosted job until its free grant is approved: known before the push, not after.
  state.hostedJobs = await devops.hostedParallelJobs(state.project.visibility ?? 'private').catch(() => undefined);
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
  const endpoint = await wrap('reading the service connection', () => devops.serviceEndpoint(p, ctx.connectionName));
  if (endpoint?.id) {
    const status = endpoint.operationStatus as { state?: string; statusMessage?: string } | undefined;
    const parameters = endpoint.authorization?.parameters;
    state.endpoint = {
      id: endpoint.id, servicePrincipalId: guid(parameters?.serviceprincipalid),
      issuer: parameters?.workloadIdentityFederationIssuer, subject: parameters?.workloadIdentityFederationSubject,
    };
    if (status?.state === 'Failed') state.endpoint.failed = printable(status.statusMessage || 'no reason given');
  }
  const definition = await wrap('reading the pipeline', () => devops.definition(p, target.pipelineName));
  if (definition?.id !== undefined) state.definition = { id: definition.id };
  if (!state.definition) state.queueId = await wrap('reading the agent queue', () => devops.agentQueue(p, 'Azure Pipelines'));
  if (state.definition && state.group) {
    state.groupAuthorized = await wrap('reading pipeline permissions', () => devops.pipelineAuthorized(p, 'variablegroup', String(state.group!.id), state.definition!.id));
  }
  // The connection of the managed identity: does the identity trust its issuer and subject yet?
  if (state.identity && state.endpoint?.issuer && state.endpoint.subject && state.endpoint.servicePrincipalId === state.identity.clientId) {
    state.federated = await isFederated(ctx.identities, ctx.r.resourceGroup, state.endpoint.issuer, state.endpoint.subject, tokenExchangeAudience(ctx.r.cloud.environment));
  }
  if (state.definition && state.endpoint) {
    state.endpointAuthorized = await wrap('reading pipeline permissions', () => devops.pipelineAuthorized(p, 'endpoint', state.endpoint!.id, state.definition!.id));
  }
}

export function configEdits(ctx: SetupContext): ConfigEdit[] {
  const { r, state } = ctx;
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

/** The pipeline's managed identity in the app's resource group, and the roles it still lacks. */
export async function observeIdentity(ctx: SetupContext): Promise<void> {
  const { r, state } = ctx;
  try {
    state.identity = await readIdentity(ctx.identities, r.resourceGroup);
    const wanted = wantedGrants(ctx);
    // Without the app (or the identity) nothing is granted yet; a scope that does not exist cannot be listed.
    state.missingGrants = state.identity && state.site ? await missingGrants(ctx.identities, state.identity.principalId, wanted) : wanted;
  } catch (e) {
    throw new StepFailure(`cannot read the pipeline's managed identity ${IDENTITY_NAME} in ${r.resourceGroup}: ${describe(e)}`, { cause: e });
  }
}

/** Plan tiers whose apps get no App Service managed certificate (README: "Which Function App plan"). */
const NO_MANAGED_CERTIFICATES = new Set(['free', 'shared', 'dynamic', 'flexconsumption']);

/**
 * hosting.kind function-app: the site (a Function App, its host name, its plan's tier), or when there is none yet
 * the plan and storage account setup would create (reused when they exist).
 */
export async function observeFunctionApp(ctx: SetupContext): Promise<void> {
  const { r, state } = ctx;
  if (!state.rgExists) {
    state.functionApp = { storageExists: false };
    return;
  }
  const read = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw new StepFailure(`cannot read ${what}: ${describe(e)}`, { cause: e });
    }
  };
  const site = await read(`Function App ${r.app}`, () => ctx.arm.web.webApps.get(r.resourceGroup, r.app));
  if (site?.id) {
    const kind = printable(site.kind ?? '');
    if (!/functionapp/i.test(kind)) throw new StepFailure(`${r.app} in ${r.resourceGroup} exists but is not a Function App (kind ${kind || 'none'}); name another app with --app or hosting.app`);
    state.site = { defaultHostname: hostName(site.defaultHostName), verificationId: verificationId(site.customDomainVerificationId) };
    const farm = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/serverfarms\/([^/]+)$/i.exec(site.serverFarmId ?? '');
    const plan = farm ? await read(`the App Service plan of ${r.app}`, () => ctx.arm.web.appServicePlans.get(farm[1]!, farm[2]!)) : undefined;
    const tier = printable(plan?.sku?.tier ?? '');
    state.site.sku = tier || undefined;
    if (tier && NO_MANAGED_CERTIFICATES.has(tier.toLowerCase())) {
      ctx.reporter.warn(`${r.app} runs on a ${tier} plan, which has no App Service managed certificates, so mta-sts.<domain> would keep *.azurewebsites.net's certificate; move it to a Linux App Service plan, Basic (B1) or higher (README: "Which Function App plan"); setup does not change an app's plan (billing)`);
    }
    if (site.clientAffinityEnabled === true) ctx.reporter.warn(`${r.app} has ARR affinity on, so App Service adds an ARRAffinity Set-Cookie to every policy response: turn it off (az functionapp update -n ${r.app} -g ${r.resourceGroup} --set clientAffinityEnabled=false)`);
    if (site.httpsOnly !== true) ctx.reporter.warn(`${r.app} answers plain HTTP too: turn on HTTPS only (az functionapp update -n ${r.app} -g ${r.resourceGroup} --set httpsOnly=true); senders fetch the policy over HTTPS only (RFC 8461 §3.3)`);
    return;
  }
  const planName = FUNCTION_APP_PLAN;
  const plan = await read(`App Service plan ${planName}`, () => ctx.arm.web.appServicePlans.get(r.resourceGroup, planName));
  if (plan?.id && plan.reserved !== true) throw new StepFailure(`App Service plan ${planName} in ${r.resourceGroup} exists but is a Windows plan; the Function App needs a Linux plan: delete or rename it, or name another app with --app`);
  const tier = printable(plan?.sku?.tier ?? '');
  if (plan?.id && NO_MANAGED_CERTIFICATES.has(tier.toLowerCase())) {
    throw new StepFailure(`App Service plan ${planName} in ${r.resourceGroup} exists on the ${tier} tier, which has no App Service managed certificates: scale it up to Basic (B1) or higher (az appservice plan update -n ${planName} -g ${r.resourceGroup} --sku B1), or delete it so setup creates it`);
  }
  const account = storageAccountName(r.subscription.id, r.resourceGroup);
  const storage = await read(`storage account ${account}`, () => ctx.storage.storageAccounts.getProperties(r.resourceGroup, account));
  state.functionApp = { planId: plan?.id, storageExists: Boolean(storage?.id) };
}

/** The Function App's custom host names: "Ready" once bound with SNI to a certificate, else "Validating". */
export async function readHostBindings(ctx: SetupContext): Promise<void> {
  const { r, state } = ctx;
  state.bound.clear();
  for await (const b of ctx.arm.web.webApps.listHostNameBindings(r.resourceGroup, r.app)) {
    const host = (b.name?.split('/').pop() ?? '').toLowerCase();
    if (!host || host === state.site?.defaultHostname) continue;
    state.bound.set(host, { domainName: host, status: b.sslState === 'SniEnabled' && b.thumbprint ? 'Ready' : 'Validating' });
  }
}
