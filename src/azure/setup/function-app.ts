// Setup's part of hosting.kind function-app (the Azure half of src/hosting/function-app.ts): the Linux App Service
// plan, the storage account and the Function App on them, its host-name bindings with their managed certificates.
// It needs no deployment secret: the pipeline deploys through its service connection.
import { printable } from '../../printable.ts';
import { statusOf } from '../arm.ts';
import { azureSaid, readAzureError } from '../azure-error.ts';
import { bindFunctionApp } from '../function-app.ts';
import { deployedFolder } from './files.ts';
import {
  FUNCTION_APP_PLAN, FUNCTION_APP_PLAN_SKU, FUNCTION_APP_RUNTIME, StepFailure, describe, hostName, storageAccountName, verificationId, line,
  type SetupContext, type SetupHosting, type State, type Step, type StepOutcome,
} from './model.ts';

export const FUNCTION_APP_SETUP: SetupHosting = {
  async observe(ctx, state) {
    await observeFunctionApp(ctx, state);
    if (state.site) await readHostBindings(ctx, state);
  },
  planApp: (ctx, state, steps) => planFunctionApp(ctx, state, steps),
  bind: (ctx, state) => bindFunctionAppHosts(ctx, state),
  async deploy(ctx, state) {
    const { r, d } = ctx;
    const folder = deployedFolder(ctx, state);
    const scmHost = state.site?.scmHost;
    if (!scmHost) throw new Error(`Azure named no deployment (scm) host for ${r.app}; run the same command again`);
    await d.deployer.functionApp({
      folder: folder.path, app: r.app, scmHost, credential: d.credential, armEndpoint: r.armEndpoint, ca: d.armCa, env: d.env,
      onLine: (l) => line(ctx, l), sleep: d.sleep, now: d.now, pollIntervalMs: d.pollIntervalMs,
    });
    return `${folder.display}/ deployed to ${scmHost} (zip deployment with your Azure sign-in)`;
  },
  deployCommand: (ctx, state) => {
    const folder = deployedFolder(ctx, state).display;
    return `(cd ${folder} && zip -r ../functions.zip . -x 'node_modules/*') && az functionapp deployment source config-zip -g ${state.resourceGroup} -n ${ctx.r.app} --src functions.zip --build-remote true`;
  },
  pipelineSecret: () => undefined,
};

/** Plan tiers whose apps get no App Service managed certificate (docs/function-app.md: "Which Function App plan"). */
const NO_MANAGED_CERTIFICATES = new Set(['free', 'shared', 'dynamic', 'flexconsumption']);

/**
 * hosting.kind function-app: the site (a Function App, its host name, its plan's tier), or when there is none yet
 * the plan and storage account setup would create (reused when they exist).
 */
async function observeFunctionApp(ctx: SetupContext, state: State): Promise<void> {
  const { r } = ctx;
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
  const site = await read(`Function App ${r.app}`, () => ctx.arm.web.webApps.get(state.resourceGroup, r.app));
  if (site?.id) {
    const kind = printable(site.kind ?? '');
    if (!/functionapp/i.test(kind)) throw new StepFailure(`${r.app} in ${state.resourceGroup} exists but is not a Function App (kind ${kind || 'none'}); name another app with --app or hosting.app`);
    state.site = { defaultHostname: hostName(site.defaultHostName), verificationId: verificationId(site.customDomainVerificationId), scmHost: scmHostOf(site.enabledHostNames) };
    const farm = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/serverfarms\/([^/]+)$/i.exec(site.serverFarmId ?? '');
    const plan = farm ? await read(`the App Service plan of ${r.app}`, () => ctx.arm.web.appServicePlans.get(farm[1]!, farm[2]!)) : undefined;
    const tier = printable(plan?.sku?.tier ?? '');
    state.site.sku = tier || undefined;
    if (tier && NO_MANAGED_CERTIFICATES.has(tier.toLowerCase())) {
      ctx.reporter.warn(`${r.app} runs on a ${tier} plan, which has no App Service managed certificates, so mta-sts.<domain> would keep *.azurewebsites.net's certificate; move it to a Linux App Service plan, Basic (B1) or higher (docs/function-app.md: "Which Function App plan"); setup does not change an app's plan (billing)`);
    }
    if (site.clientAffinityEnabled === true) ctx.reporter.warn(`${r.app} has ARR affinity on, so App Service adds an ARRAffinity Set-Cookie to every policy response: turn it off (az functionapp update -n ${r.app} -g ${state.resourceGroup} --set clientAffinityEnabled=false)`);
    if (site.httpsOnly !== true) ctx.reporter.warn(`${r.app} answers plain HTTP too: turn on HTTPS only (az functionapp update -n ${r.app} -g ${state.resourceGroup} --set httpsOnly=true); senders fetch the policy over HTTPS only (RFC 8461 §3.3)`);
    return;
  }
  const planName = FUNCTION_APP_PLAN;
  const plan = await read(`App Service plan ${planName}`, () => ctx.arm.web.appServicePlans.get(state.resourceGroup, planName));
  if (plan?.id && plan.reserved !== true) throw new StepFailure(`App Service plan ${planName} in ${state.resourceGroup} exists but is a Windows plan; the Function App needs a Linux plan: delete or rename it, or name another app with --app`);
  const tier = printable(plan?.sku?.tier ?? '');
  if (plan?.id && NO_MANAGED_CERTIFICATES.has(tier.toLowerCase())) {
    throw new StepFailure(`App Service plan ${planName} in ${state.resourceGroup} exists on the ${tier} tier, which has no App Service managed certificates: scale it up to Basic (B1) or higher (az appservice plan update -n ${planName} -g ${state.resourceGroup} --sku B1), or delete it so setup creates it`);
  }
  const account = storageAccountName(r.subscription.id, state.resourceGroup);
  const storage = await read(`storage account ${account}`, () => ctx.storage.storageAccounts.getProperties(state.resourceGroup, account));
  state.functionApp = { planId: plan?.id, storageExists: Boolean(storage?.id) };
}

/** The Function App's custom host names: "Ready" once bound with SNI to a certificate, else "Validating". */
async function readHostBindings(ctx: SetupContext, state: State): Promise<void> {
  const { r } = ctx;
  state.bound.clear();
  for await (const b of ctx.arm.web.webApps.listHostNameBindings(state.resourceGroup, r.app)) {
    const host = (b.name?.split('/').pop() ?? '').toLowerCase();
    if (!host || host === state.site?.defaultHostname) continue;
    state.bound.set(host, { domainName: host, status: b.sslState === 'SniEnabled' && b.thumbprint ? 'Ready' : 'Validating' });
  }
}

/**
 * hosting.kind function-app: the Linux App Service plan (Basic B1), the storage account of the Functions host, then
 * the Function App on them (Node 22, Functions v4, HTTPS only). Only what is missing; an existing app is kept as
 * it is (observe warns when its plan or HTTPS setting would fail the policy's hosts).
 */
function planFunctionApp(ctx: SetupContext, state: State, steps: Step[]): void {
  const { r } = ctx;
  if (state.site) return;
  const rg = state.resourceGroup;
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
            // `/` shows the policy's page, not the Functions host's own (docs/configuration.md).
            { name: 'AzureWebJobsDisableHomepage', value: 'true' },
            // setup's zip deployment carries no node_modules: Kudu runs npm install (projectkudu/kudu wiki,
            // "Deploying from a zip file"); the pipeline's package has them already, and installing again is harmless.
            { name: 'SCM_DO_BUILD_DURING_DEPLOYMENT', value: 'true' },
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
      state.site = { defaultHostname: hostName(site.defaultHostName), sku: 'Basic', verificationId: verificationId(site.customDomainVerificationId), scmHost: scmHostOf(site.enabledHostNames) };
      return `default host name ${state.site.defaultHostname}`;
    },
  });
}

/**
 * A Function App's hosts through `mta-sts azure bind` (src/azure/function-app.ts): per host the CNAME and asuid TXT
 * (Azure DNS, or printed), the host-name binding, the managed certificate, SNI. Done only when every host is ready.
 */
async function bindFunctionAppHosts(ctx: SetupContext, state: State): Promise<string | StepOutcome> {
  const { r } = ctx;
  const before = ctx.reporter.failures;
  const states = await bindFunctionApp({
    config: state.config, target: { app: r.app, resourceGroup: state.resourceGroup, dnsResourceGroup: state.dnsResourceGroup },
    clients: ctx.arm, reporter: ctx.reporter, throttle: { sleep: ctx.d.sleep }, sleep: ctx.d.sleep, now: ctx.d.now, certificatePollMs: ctx.d.pollIntervalMs,
  });
  await readHostBindings(ctx, state);
  if (ctx.reporter.failures > before) throw new Error('binding failed for a domain (see the error above)');
  const hosts = r.config.domains.map((d) => `mta-sts.${d}`);
  const ready = hosts.filter((h) => states.get(h) === 'ready');
  if (ready.length === hosts.length) return `ready with their managed certificates: ${ready.join(', ')}`;
  const of = (s: string) => hosts.filter((h) => states.get(h) === s);
  const parts = [
    ready.length > 0 ? `ready: ${ready.join(', ')}` : '',
    of('certificate pending').length > 0 ? `certificate pending (App Service is issuing it; the next run or the pipeline binds it): ${of('certificate pending').join(', ')}` : '',
    of('waiting for DNS').length > 0 ? `waiting for DNS (their CNAME and asuid TXT, printed below): ${of('waiting for DNS').join(', ')}` : '',
  ].filter(Boolean);
  return { state: 'waiting', detail: parts.join('; ') };
}

/** The app's deployment (Kudu) host as ARM lists it among the enabled host names: <app>.scm.<suffix>. */
function scmHostOf(names: string[] | undefined): string | undefined {
  return names?.map((n) => n.toLowerCase()).find((n) => /^[a-z0-9-]+\.scm\.[a-z0-9.-]+$/.test(n));
}
