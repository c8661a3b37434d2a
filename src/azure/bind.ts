// `mta-sts azure bind`: make every mta-sts.<domain> a custom domain of the Static Web App. Creates the CNAME
// first when the domain's zone is in Azure DNS; elsewhere it binds only once the CNAME resolves, and until
// then prints the record to create (a first run is never red). Safe to re-run: bound hosts are skipped.
import type { StaticSiteCustomDomainOverviewARMResource } from '@azure/arm-appservice';
import type { Config } from '../config/config.ts';
import { checkCaa } from '../check/caa.ts';
import { askDns, type DnsAnswer } from '../check/dns.ts';
import { checkPolicyFetch, type PolicyFetchIO } from '../check/policy-checks.ts';
import { RECORD_TTL } from '../site/records.ts';
import { printable } from '../printable.ts';
import type { Reporter } from './annotations.ts';
import { statusOf, withThrottleRetry, type ArmClients, type ThrottleOptions } from './arm.ts';
import { azureErrorLine, classify, domainFailure, readAzureError } from './azure-error.ts';
import { MANAGED_BY, readRecordSet, zonesHolding, type AzureZone } from './dns-zones.ts';
import { clockOf, poll } from './retry.ts';
import { zoneFor } from './zones.ts';

/** The Static Web App and, optionally, the resource group of the Azure DNS zones. */
export interface AppRef {
  app: string;
  resourceGroup: string;
  dnsResourceGroup?: string;
}

export interface BindOptions {
  config: Config;
  target: AppRef;
  clients: ArmClients;
  /** The lookups and fetches of `check` (so `--dns-server` applies), to see the CNAME and the certificate. */
  web: PolicyFetchIO;
  reporter: Reporter;
  /** Tries of the binding while Azure answers "CNAME Record is invalid" (default 5). */
  attempts?: number;
  /** First wait between those tries, doubled after each (default 30 s). */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  throttle?: ThrottleOptions;
  /** Wait between two reads of a custom domain Azure is still validating (default 15 s). */
  pollIntervalMs?: number;
  /** Reads of a validating custom domain before this run leaves it to the next (default 40: 10 minutes). */
  followAttempts?: number;
  /** Leave the CAA finding to the caller (setup reports it with the state of each domain). */
  skipCaa?: boolean;
  /** Deadline of the certificate probe of each bound host. */
  probeTimeoutMs?: number;
}

/** Azure custom-domain status values that mean "still being validated or added". */
const IN_PROGRESS = new Set(['RetrievingValidationToken', 'Validating', 'Adding']);

const bare = (name: string) => name.toLowerCase().replace(/\.$/, '');

export async function bindDomains(o: BindOptions): Promise<void> {
  const { web: client, dns } = o.clients;
  const { app, resourceGroup, dnsResourceGroup } = o.target;
  const r = o.reporter;
  const throttled = <T>(call: () => Promise<T>) => withThrottleRetry(call, {
    ...o.throttle,
    onWait: (ms, attempt) => r.info(`Azure is throttling requests (429); waiting ${ms / 1000} s (retry ${attempt})`),
  });

  let site;
  try {
    site = await throttled(() => client.staticSites.getStaticSite(resourceGroup, app));
  } catch (e) {
    r.fail(azureErrorLine(`reading the Static Web App ${app} in resource group ${resourceGroup}`, e, { app, resourceGroup }));
    return;
  }
  const target = bare(site.defaultHostname ?? '');
  if (!target) {
    r.fail(`the Static Web App ${app} reports no default host name; is it fully created?`);
    return;
  }
  const configured = o.config.hosting.default_hostname;
  if (configured && configured !== target) {
    r.warn(`hosting.default_hostname is ${configured} but ${app}'s host is ${target}; using ${target} (fix mta-sts.config.yaml)`);
  }

  const bound = new Map<string, StaticSiteCustomDomainOverviewARMResource>();
  try {
    await throttled(async () => {
      bound.clear();
      for await (const d of client.staticSites.listStaticSiteCustomDomains(resourceGroup, app)) {
        if (d.domainName ?? d.name) bound.set(bare(d.domainName ?? d.name!), d);
      }
    });
  } catch (e) {
    r.fail(azureErrorLine(`listing the custom domains of Static Web App ${app} in ${resourceGroup}`, e, { app, resourceGroup }));
    return;
  }

  let zones: AzureZone[] = [];
  if (dnsResourceGroup) {
    try {
      zones = await throttled(() => zonesHolding(dns, dnsResourceGroup, o.config.domains.map((d) => `mta-sts.${d}`), (why) => r.info(`(${why})`)));
    } catch (e) {
      r.fail(azureErrorLine(`listing the Azure DNS zones in resource group ${dnsResourceGroup}`, e, { resourceGroup: dnsResourceGroup }));
      return;
    }
  }

  for (const domain of o.config.domains) {
    const host = `mta-sts.${domain}`;
    const existing = bound.get(host);
    if (existing && existing.status !== 'Failed') {
      r.info(`${domain}: ${host} already bound (status ${existing.status ?? 'unknown'})`);
      await reportState(o, domain, existing.status);
      continue;
    }
    const zone = dnsResourceGroup ? zoneFor(host, zones.map((z) => z.name)) : undefined;
    if (zone) {
      const group = zones.find((z) => z.name === zone.zone)!.resourceGroup;
      if (!(await ensureCname(o, domain, group, zone.zone, zone.relative, target, throttled))) continue;
    } else {
      const visible = await cnameVisible(o.web, host, target);
      if (visible.kind === 'failed') {
        r.fail(`${domain}: cannot tell whether ${host} is a CNAME to ${target}: ${printable(visible.message)}; nothing was bound for it, re-run once your DNS answers (dig CNAME ${host})`);
        continue;
      }
      if (visible.kind === 'none' || !visible.value) {
        const where = dnsResourceGroup ? `no zone in ${dnsResourceGroup} holds ${host}, so ` : '';
        r.warn(`${domain}: ${where}${host} is not yet a CNAME to ${target}; create this record at your DNS host, and the next run binds it: ${host}. ${RECORD_TTL} IN CNAME ${target}.`);
        continue;
      }
    }
    const result = await bindHost(o, domain, host, target, throttled);
    if (result) {
      r.info(`${domain}: bound ${host} to ${app} (status ${result.status ?? 'unknown'})`);
      await reportState(o, domain, result.status);
    }
  }
  if (!dnsResourceGroup) {
    r.info('DNS is not automated (no hosting.dns_resource_group): each mta-sts.<domain> must be a CNAME to the app\'s default host name.');
  }
}

/** Creates or corrects the mta-sts CNAME in Azure DNS; false when that failed (reported). */
async function ensureCname(
  o: BindOptions, domain: string, dnsRg: string, zone: string, relative: string, target: string,
  throttled: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<boolean> {
  const fqdn = `mta-sts.${domain}`;
  try {
    const current = await throttled(() => readRecordSet(o.clients.dns, dnsRg, zone, relative, 'CNAME'));
    const now = current?.cnameRecord?.cname ? bare(current.cnameRecord.cname) : undefined;
    if (now === target) {
      o.reporter.info(`${domain}: CNAME ${fqdn} -> ${target} (already in zone ${zone})`);
      return true;
    }
    // One PUT of the whole set; If-Match refuses to overwrite a change made since we read it.
    await throttled(() => o.clients.dns.recordSets.createOrUpdate(dnsRg, zone, relative, 'CNAME', {
      ttl: current?.ttl ?? RECORD_TTL,
      cnameRecord: { cname: target },
      metadata: { ...current?.metadata, ...MANAGED_BY },
    }, current?.etag ? { ifMatch: current.etag } : { ifNoneMatch: '*' }));
    o.reporter.info(`${domain}: CNAME ${fqdn} -> ${target} in zone ${zone}${now ? ` (was ${printable(now)})` : ''}`);
    return true;
  } catch (e) {
    const what = `${domain}: creating CNAME ${fqdn} -> ${target} in Azure DNS zone ${zone} (resource group ${dnsRg})`;
    o.reporter.fail(statusOf(e) === 412
      ? `${what} failed: someone changed the record set while we wrote it; it was not overwritten, re-run to try again`
      : azureErrorLine(what, e, { resourceGroup: dnsRg }));
    return false;
  }
}

/**
 * Whether `host` already resolves as a CNAME to the app's default host name (what Azure's validation needs):
 * a failed lookup is no answer, and is never taken for a missing record.
 */
async function cnameVisible(web: PolicyFetchIO, host: string, target: string): Promise<DnsAnswer<boolean>> {
  const answer = await askDns(host, 'CNAME', () => web.resolver.resolveCname(host));
  if (answer.kind !== 'answer') return answer;
  return { kind: 'answer', value: answer.value.some((name) => bare(name) === target) };
}

async function bindHost(
  o: BindOptions, domain: string, host: string, target: string,
  throttled: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<StaticSiteCustomDomainOverviewARMResource | undefined> {
  const { app, resourceGroup } = o.target;
  const attempts = o.attempts ?? 5;
  const base = o.baseDelayMs ?? 30_000;
  const context = { app, resourceGroup, host, target };
  let last: unknown;
  const result = await poll<StaticSiteCustomDomainOverviewARMResource | undefined>(async () => {
    let followed: Followed;
    try {
      followed = await putAndFollow(o, domain, host, throttled);
    } catch (e) {
      followed = { failed: e };
    }
    if (!('failed' in followed)) return { done: true, value: followed.domain };
    if (classify(readAzureError(followed.failed)) !== 'cname-invalid') {
      o.reporter.fail(azureErrorLine(`${domain}: binding ${host} to ${app}`, followed.failed, context));
      return { done: true, value: undefined };
    }
    last = followed.failed;
    return { done: false, value: undefined };
  }, {
    attempts,
    delayMs: (n) => base * 2 ** (n - 1),
    clock: clockOf(o),
    // Azure often rejects a correct, fresh CNAME for a few minutes (Azure/static-web-apps#202, #911).
    onWait: (ms, n) => o.reporter.info(`${domain}: Azure does not see the CNAME yet (attempt ${n} of ${attempts}); retrying in ${ms / 1000} s`),
  });
  if (!result.done) o.reporter.fail(azureErrorLine(`${domain}: binding ${host} (${result.attempts} attempts)`, last, context));
  return result.value;
}

type Followed = { domain: StaticSiteCustomDomainOverviewARMResource } | { failed: unknown };

/**
 * One binding: the PUT (answered 202), then the custom domain itself, read until Azure has validated it. Not the
 * operation URL of the 202: it lies at the subscription's scope (…/providers/Microsoft.Web/locations/{loc}/
 * operationResults/{id}, CreateOrUpdateStaticSiteCustomDomain.json) and needs
 * Microsoft.Web/locations/operationResults/read there, which the pipeline's identity, Contributor on the app only,
 * lacks (hashicorp/terraform-provider-azurerm#28451); the domain's `status` is inside its scope. Still validating at
 * the end of the bounded reads: returned as it is, and the next run looks again.
 */
async function putAndFollow(
  o: BindOptions, domain: string, host: string, throttled: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<Followed> {
  const { app, resourceGroup } = o.target;
  const web = o.clients.web.staticSites;
  // Only the initial request: the poller is never awaited, so the SDK never reads the operation URL.
  await throttled(() => web.createOrUpdateStaticSiteCustomDomain(resourceGroup, app, host, { validationMethod: 'cname-delegation' }).submitted());
  const reads = o.followAttempts ?? 40;
  const interval = o.pollIntervalMs ?? 15_000;
  const followed = await poll<StaticSiteCustomDomainOverviewARMResource>(async () => {
    const d = await throttled(() => web.getStaticSiteCustomDomain(resourceGroup, app, host));
    return IN_PROGRESS.has(d.status ?? '') ? { done: false, value: d } : { done: true, value: d };
  }, {
    attempts: reads,
    delayMs: interval,
    clock: clockOf(o),
    onWait: (ms, n, d) => o.reporter.info(`${domain}: Azure is validating ${host} (status ${printable(d.status ?? 'unknown')}, look ${n} of ${reads}); next look in ${ms / 1000} s`),
  });
  const d = followed.value;
  if (d.status === 'Failed') return { failed: domainFailure(d.errorMessage) };
  if (!followed.done) o.reporter.warn(`${domain}: Azure is still validating ${host} after ${followed.attempts} looks (status ${printable(d.status ?? 'unknown')}); the next run looks again`);
  return { domain: d };
}

/** validating / certificate pending / ready, from Azure's status and, once Ready, the certificate the host serves. */
async function reportState(o: BindOptions, domain: string, status: string | undefined): Promise<void> {
  const host = `mta-sts.${domain}`;
  if (status !== 'Ready') {
    const state = status && IN_PROGRESS.has(status) ? 'validating' : `status ${status ?? 'unknown'}`;
    o.reporter.info(`${domain}: ${host} is ${state}; Azure issues its certificate after validation`);
    return;
  }
  const fetched = await checkPolicyFetch(domain, o.web, AbortSignal.timeout(o.probeTimeoutMs ?? 20_000), true);
  if (fetched.certPending || fetched.result.status === 'fail') {
    // RFC 8659: a CAA set that forbids DigiCert means the certificate never comes: a failure, with the record to add.
    const caa = o.skipCaa ? {} : await checkCaa(domain, o.web.resolver, AbortSignal.timeout(o.probeTimeoutMs ?? 20_000));
    if (caa.finding?.status === 'fail') {
      o.reporter.fail(`${domain}: ${host} is bound, but ${caa.finding.message}`);
      return;
    }
  }
  if (fetched.certPending) {
    o.reporter.warn(`${domain}: ${host} is bound, certificate pending: Azure still serves its default *.azurestaticapps.net certificate (minutes to hours)`);
  } else if (fetched.result.status === 'fail') {
    // Bound, but not ready: the host could not be reached or served no policy (not deployed yet, or DNS failed).
    o.reporter.warn(`${domain}: ${host} is bound, but fetching its policy failed: ${printable(fetched.result.message)}; the pipeline deploys home/ on push, then run check`);
  } else {
    o.reporter.info(`${domain}: ${host} is ready`);
  }
}
