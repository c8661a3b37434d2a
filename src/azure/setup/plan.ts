// Setup's second part: from the request and the State observe returned, the numbered steps that remain, each with
// what it needs first, how to do it by hand, and the call that does it. In order: the resource group, the app (its
// hosting adapter's steps), the config and built folders, each CI target's steps, the first policy's deployment,
// the bindings, the TXT records once the policy is live, the commit.
import { hostingOf } from '../../hosting/hosting.ts';
import { zoneFor } from '../zones.ts';
import { planCommit, planConfig, planYaml } from './files.ts';
import { planDeploy, planPublish } from './first-policy.ts';
import type { SetupContext, State, Step } from './model.ts';

export function plan(ctx: SetupContext, state: State): Step[] {
  const { r } = ctx;
  const steps: Step[] = [];
  if (!state.rgExists) {
    const rg = state.resourceGroup;
    steps.push({
      key: 'rg', needs: [], title: `Create resource group ${rg} in ${r.region}`,
      byHand: `az group create -n ${rg} -l ${r.region}`,
      apply: async () => {
        await ctx.resources.resourceGroups.createOrUpdate(rg, { location: r.region, tags: { 'managed-by': 'mta-sts' } });
        state.rgExists = true;
      },
    });
  }
  ctx.hosting.planApp(ctx, state, steps);
  planConfig(ctx, state, steps);

  if (ctx.ci.length > 0) for (const target of ctx.ci) target.plan(ctx, state, steps);
  // Without a CI target only the Deploy steps' choice is set in the pipeline file (the connection is the user's).
  else if (state.yaml) planYaml(ctx, state, { hostingKind: r.config.hosting.kind }, steps);

  // The first policy live without a pipeline run: deployed, the hosts bound with their certificates, then the TXT.
  planDeploy(ctx, state, steps);
  planBind(ctx, state, steps);
  planPublish(ctx, state, steps);
  planCommit(ctx, state, steps);
  return steps;
}

function planBind(ctx: SetupContext, state: State, steps: Step[]): void {
  const { r } = ctx;
  const unbound = r.config.domains.filter((domain) => {
    const d = state.bound.get(`mta-sts.${domain}`);
    return !d || d.status === 'Failed';
  });
  if (unbound.length === 0) return;
  const how = unbound.map((domain) => {
    const zone = state.dnsResourceGroup ? zoneFor(`mta-sts.${domain}`, state.zones) : undefined;
    // The records the kind's host needs (a Function App's also the TXT asuid.mta-sts.<domain>, App Service's ownership check).
    const kinds = hostingOf(r.config).hostRecords(domain, {}).map((rec) => (rec.type === 'CNAME' ? 'CNAME' : `${rec.name.split('.')[0]} TXT`)).join(' and ');
    return zone ? `mta-sts.${domain} (${kinds} in Azure DNS zone ${zone.zone})` : `mta-sts.${domain} (once its ${kinds} ${kinds.includes(' and ') ? 'exist' : 'exists'} at your DNS host)`;
  });
  steps.push({
    key: 'bind', needs: state.site ? [] : ['app'], title: `Bind ${how.join(', ')} to ${r.app}`,
    byHand: `npx --no mta-sts azure bind --config ${r.configFile}`,
    apply: () => ctx.hosting.bind(ctx, state),
  });
}
