// Setup's last part: the CNAMEs at a DNS host outside Azure (printed, and waited for on a terminal), the state
// of each domain, and what is left to do; every line says what is true now.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostingOf } from '../../hosting/hosting.ts';
import { folderPath } from '../../project/outputs.ts';
import { checkCaa } from '../../check/caa.ts';
import { askDns } from '../../check/dns.ts';
import { renderFindings, renderTable } from '../../check/report.ts';
import { runChecks } from '../../check/run.ts';
import { checkPolicyFetch } from '../../check/policy-checks.ts';
import { POLICY_PATH } from '../../rfc/policy.ts';
import { dnsRecords, txtHolds, zoneFileLines, type DnsRecord } from '../../site/records.ts';
import { printable } from '../../printable.ts';
import { clockOf, poll } from '../retry.ts';
import { zoneFor } from '../zones.ts';
import { deployedFolder } from './files.ts';
import { PIPELINE_FILE, TOKEN_VARIABLE, VARIABLE_GROUP, describe, line, type SetupContext, type State } from './model.ts';

/** Hosts whose CNAME must be made at a DNS host outside Azure and is not bound yet. */
export function externalPending(ctx: SetupContext, state: State): string[] {
  const { r } = ctx;
  return r.config.domains.filter((domain) => {
    const host = `mta-sts.${domain}`;
    const d = state.bound.get(host);
    const inAzure = state.dnsResourceGroup && zoneFor(host, state.zones);
    return (!d || d.status === 'Failed') && !inAzure;
  });
}

export async function waitForExternalCnames(ctx: SetupContext, state: State): Promise<void> {
  const { r } = ctx;
  if (!state.site) return;
  let pending = externalPending(ctx, state);
  if (pending.length === 0) return;
  // The host's records as the kind's adapter gives them (a Function App's asuid TXT holds the app's
  // verification id, App Service's ownership check); setup knows every value, so none is a placeholder.
  const facts = { defaultHostname: state.site.defaultHostname, verificationId: state.site.verificationId, app: r.app, resourceGroup: state.resourceGroup };
  const hosting = hostingOf(r.config);
  const perDomain = pending.map((domain) => hosting.hostRecords(domain, facts));
  if (perDomain.some((records) => records.some((rec) => rec.placeholder !== undefined))) return;
  const asuid = (perDomain[0]?.length ?? 1) > 1;
  line(ctx, '');
  line(ctx, `Create these records at your DNS host (${asuid ? 'two' : 'one'} per domain):`);
  for (const line_ of zoneFileLines(perDomain.flat()).split('\n')) line(ctx, `  ${line_}`);
  if (r.waitDnsSeconds <= 0) {
    ctx.reporter.warn(`mta-sts.<domain> is not bound yet for ${pending.join(', ')}: create the ${asuid ? 'CNAME and TXT' : 'CNAME'} record(s) above, then run the same command again (or pass --wait-dns SECONDS to wait for them)`);
    return;
  }
  const clock = clockOf(ctx.d);
  const deadline = clock.now() + r.waitDnsSeconds * 1000;
  let lastLine: number | undefined;
  const lookupFailures = new Set<string>();
  let bindFailed = false;
  // Rounds of 10 s at most, plus one round per domain that binds: bounded in count and in time.
  await poll<void>(async () => {
    const visible: string[] = [];
    for (const [i, domain] of pending.entries()) {
      let all = true;
      for (const rec of perDomain[i]!) {
        const answer = rec.type === 'CNAME'
          ? await askDns(rec.name, 'CNAME', () => ctx.d.web.resolver.resolveCname(rec.name))
          : await askDns(rec.name, 'TXT', () => ctx.d.web.resolver.resolveTxt(rec.name));
        // A failed lookup is no answer: said once, then asked again on the next round.
        if (answer.kind === 'failed' && !lookupFailures.has(rec.name)) {
          lookupFailures.add(rec.name);
          ctx.d.out.err(`${printable(answer.message)}; asking again\n`);
        }
        const values = answer.kind === 'answer' ? (answer.value as (string | string[])[]).map((v) => (Array.isArray(v) ? v.join('') : v.toLowerCase().replace(/\.$/, ''))) : [];
        if (!values.includes(rec.type === 'CNAME' ? rec.value.toLowerCase() : rec.value)) {
          all = false;
          break;
        }
      }
      if (all) visible.push(domain);
    }
    if (visible.length > 0) {
      line(ctx, `\n${asuid ? 'CNAME and TXT' : 'CNAME'} visible for ${visible.join(', ')}; binding.`);
      try {
        await ctx.hosting.bind(ctx, state);
      } catch (e) {
        ctx.reporter.fail(`binding after the CNAME appeared failed: ${describe(e)}; run the same command again`);
        bindFailed = true;
        return { done: true, value: undefined };
      }
      pending = externalPending(ctx, state);
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
      const text = `waiting for the ${asuid ? 'records' : 'CNAME'} of ${pending.map((d) => `mta-sts.${d}`).join(', ')}: ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left`;
      if (ctx.d.isTTY) ctx.d.out.err(`\r${text}   `);
      else if (lastLine === undefined || clock.now() - lastLine >= 60_000) {
        ctx.d.out.err(`${text}\n`);
        lastLine = clock.now();
      }
    },
  });
  if (bindFailed) return;
  if (ctx.d.isTTY) ctx.d.out.err('\n');
  if (pending.length > 0) {
    ctx.reporter.warn(`gave up waiting after ${r.waitDnsSeconds} s for the ${asuid ? 'records' : 'CNAME'} of ${pending.map((d) => `mta-sts.${d}`).join(', ')}: create the record(s) above, then run the same command again`);
  }
}

export async function finalState(ctx: SetupContext, state: State): Promise<void> {
  const { r } = ctx;
  if (!state.site) return;
  line(ctx, '');
  line(ctx, 'State per domain:');
  const records = dnsRecords(r.config);
  const built = await readFile(join(folderPath(r.configPath, 'site', r.cwd), `.${POLICY_PATH}`)).catch(() => undefined);
  for (const domain of r.config.domains) {
    const host = `mta-sts.${domain}`;
    const d = state.bound.get(host);
    const parts: string[] = [];
    if (!d) parts.push('not bound');
    else parts.push(`bound (${d.status ?? 'status unknown'})`);
    let live = false;
    let certificateReady = false;
    if (d?.status === 'Ready') {
      const fetched = await checkPolicyFetch(domain, ctx.d.web, AbortSignal.timeout(20_000), true);
      if (fetched.certPending) parts.push('certificate pending');
      else if (fetched.result.status === 'fail') parts.push(`policy not reachable yet (${printable(fetched.result.message)})`);
      else {
        certificateReady = true;
        parts.push('certificate ready');
        live = built !== undefined && fetched.body !== undefined && Buffer.compare(Buffer.from(fetched.body), built) === 0;
        parts.push(live ? 'policy live' : 'policy not deployed yet (run the same command again; later changes: the pipeline)');
      }
    } else if (d) {
      parts.push(`certificate pending (${hostingOf(r.config).pendingCertificate})`);
    }
    if (d && !certificateReady) {
      // RFC 8659: a CAA set that forbids DigiCert means the certificate never comes: a failure, with the record to add.
      const caa = await checkCaa(domain, ctx.d.web.resolver, AbortSignal.timeout(20_000));
      if (caa.finding?.status === 'fail') {
        parts.push('certificate blocked by CAA');
        ctx.reporter.fail(`${domain}: ${caa.finding.message}`);
      }
    }
    const sts = records.find((x) => x.domain === domain && x.name === `_mta-sts.${domain}`)!;
    parts.push(await txtState(ctx, state, 'TXT', sts));
    const rpt = records.find((x) => x.domain === domain && x.name === `_smtp._tls.${domain}`);
    if (rpt) parts.push(await txtState(ctx, state, 'TLS-RPT', rpt));
    line(ctx, `  ${domain}: ${parts.join('; ')}`);
  }
}

/** Whether a TXT record is live; a failed lookup is said as such, never taken for "still to publish". */
export async function txtState(ctx: SetupContext, state: State, label: string, rec: DnsRecord): Promise<string> {
  const answer = await askDns(rec.name, 'TXT', () => ctx.d.web.resolver.resolveTxt(rec.name));
  if (answer.kind === 'failed') return `${label}: lookup failed (${printable(answer.message)}), cannot tell whether it is published`;
  const values = answer.kind === 'answer' ? answer.value.map((x) => x.join('')) : [];
  if (values.some((v) => txtHolds(rec, v))) return `${label} published`;
  if (state.dnsResourceGroup && zoneFor(rec.name, state.zones)) return `${label}: held back until the policy is live; the next run of this command, or the ${ctx.r.github ? 'workflow' : 'pipeline'}, publishes it in Azure DNS`;
  return `${label} still to publish: ${zoneFileLines([rec])}`;
}

export function nextSteps(ctx: SetupContext, state: State): void {
  const { r } = ctx;
  const lines: string[] = [];
  if (state.dnsResourceGroup && state.dnsResourceGroup.toLowerCase() !== state.resourceGroup.toLowerCase() && state.endpoint?.servicePrincipalId && !state.identity) {
    lines.push(`The DNS zones are in resource group ${state.dnsResourceGroup}; let the pipeline's connection write records there (once):`);
    lines.push(`  az role assignment create --assignee ${state.endpoint.servicePrincipalId} --role "DNS Zone Contributor" --scope /subscriptions/${r.subscription.id}/resourceGroups/${state.dnsResourceGroup}`);
  }
  for (const target of ctx.ci) lines.push(...(target.nextSteps?.(ctx, state) ?? []));
  if (!r.devops && !r.github) {
    lines.push('Azure DevOps was not set up (no --devops-org/--devops-project). Either run this again with them, or in Azure DevOps:');
    const secret = ctx.hosting.pipelineSecret(ctx, state);
    lines.push(secret
      ? `  1. Pipelines > Library > + Variable group "${VARIABLE_GROUP}" with the secret ${TOKEN_VARIABLE} (${secret.show}).`
      : `  1. Pipelines > Library > + Variable group "${VARIABLE_GROUP}" (${PIPELINE_FILE} names it; a ${hostingOf(r.config).name} needs no ${TOKEN_VARIABLE}, so any one variable will do).`);
    lines.push(`  2. Project settings > Service connections > New > Azure Resource Manager > Workload identity federation (automatic), resource group ${state.resourceGroup}; put its name in armServiceConnection in ${PIPELINE_FILE}.`);
    lines.push(`  3. Pipelines > New pipeline > your repository > Existing Azure Pipelines YAML file > /${PIPELINE_FILE}; on the first run click Permit.`);
  }
  if (r.devops && state.hostedJobs === 0) {
    ctx.reporter.warn(`the Azure DevOps organisation ${r.devops.orgUrl} has no Microsoft-hosted parallel job yet, so the pipeline's runs would wait in the queue: request the free grant at https://aka.ms/azpipelines-parallelism-request (a few business days), or run a self-hosted Linux agent with Docker (AzureStaticWebApp@0 runs on Linux only) and name its pool in ${PIPELINE_FILE}`);
  }
  if (state.filesChanged.size > 0 || r.devops || r.github) {
    lines.push(`Later changes: edit ${r.configFile}, commit and push; the ${r.github ? 'workflow' : 'pipeline'} deploys ${deployedFolder(ctx, state).display}/, binds new domains and publishes the TXT records once the new policy is live.`);
  }
  if (lines.length > 0) {
    line(ctx, '');
    for (const l of lines) line(ctx, l);
  }
}

/**
 * The closing verdict: `mta-sts check` of every domain, as the pipeline's Verify stage runs it (STARTTLS left to a
 * network that reaches port 25: reported as a warning), its table and findings, then one last line per run.
 */
export async function verdict(ctx: SetupContext, state: State): Promise<void> {
  const domains = ctx.r.config.domains;
  const reports = await runChecks([...domains], ctx.d.checkIO, { concurrency: 8, timeoutMs: 60_000, config: state.config, allowPendingCert: false, skipStarttls: true });
  line(ctx, '');
  line(ctx, 'mta-sts check (as senders see it now):');
  ctx.d.out.out(renderTable(reports) + renderFindings(reports));
  line(ctx, `mta-sts check: ${reports.map((r) => `${r.domain} ${r.status}`).join(', ')}`);
}
