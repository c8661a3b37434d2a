// Setup's first part: what exists (resource group, the app as its hosting adapter reads it, DNS zones, the
// pipeline YAML, the built folders, git, and what each CI target has). It changes nothing: it returns the State
// that plan builds the steps from.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipelineVariable } from '../../config/pipeline-yaml.ts';
import { statusOf } from '../arm.ts';
import { zonesHolding } from '../dns-zones.ts';
import { zoneFor } from '../zones.ts';
import { foldersStale, uncommittedFiles } from './files.ts';
import { observePolicy } from './first-policy.ts';
import { PIPELINE_FILE, StepFailure, describe, initialState, line, rightsMissing, type SetupContext, type State } from './model.ts';

export async function observe(ctx: SetupContext): Promise<State> {
  const { r } = ctx;
  const state = initialState(r);
  if (r.resourceGroupIsDefault && !state.dnsResourceGroup) {
    await findDnsZones(ctx, state);
    if (state.dnsResourceGroup && !(await groupExists(ctx, state.resourceGroup))) {
      state.resourceGroup = state.dnsResourceGroup;
      line(ctx, `Using resource group ${state.resourceGroup} for the app too, beside the Azure DNS zones.`);
    }
  }
  state.rgExists = await groupExists(ctx, state.resourceGroup);
  await ctx.hosting.observe(ctx, state);
  if (!state.dnsResourceGroup) await findDnsZones(ctx, state);
  const dnsGroup = state.dnsResourceGroup;
  if (dnsGroup) {
    try {
      // Per domain: in hosting.dns_resource_group first, else wherever in the subscription its zone is.
      const found = await zonesHolding(ctx.arm.dns, dnsGroup, r.config.domains.map((d) => `mta-sts.${d}`));
      state.zones = found.map((z) => z.name);
      state.zoneGroups = new Map(found.map((z) => [z.name, z.resourceGroup]));
      const others = [...new Set(found.map((z) => z.resourceGroup).filter((g) => g.toLowerCase() !== dnsGroup.toLowerCase()))];
      if (others.length > 0) line(ctx, `Found Azure DNS zones of your domains also in resource group(s) ${others.join(', ')}.`);
    } catch (e) {
      throw new StepFailure(`cannot list the Azure DNS zones in resource group ${dnsGroup}: ${describe(e)}`, { cause: e });
    }
  }
  await observePolicy(ctx, state);
  const yamlText = await readFile(resolve(r.cwd, PIPELINE_FILE), 'utf8').catch(() => undefined);
  if (yamlText !== undefined) {
    const named = pipelineVariable(yamlText, 'armServiceConnection');
    if (named) state.connectionName = named;
    // Older pipeline files also name the app and resource groups in variables; keep them in line with the config.
    // hostingKind picks the Deploy steps when the YAML is compiled (azure-pipelines.yml); it must match hosting.kind.
    const wanted: Record<string, string> = { armServiceConnection: state.connectionName, hostingKind: r.config.hosting.kind, swaName: r.app, swaResourceGroup: state.resourceGroup };
    if (state.dnsResourceGroup) wanted.dnsResourceGroup = state.dnsResourceGroup;
    state.yaml = { text: yamlText, wanted };
  }
  state.homeStale = await foldersStale(ctx, state);
  state.uncommitted = await uncommittedFiles(ctx);
  for (const target of ctx.ci) await target.observe(ctx, state);
  return state;
}

async function groupExists(ctx: SetupContext, name: string): Promise<boolean> {
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
async function findDnsZones(ctx: SetupContext, state: State): Promise<void> {
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
    state.dnsResourceGroup = best[0];
    line(ctx, `Found the Azure DNS zones of ${best[1]} of ${ctx.r.config.domains.length} domain(s) in resource group ${best[0]}.`);
  }
}

