// Setup's part of hosting.kind static-web-app (the Azure half of src/hosting/static-web-app.ts): the Static Web App,
// its deployment token (the one secret its pipeline needs), its custom domains.
import { printable } from '../../printable.ts';
import { statusOf } from '../arm.ts';
import { bindDomains } from '../bind.ts';
import { clockOf, poll } from '../retry.ts';
import { deployedFolder } from './files.ts';
import { StepFailure, describe, hostName, line, type SetupContext, type SetupHosting, type State, type Step, type StepOutcome } from './model.ts';

export const STATIC_WEB_APP_SETUP: SetupHosting = {
  async observe(ctx, state) {
    const { r } = ctx;
    if (!state.rgExists) return;
    try {
      const site = await ctx.arm.web.staticSites.getStaticSite(state.resourceGroup, r.app);
      state.site = { defaultHostname: hostName(site.defaultHostname), sku: printable(site.sku?.name ?? '') || undefined };
    } catch (e) {
      if (statusOf(e) !== 404) throw new StepFailure(`cannot read Static Web App ${r.app}: ${describe(e)}`, { cause: e });
      return;
    }
    state.token = await readToken(ctx, state);
    await readCustomDomains(ctx, state);
  },

  planApp(ctx, state, steps) {
    const { r } = ctx;
    const sku = r.config.hosting.plan === 'free' ? 'Free' : 'Standard';
    if (state.site) {
      if (state.site.sku && state.site.sku.toLowerCase() !== r.config.hosting.plan) {
        ctx.reporter.warn(`${r.app} is on the ${state.site.sku} plan but hosting.plan is ${r.config.hosting.plan}; setup does not change an app's plan (billing): change it in the portal (Static Web App > Hosting plan) or set hosting.plan to match`);
      }
      return;
    }
    const rg = state.resourceGroup;
    steps.push({
      key: 'app', needs: state.rgExists ? [] : ['rg'], title: `Create Static Web App ${r.app} (${sku} plan) in ${r.region}`,
      byHand: `az staticwebapp create -n ${r.app} -g ${rg} -l ${r.region} --sku ${sku}`,
      apply: async () => {
        const web = ctx.arm.web.staticSites;
        // Only the PUT: its 202's operation URL lies at the subscription's scope (Microsoft.Web/locations/
        // operationResults/read there), which an Owner of the resource group alone may not read; the site is in scope.
        await web.createOrUpdateStaticSite(rg, r.app, {
          location: r.region, sku: { name: sku, tier: sku }, stagingEnvironmentPolicy: 'Disabled', allowConfigFileUpdates: true,
          tags: { 'managed-by': 'mta-sts' },
        }).submitted();
        const looks = 40;
        const created = await poll(async () => {
          const read = await web.getStaticSite(rg, r.app).catch((e: unknown) => {
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
        state.token = await readToken(ctx, state);
        return `default host name ${state.site.defaultHostname}`;
      },
    } satisfies Step);
  },

  async bind(ctx, state): Promise<string | StepOutcome> {
    const { r } = ctx;
    const before = ctx.reporter.failures;
    // Reuses `mta-sts azure bind`: CNAMEs in Azure DNS, validation retries, already-bound hosts skipped.
    await bindDomains({
      config: state.config, target: { app: r.app, resourceGroup: state.resourceGroup, dnsResourceGroup: state.dnsResourceGroup },
      clients: ctx.arm, web: ctx.d.web, reporter: ctx.reporter,
      attempts: ctx.d.bindAttempts, baseDelayMs: ctx.d.bindDelayMs, sleep: ctx.d.sleep, pollIntervalMs: ctx.d.pollIntervalMs,
      throttle: { sleep: ctx.d.sleep }, skipCaa: true,
    });
    await readCustomDomains(ctx, state);
    if (ctx.reporter.failures > before) throw new Error('binding failed for a domain (see the error above)');
    const hosts = r.config.domains.map((d) => `mta-sts.${d}`);
    const bound = hosts.filter((h) => state.bound.has(h) && state.bound.get(h)!.status !== 'Failed');
    const waiting = hosts.filter((h) => !bound.includes(h));
    if (waiting.length === 0) return `bound ${bound.join(', ')}`;
    return { state: 'waiting', detail: `${bound.length > 0 ? `bound ${bound.join(', ')}; ` : 'nothing bound yet; '}${waiting.join(', ')} wait${waiting.length === 1 ? 's' : ''} for the CNAME at your DNS host (below)` };
  },

  async deploy(ctx, state) {
    const folder = deployedFolder(ctx, state);
    const token = state.token;
    if (!token) throw new Error(`the deployment token of ${ctx.r.app} is not known yet; run the same command again`);
    await ctx.d.deployer.staticWebApp({ folder: folder.path, token, cwd: ctx.r.cwd, env: ctx.d.env, onLine: (l) => line(ctx, `  swa: ${l}`) });
    return `${folder.display}/ deployed with swa deploy and the app's deployment token`;
  },

  deployCommand: (ctx, state) => `SWA_CLI_DEPLOYMENT_TOKEN="$(az staticwebapp secrets list -n ${ctx.r.app} -g ${state.resourceGroup} --query properties.apiKey -o tsv)" npx --no swa deploy ${deployedFolder(ctx, state).display} --env production`,

  pipelineSecret: (ctx, state) => ({
    value: state.token,
    what: `the deployment token of ${ctx.r.app}`,
    show: `az staticwebapp secrets list -n ${ctx.r.app} -g ${state.resourceGroup} --query properties.apiKey -o tsv`,
  }),
};

async function readCustomDomains(ctx: SetupContext, state: State): Promise<void> {
  state.bound.clear();
  for await (const d of ctx.arm.web.staticSites.listStaticSiteCustomDomains(state.resourceGroup, ctx.r.app)) {
    const name = (d.domainName ?? d.name ?? '').toLowerCase();
    if (name) state.bound.set(name, d);
  }
}

/** The app's deployment token (listSecrets' apiKey): kept in memory, sent only to the CI target and to `swa deploy`. */
export async function readToken(ctx: SetupContext, state: State): Promise<string> {
  try {
    const secrets = await ctx.arm.web.staticSites.listStaticSiteSecrets(state.resourceGroup, ctx.r.app);
    const token = secrets.properties?.apiKey;
    if (!token) throw new Error('Azure returned no apiKey');
    return token;
  } catch (e) {
    throw new StepFailure(`cannot read the deployment token of ${ctx.r.app}: ${describe(e)}`, { cause: e });
  }
}
