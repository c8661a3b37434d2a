// Setup's second part: from what observe found, the numbered steps that remain, each with what it needs first,
// how to do it by hand, and the call that does it.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipelineVariable, setPipelineVariables } from '../../config/pipeline-yaml.ts';
import { printable } from '../../printable.ts';
import { writeFileAtomic } from '../../files/atomic.ts';
import { hostingOf } from '../../hosting/hosting.ts';
import type { ProjectRef } from '../devops.ts';
import {
  FEDERATED_CREDENTIAL, IDENTITY_NAME, createIdentity, federate, grant, grantCommand,
} from '../identity.ts';
import { tokenExchangeAudience } from '../cloud.ts';
import { statusOf } from '../arm.ts';
import { clockOf, poll } from '../retry.ts';
import { azureSaid, readAzureError } from '../azure-error.ts';
import { zoneFor } from '../zones.ts';
import { bind, commit, writeConfig } from './apply.ts';
import {
  FUNCTION_APP_PLAN, FUNCTION_APP_PLAN_SKU, FUNCTION_APP_RUNTIME, PIPELINE_FILE, TOKEN_VARIABLE, VARIABLE_GROUP, fingerprint,
  groupDescription, guid, hostName, isFunctionApp, line, storageAccountName, verificationId, wantedGrants, type DevOpsTarget, type SetupContext, type Step,
} from './model.ts';
import { planGitHub } from './github.ts';
import { builtFolders, configEdits, readToken } from './observe.ts';

export function plan(ctx: SetupContext): Step[] {
  const { r, state } = ctx;
  const steps: Step[] = [];
  const sku = r.config.hosting.plan === 'free' ? 'Free' : 'Standard';
  if (!state.rgExists) {
    steps.push({
      key: 'rg', needs: [], title: `Create resource group ${r.resourceGroup} in ${r.region}`,
      byHand: `az group create -n ${r.resourceGroup} -l ${r.region}`,
      apply: async () => {
        await ctx.resources.resourceGroups.createOrUpdate(r.resourceGroup, { location: r.region, tags: { 'managed-by': 'mta-sts' } });
        state.rgExists = true;
      },
    });
  }
  if (isFunctionApp(ctx)) {
    planFunctionApp(ctx, steps);
  } else if (!state.site) {
    steps.push({
      key: 'app', needs: state.rgExists ? [] : ['rg'], title: `Create Static Web App ${r.app} (${sku} plan) in ${r.region}`,
      byHand: `az staticwebapp create -n ${r.app} -g ${r.resourceGroup} -l ${r.region} --sku ${sku}`,
      apply: async () => {
        const web = ctx.arm.web.staticSites;
        // Only the PUT: its 202's operation URL lies at the subscription's scope (Microsoft.Web/locations/
        // operationResults/read there), which an Owner of the resource group alone may not read; the site is in scope.
        await web.createOrUpdateStaticSite(r.resourceGroup, r.app, {
          location: r.region, sku: { name: sku, tier: sku }, stagingEnvironmentPolicy: 'Disabled', allowConfigFileUpdates: true,
          tags: { 'managed-by': 'mta-sts' },
        }).submitted();
        const looks = 40;
        const created = await poll(async () => {
          const read = await web.getStaticSite(r.resourceGroup, r.app).catch((e: unknown) => {
            if (statusOf(e) === 404) return undefined;
            throw e;
          });
          return read?.defaultHostname ? { done: true, value: read } : { done: false, value: read };
        }, {
          attempts: looks, delayMs: ctx.d.pollIntervalMs ?? 5_000, clock: clockOf(ctx.d),
          onWait: (ms, n) => line(ctx, `  Azure is creating ${r.app} (look ${n} of ${looks}); next look in ${ms / 1000} s`),
        });
        const site = created.value;
        if (!site?.defaultHostname) throw new Error('Azure is still creating the app; run the same command again');
        state.site = { defaultHostname: hostName(site.defaultHostname), sku: printable(site.sku?.name ?? '') || undefined };
        state.token = await readToken(ctx);
        return `default host name ${state.site.defaultHostname}`;
      },
    });
  } else if (state.site.sku && state.site.sku.toLowerCase() !== r.config.hosting.plan) {
    ctx.reporter.warn(`${r.app} is on the ${state.site.sku} plan but hosting.plan is ${r.config.hosting.plan}; setup does not change an app's plan (billing): change it in the portal (Static Web App > Hosting plan) or set hosting.plan to match`);
  }

  const edits = configEdits(ctx);
  if (edits.length > 0 || state.homeStale) {
    steps.push({
      key: 'config', needs: state.site ? [] : ['app'],
      title: edits.length > 0
        ? `Write ${edits.map((e) => `hosting.${e.path[1]}`).join(', ')} to ${r.configFile} and rebuild ${builtFolders(ctx).map((f) => `${f}/`).join(' and ')}`
        : `Rebuild ${builtFolders(ctx).map((f) => `${f}/`).join(' and ')} from the config`,
      byHand: `set ${edits.map((e) => `hosting.${e.path[1]}`).join(', ')} in ${r.configFile}, then run npm run build`,
      apply: () => writeConfig(ctx),
    });
  }

  if (r.devops && state.project) planDevOps(ctx, r.devops, state.project, steps);
  else if (r.github) {
    planIdentityAndRoles(ctx, steps, 'the workflow\'s Azure identity');
    planGitHub(ctx, steps);
  }
  // Without Azure DevOps only the Deploy steps' choice is set in the pipeline file (the connection is the user's).
  else if (!r.devops && state.yaml) planYaml(ctx, { hostingKind: r.config.hosting.kind }, steps);

  const unbound = r.config.domains.filter((domain) => {
    const d = state.bound.get(`mta-sts.${domain}`);
    return !d || d.status === 'Failed';
  });
  if (unbound.length > 0) {
    const how = unbound.map((domain) => {
      const zone = r.dnsResourceGroup ? zoneFor(`mta-sts.${domain}`, state.zones) : undefined;
      // The records the kind's host needs (a Function App's also the TXT asuid.mta-sts.<domain>, App Service's ownership check).
      const kinds = hostingOf(r.config).hostRecords(domain, {}).map((rec) => (rec.type === 'CNAME' ? 'CNAME' : `${rec.name.split('.')[0]} TXT`)).join(' and ');
      return zone ? `mta-sts.${domain} (${kinds} in Azure DNS zone ${zone.zone})` : `mta-sts.${domain} (once its ${kinds} ${kinds.includes(' and ') ? 'exist' : 'exists'} at your DNS host)`;
    });
    steps.push({
      key: 'bind', needs: state.site ? [] : ['app'], title: `Bind ${how.join(', ')} to ${r.app}`,
      byHand: `npx mta-sts azure bind --config ${r.configFile}`,
      apply: () => bind(ctx),
    });
  }

  if (steps.some((s) => s.key === 'config' || s.key === 'yaml') || state.uncommitted.length > 0) {
    for (const f of state.uncommitted) state.filesChanged.add(f);
    steps.push({
      key: 'commit', needs: [], title: `Commit the changed files (${r.configFile}, ${builtFolders(ctx).map((f) => `${f}/`).join(', ')}${state.yaml ? `, ${PIPELINE_FILE}` : ''}) for you to push`,
      byHand: `git add ${r.configFile} ${builtFolders(ctx).join(' ')} ${PIPELINE_FILE} && git commit -m "MTA-STS setup"`,
      apply: () => commit(ctx),
    });
  }
  return steps;
}

export function planDevOps(ctx: SetupContext, target: DevOpsTarget, project: ProjectRef, steps: Step[]): void {
  const { r, state } = ctx;
  const devops = ctx.devops!;
  const p = target.project;
  const library = `Pipelines > Library > + Variable group "${VARIABLE_GROUP}" with the secret variable ${TOKEN_VARIABLE} (the token: az staticwebapp secrets list -n ${r.app} -g ${r.resourceGroup} --query properties.apiKey -o tsv)`;
  const tokenCurrent = state.group?.fingerprint !== undefined && state.token !== undefined && state.group.fingerprint === fingerprint(state.token);
  if (isFunctionApp(ctx)) {
    // No deployment token (the Function App deploys through the service connection), but azure-pipelines.yml names
    // the group, and a run that names a missing group does not start: an existing group is kept as it is.
    if (!state.group) {
      steps.push({
        key: 'group', needs: [],
        title: `Create variable group ${VARIABLE_GROUP} in project ${p} (${PIPELINE_FILE} names it; a Function App needs no ${TOKEN_VARIABLE}, so it stays empty)`,
        byHand: `Pipelines > Library > + Variable group "${VARIABLE_GROUP}" with one variable ${TOKEN_VARIABLE} and an empty value`,
        apply: async () => {
          const saved = await devops.saveVariableGroup(project, {
            name: VARIABLE_GROUP, description: `Named by ${PIPELINE_FILE}; the Function App ${r.app} deploys through the service connection and needs no ${TOKEN_VARIABLE} (set by mta-sts azure setup)`,
            variables: { [TOKEN_VARIABLE]: { value: '', isSecret: false } },
          });
          state.group = { id: saved.id!, variables: saved.variables };
        },
      });
    }
  } else if (!state.group || !tokenCurrent) {
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
      key: 'endpoint', needs: [], title: `Service connection ${ctx.connectionName} exists but Azure DevOps reports it failed (${why})`,
      byHand: `Project settings > Service connections > ${ctx.connectionName}: fix it (for example "Convert" or edit and verify), or delete it so this command creates it again`,
      apply: async () => {
        throw new Error(`service connection ${ctx.connectionName} is in a failed state; delete it (Project settings > Service connections > ${ctx.connectionName} > Delete) and run the same command again`);
      },
    });
  } else if (!state.endpoint || (state.identity && state.endpoint.servicePrincipalId === state.identity.clientId)) {
    planIdentity(ctx, project, steps);
  }

  if (state.yaml) planYaml(ctx, state.yaml.wanted, steps, state.endpoint && !state.endpoint.failed ? [] : ['endpoint']);

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
      title: `Allow pipeline ${target.pipelineName} to use service connection ${ctx.connectionName}`,
      byHand: `Project settings > Service connections > ${ctx.connectionName} > ... > Security > Pipeline permissions > + > ${target.pipelineName}`,
      apply: async () => {
        await devops.authorizePipeline(p, 'endpoint', state.endpoint!.id, state.definition!.id);
        state.endpointAuthorized = true;
      },
    });
  }
}

/** The pipeline file's declared variables set to `wanted`; `needs`: the pipeline fails to start on an unknown connection. */
function planYaml(ctx: SetupContext, wanted: Record<string, string>, steps: Step[], needs: string[] = []): void {
  const { r, state } = ctx;
  const yaml = state.yaml;
  if (!yaml || yaml.text === setPipelineVariables(yaml.text, wanted)) return;
  const changes = Object.entries(wanted).filter(([k, v]) => {
    const now = pipelineVariable(yaml.text, k);
    return now !== undefined && now !== v;
  });
  steps.push({
    key: 'yaml', needs, title: `Set ${changes.map(([k, v]) => `${k}: '${v}'`).join(', ')} in ${PIPELINE_FILE}`,
    byHand: `edit the variables at the top of ${PIPELINE_FILE}`,
    apply: async () => {
      const path = resolve(r.cwd, PIPELINE_FILE);
      const current = await readFile(path, 'utf8');
      const next = setPipelineVariables(current, wanted);
      if (next !== current) {
        await writeFileAtomic(path, next);
        state.filesChanged.add(PIPELINE_FILE);
      }
    },
  });
}

/**
 * hosting.kind function-app: the Linux App Service plan (Basic B1), the storage account of the Functions host, then
 * the Function App on them (Node 22, Functions v4, HTTPS only). Only what is missing; an existing app is kept as
 * it is (observe warns when its plan or HTTPS setting would fail the policy's hosts).
 */
function planFunctionApp(ctx: SetupContext, steps: Step[]): void {
  const { r, state } = ctx;
  if (state.site) return;
  const rg = r.resourceGroup;
  const planName = FUNCTION_APP_PLAN;
  const account = storageAccountName(r.subscription.id, rg);
  const fa = (state.functionApp ??= { storageExists: false });
  const tags = { 'managed-by': 'mta-sts' };
  const lro = ctx.d.pollIntervalMs !== undefined ? { updateIntervalInMs: ctx.d.pollIntervalMs } : undefined;
  if (!fa.planId) {
    steps.push({
      key: 'farm', needs: state.rgExists ? [] : ['rg'],
      title: `Create App Service plan ${planName} (Linux, Basic B1: the lowest with managed certificates) in ${r.region}`,
      byHand: `az appservice plan create -n ${planName} -g ${rg} -l ${r.region} --is-linux --sku B1`,
      apply: async () => {
        const plan = await ctx.arm.web.appServicePlans.createOrUpdate(rg, planName, {
          location: r.region, kind: 'linux', reserved: true, sku: { ...FUNCTION_APP_PLAN_SKU }, tags,
        }, lro);
        if (!plan.id) throw new Error(`Azure created App Service plan ${planName} but reported no id; run the same command again`);
        fa.planId = plan.id;
        return `${plan.sku?.tier ?? 'Basic'} ${plan.sku?.name ?? 'B1'}, Linux`;
      },
    });
  }
  if (!fa.storageExists) {
    steps.push({
      key: 'storage', needs: state.rgExists ? [] : ['rg'],
      title: `Create storage account ${account} (the Functions host's AzureWebJobsStorage; Standard LRS, TLS 1.2, no public blobs) in ${r.region}`,
      byHand: `az storage account create -n ${account} -g ${rg} -l ${r.region} --sku Standard_LRS --kind StorageV2 --min-tls-version TLS1_2 --allow-blob-public-access false --https-only true`,
      apply: async () => {
        await ctx.storage.storageAccounts.create(rg, account, {
          location: r.region, kind: 'StorageV2', sku: { name: 'Standard_LRS' }, minimumTlsVersion: 'TLS1_2',
          allowBlobPublicAccess: false, enableHttpsTrafficOnly: true, tags,
        }, lro);
        fa.storageExists = true;
      },
    });
  }
  steps.push({
    key: 'app', needs: [...(fa.planId ? [] : ['farm']), ...(fa.storageExists ? [] : ['storage']), ...(state.rgExists ? [] : ['rg'])],
    title: `Create Function App ${r.app} (Linux, Node 22, Functions v4, HTTPS only) on ${planName}`,
    byHand: `az functionapp create -n ${r.app} -g ${rg} --plan ${planName} --storage-account ${account} --runtime node --runtime-version 22 --functions-version 4 --os-type Linux --https-only true && az functionapp config appsettings set -n ${r.app} -g ${rg} --settings AzureWebJobsDisableHomepage=true && az functionapp update -n ${r.app} -g ${rg} --set clientAffinityEnabled=false`,
    apply: async () => {
      // The storage key goes from Azure to the app's settings only: never printed, never written to a file.
      const keys = await ctx.storage.storageAccounts.listKeys(rg, account);
      const key = keys.keys?.find((k) => k.value)?.value;
      if (!key) throw new Error(`Azure returned no key of storage account ${account}`);
      const props = await ctx.storage.storageAccounts.getProperties(rg, account);
      // The cloud's storage suffix (core.windows.net, core.usgovcloudapi.net, …) from the account's own endpoint.
      const suffix = /^https:\/\/[^.]+\.blob\.([^/]+)\/?$/.exec(props.primaryEndpoints?.blob ?? '')?.[1] ?? 'core.windows.net';
      const site = await ctx.arm.web.webApps.createOrUpdate(rg, r.app, {
        location: r.region, kind: 'functionapp,linux', reserved: true, serverFarmId: fa.planId, httpsOnly: true, tags,
        // App Service defaults to true, which adds an ARRAffinity Set-Cookie to every policy response (azure-arm.md).
        clientAffinityEnabled: false,
        siteConfig: {
          linuxFxVersion: FUNCTION_APP_RUNTIME, alwaysOn: true, minTlsVersion: '1.2', ftpsState: 'Disabled', http20Enabled: true,
          appSettings: [
            { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' },
            { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' },
            { name: 'AzureWebJobsStorage', value: `DefaultEndpointsProtocol=https;AccountName=${account};AccountKey=${key};EndpointSuffix=${suffix}` },
            // `/` shows the policy's page, not the Functions host's own (README: what `mta-sts build` writes).
            { name: 'AzureWebJobsDisableHomepage', value: 'true' },
          ],
        },
      }, lro).catch((e: unknown) => {
        // <app>.azurewebsites.net names are global: another tenant's app may hold it (409 Conflict, ExtendedCode 54001).
        if (statusOf(e) === 409 && /already exists/i.test(azureSaid(readAzureError(e)))) {
          throw new Error(`the name ${r.app} is taken by another app somewhere in Azure (Azure answered ${azureSaid(readAzureError(e))}); names under azurewebsites.net are global: choose another with --app NAME (or hosting.app) and run the command again`);
        }
        throw e;
      });
      if (!site.defaultHostName) throw new Error('Azure created the Function App but reported no default host name; run the same command again');
      state.site = { defaultHostname: hostName(site.defaultHostName), sku: 'Basic', verificationId: verificationId(site.customDomainVerificationId) };
      return `default host name ${state.site.defaultHostname}`;
    },
  });
}

/**
 * The service connection through a user-assigned managed identity (no Entra rights needed): the identity, its
 * roles, the connection in workload identity federation's manual mode naming it, and the federated credential
 * that makes the identity trust the connection's issuer and subject. Each step only when still missing.
 */
function planIdentity(ctx: SetupContext, project: ProjectRef, steps: Step[]): void {
  const { r, state } = ctx;
  const devops = ctx.devops!;
  const rg = r.resourceGroup;
  planIdentityAndRoles(ctx, steps, 'the pipeline\'s Azure identity');
  if (!state.endpoint) {
    steps.push({
      key: 'endpoint', needs: state.identity ? [] : ['identity'],
      title: `Create service connection ${ctx.connectionName} in project ${project.name} (Azure Resource Manager, workload identity federation, manual, through ${IDENTITY_NAME})`,
      byHand: `Project settings > Service connections > New service connection > Azure Resource Manager > Identity type: Managed identity, the subscription ${r.subscription.name} and the identity ${IDENTITY_NAME}, name ${ctx.connectionName}`,
      apply: async () => {
        const endpoint = await devops.createArmEndpoint(project, {
          name: ctx.connectionName, tenantId: state.identity!.tenantId, subscriptionId: r.subscription.id, subscriptionName: r.subscription.name,
          resourceGroup: rg, armUrl: `${r.cloud.armUrl.replace(/\/+$/, '')}/`, environment: r.cloud.environment,
          identity: { clientId: state.identity!.clientId },
        });
        const parameters = endpoint.authorization?.parameters;
        state.endpoint = {
          id: endpoint.id!, servicePrincipalId: guid(parameters?.serviceprincipalid),
          issuer: parameters?.workloadIdentityFederationIssuer, subject: parameters?.workloadIdentityFederationSubject,
        };
      },
    });
  }
  if (!state.federated) {
    steps.push({
      key: 'federation', needs: [...(state.endpoint ? [] : ['endpoint']), ...(state.identity ? [] : ['identity'])],
      title: `Let ${IDENTITY_NAME} trust the service connection's tokens (federated credential with its issuer and subject)`,
      byHand: () => `az identity federated-credential create -n ${FEDERATED_CREDENTIAL} --identity-name ${IDENTITY_NAME} -g ${rg} --issuer "${state.endpoint?.issuer ?? '<issuer of the connection>'}" --subject "${state.endpoint?.subject ?? '<subject of the connection>'}" --audiences ${tokenExchangeAudience(r.cloud.environment)}`,
      apply: async () => {
        const { issuer, subject } = state.endpoint ?? {};
        if (!issuer || !subject) throw new Error(`Azure DevOps did not report the issuer and subject of service connection ${ctx.connectionName}`);
        await federate(ctx.identities, rg, issuer, subject, tokenExchangeAudience(r.cloud.environment));
        state.federated = true;
        return `issuer ${printable(issuer)}, subject ${printable(subject)}`;
      },
    });
  }
}

/** The managed identity (when missing) and the roles it lacks: the same for Azure DevOps and GitHub Actions. */
export function planIdentityAndRoles(ctx: SetupContext, steps: Step[], purpose: string): void {
  const { r, state } = ctx;
  const rg = r.resourceGroup;
  if (!state.identity) {
    steps.push({
      key: 'identity', needs: state.rgExists ? [] : ['rg'],
      title: `Create managed identity ${IDENTITY_NAME} in ${rg} (${purpose}; no Entra ID rights needed)`,
      byHand: `az identity create -n ${IDENTITY_NAME} -g ${rg} -l ${r.region}`,
      apply: async () => {
        state.identity = await createIdentity(ctx.identities, rg, r.region);
        return `client id ${state.identity.clientId}`;
      },
    });
  }
  const grants = state.identity ? state.missingGrants : wantedGrants(ctx);
  if (grants.length > 0) {
    const what = grants.map((g) => `${g.role} on ${g.scope.split('/').slice(-2).join(' ')}`).join(', ');
    steps.push({
      key: 'roles', needs: [...(state.identity ? [] : ['identity']), ...(state.site ? [] : ['app'])],
      title: `Give ${IDENTITY_NAME} ${what}`,
      // Known once the identity exists: the exact commands for someone with Owner or User Access Administrator.
      byHand: () => grants.map((g) => grantCommand(state.identity?.principalId ?? '<principal id of ' + IDENTITY_NAME + '>', g)).join(' ; '),
      apply: async () => {
        for (const g of grants) await grant(ctx.identities, r.subscription.id, state.identity!.principalId, g);
        state.missingGrants = [];
        return `${grants.length} role assignment(s)`;
      },
    });
  }
}
