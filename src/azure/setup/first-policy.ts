// Setup makes the first policy live itself (issue 24): it deploys the built folder to the app (the kind's adapter
// says how), and once the bindings are made, publishes the TXT records only when the policy is served over HTTPS
// (RFC 8461 §8.1: a sender that sees a new id fetches the policy at once), or prints them when DNS is elsewhere.
// The pipeline deploys every later change. A second run finds the policy live and the records in place: no step.
import { askDns } from '../../check/dns.ts';
import { checkPolicyFetch } from '../../check/policy-checks.ts';
import { policyText } from '../../config/policy.ts';
import { POLICY_PATH } from '../../rfc/policy.ts';
import { policyRecords, txtHolds } from '../../site/records.ts';
import { publishDns } from '../publish-dns.ts';
import { builtFolder, outputs } from '../../project/outputs.ts';
import { deployedFolder } from './files.ts';
import type { SetupContext, State, Step } from './model.ts';

/** The policy's bytes as the config describes them: what home/ holds and what the app must serve. */
const policyBytes = (state: State) => Buffer.from(policyText(state.config));

/**
 * Whether the app already serves the config's policy (some mta-sts host answers with exactly its bytes: one app
 * serves them all), and whether every TXT record the config needs is already in DNS with its value.
 */
export async function observePolicy(ctx: SetupContext, state: State): Promise<void> {
  if (!state.site) return;
  const wanted = policyBytes(state);
  // One host that serves it is enough (one app serves them all): the app's own default host first, which serves the
  // same content before any custom domain is bound; hosts not bound yet answer fast (no address).
  state.policyLive = await serves(ctx, state.site.defaultHostname, wanted);
  for (const domain of ctx.r.config.domains) {
    if (state.policyLive) break;
    const fetched = await checkPolicyFetch(domain, ctx.d.web, AbortSignal.timeout(20_000), true);
    state.policyLive = !fetched.certPending && fetched.body !== undefined && Buffer.from(fetched.body).equals(wanted);
  }
  const published = await Promise.all(policyRecords(state.config).map(async (rec) => {
    const answer = await askDns(rec.name, 'TXT', () => ctx.d.web.resolver.resolveTxt(rec.name));
    return answer.kind === 'answer' && answer.value.some((v) => txtHolds(rec, v.join('')));
  }));
  state.txtPublished = published.every(Boolean);
}

/** Whether `host` (the app's default host name, with the platform's own certificate) serves exactly `wanted`. */
async function serves(ctx: SetupContext, host: string, wanted: Buffer): Promise<boolean> {
  const signal = AbortSignal.timeout(20_000);
  const address = (await ctx.d.web.resolver.resolve4(host).catch(() => []))[0];
  if (!address) return false;
  const fetched = await ctx.d.web.fetcher.fetch({ host, address, signal });
  return fetched.status === 200 && !fetched.error && fetched.body !== undefined && fetched.body.equals(wanted);
}

/** The deploy step, when the app does not serve the config's policy yet. */
export function planDeploy(ctx: SetupContext, state: State, steps: Step[]): void {
  if (state.policyLive) return;
  const { r } = ctx;
  const folder = deployedFolder(ctx, state).display;
  steps.push({
    key: 'deploy', needs: [...(state.site ? [] : ['app']), ...(steps.some((s) => s.key === 'config') ? ['config'] : [])],
    title: `Deploy ${folder}/ to ${r.app} (the first policy; the pipeline deploys later changes)`,
    byHand: () => ctx.hosting.deployCommand(ctx, state),
    apply: () => ctx.hosting.deploy(ctx, state),
  });
}

/** The TXT records, once the policy is live over HTTPS; in Azure DNS, or printed for the user's DNS host. */
export function planPublish(ctx: SetupContext, state: State, steps: Step[]): void {
  if (state.txtPublished) return;
  const { d } = ctx;
  const needs = steps.filter((s) => s.key === 'deploy' || s.key === 'bind').map((s) => s.key);
  const where = state.dnsResourceGroup ? 'in Azure DNS, or printed for a DNS host outside Azure' : 'printed for your DNS host';
  steps.push({
    key: 'publish', needs,
    title: `Publish the _mta-sts${state.config.tlsrpt ? ' and _smtp._tls' : ''} TXT records once ${ctx.r.config.domains.length === 1 ? 'the policy is' : 'each domain\'s policy is'} live over HTTPS (${where})`,
    byHand: `npx --no mta-sts azure publish-dns --config ${ctx.r.configFile}`,
    apply: async () => {
      const before = ctx.reporter.failures;
      const site = builtFolder(outputs(ctx.r.configPath, state.config, ctx.r.cwd), 'site')!;
      await publishDns({
        config: state.config, policy: policyBytes(state), policyFile: `${site.display}${POLICY_PATH}`, web: d.web,
        azure: state.dnsResourceGroup ? { dns: ctx.arm.dns, resourceGroup: state.dnsResourceGroup } : undefined,
        reporter: ctx.reporter, waitMs: d.liveWaitMs ?? 600_000, pollMs: d.pollIntervalMs ?? 10_000,
        throttle: { sleep: d.sleep }, sleep: d.sleep, now: d.now,
      });
      if (ctx.reporter.failures > before) throw new Error('a TXT record was held back or could not be written (see above)');
      return 'published where the zones are in Azure DNS; printed above for any other';
    },
  });
}
