// `mta-sts azure publish-dns`: wait until every mta-sts.<domain> serves exactly the built policy, then publish
// the TXT records — the order RFC 8461 §8.1 asks for, since a sender that sees a new id fetches the policy at
// once. In Azure DNS each record set is replaced with ONE PUT guarded by the etag read before; elsewhere the
// exact records are printed, with what the live DNS says.
import type { DnsManagementClient } from '@azure/arm-dns';
import type { Config } from '../config/config.ts';
import { askDns } from '../check/dns.ts';
import { checkPolicyFetch, type PolicyFetchIO } from '../check/policy-checks.ts';
import { policyUrl } from '../rfc/policy.ts';
import { dnsRecords, policyRecords, txtCharacterStrings, zoneFileLines, type DnsRecord } from '../site/records.ts';
import { hostingOf } from '../hosting/hosting.ts';
import { printable } from '../printable.ts';
import type { Reporter } from './annotations.ts';
import { statusOf, withThrottleRetry, type ThrottleOptions } from './arm.ts';
import { azureErrorLine } from './azure-error.ts';
import { MANAGED_BY, isManaged, readRecordSet, txtValues, zonesHolding, type AzureZone } from './dns-zones.ts';
import { clockOf, poll } from './retry.ts';
import { zoneFor } from './zones.ts';

export interface PublishOptions {
  config: Config;
  /** The built policy, home/.well-known/mta-sts.txt, and how to name it in messages. */
  policy: Buffer;
  policyFile: string;
  web: PolicyFetchIO;
  /** Azure DNS; absent when no hosting.dns_resource_group is set: then every record is printed. */
  azure?: { dns: DnsManagementClient; resourceGroup: string };
  /**
   * --print-only although the config names Azure DNS zones: the records are printed, and one warning says they
   * were not written and `howToWrite` (the advice for where the command runs).
   */
  notWritten?: { resourceGroup: string; howToWrite: string };
  reporter: Reporter;
  /** How long to wait for each domain's policy (default 10 min). */
  waitMs?: number;
  /** Pause between fetches of a domain not live yet (default 10 s). */
  pollMs?: number;
  /** Deadline of one fetch (default 30 s). */
  fetchTimeoutMs?: number;
  throttle?: ThrottleOptions;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

type Liveness =
  | { state: 'live' }
  | { state: 'cert-pending' }
  | { state: 'unresolved'; why: string }
  | { state: 'lookup-failed'; why: string }
  | { state: 'not-live'; why: string };

export async function publishDns(o: PublishOptions): Promise<void> {
  const r = o.reporter;
  const outcomes = await Promise.all(o.config.domains.map((domain) => waitLive(o, domain)));

  let found: AzureZone[] = [];
  if (o.azure) {
    try {
      found = await withThrottleRetry(() => zonesHolding(o.azure!.dns, o.azure!.resourceGroup, o.config.domains, (why) => r.info(`(${why})`)), o.throttle);
    } catch (e) {
      r.fail(azureErrorLine(`listing the Azure DNS zones in resource group ${o.azure.resourceGroup}`, e, { resourceGroup: o.azure.resourceGroup }));
      return;
    }
  }

  const zones = found.map((z) => z.name);
  const groupOf = (zone: string) => found.find((z) => z.name === zone)!.resourceGroup;
  // Written: the policy's TXT records. Printed: those and the host's own (CNAME, and a Function App's asuid TXT).
  const hosting = hostingOf(o.config);
  const records = dnsRecords(o.config);
  const written = policyRecords(o.config);
  for (const [i, domain] of o.config.domains.entries()) {
    const live = outcomes[i]!;
    const host = `mta-sts.${domain}`;
    if (live.state === 'cert-pending') {
      r.warn(`${domain}: TXT held back: certificate pending for ${host} (${hosting.pendingCertificate}); the next run publishes the TXT once it is issued`);
      continue;
    }
    if (live.state === 'unresolved') {
      const zone = o.azure ? zoneFor(domain, zones) : undefined;
      if (zone) {
        r.warn(`${domain}: TXT held back: ${printable(live.why)}; \`mta-sts azure bind\` creates the CNAME, and a later run publishes the TXT once the policy is live`);
      } else {
        // Printing is all this run does for the domain: give the whole set now, in the order it must go live.
        await printPending(o, domain, live.why, records.filter((rec) => rec.domain === domain));
      }
      continue;
    }
    if (live.state === 'lookup-failed') {
      r.fail(`${domain}: TXT held back: the DNS lookup of ${host} failed (${printable(live.why)}), so whether the policy is live cannot be told; the _mta-sts id must not change until it is (RFC 8461 §8.1): re-run once DNS answers`);
      continue;
    }
    if (live.state === 'not-live') {
      r.fail(`${domain}: TXT held back: ${policyUrl(host, o.web.fetcher.port)} does not serve ${o.policyFile}: ${live.why}; the _mta-sts id must not change until it does (RFC 8461 §8.1)`);
      continue;
    }
    r.info(`${domain}: the new policy is live at ${policyUrl(host, o.web.fetcher.port)}`);
    const own = records.filter((rec) => rec.domain === domain);
    const txt = written.filter((rec) => rec.domain === domain);
    const zone = o.azure ? zoneFor(domain, zones) : undefined;
    if (o.azure && zone) {
      const group = groupOf(zone.zone);
      for (const rec of txt) await putTxt(o, rec, group, zone.zone, zoneFor(rec.name, [zone.zone])!.relative);
      if (!o.config.tlsrpt) await removeOwnTlsRpt(o, domain, group, zone.zone, zoneFor(`_smtp._tls.${domain}`, [zone.zone])!.relative);
    } else {
      await printRecords(o, domain, own, txt);
    }
  }
  if (o.notWritten) {
    r.warn(`the records were printed, not written to the Azure DNS zones in ${o.notWritten.resourceGroup} (hosting.dns_resource_group): this run has no Azure login (--print-only); ${o.notWritten.howToWrite}`);
  }
}

async function waitLive(o: PublishOptions, domain: string): Promise<Liveness> {
  const waitMs = o.waitMs ?? 600_000;
  const pollMs = o.pollMs ?? 10_000;
  let last = '';
  const result = await poll<Liveness>(async () => {
    const fetched = await checkPolicyFetch(domain, o.web, AbortSignal.timeout(o.fetchTimeoutMs ?? 30_000), true);
    // A host with no address is not set up yet (its CNAME is missing): nothing to wait for in this run.
    if (fetched.hostLookup === 'missing') return { done: true, value: { state: 'unresolved', why: fetched.result.message } };
    // SERVFAIL or a timeout says nothing about the record: waited on like any other not-live answer.
    if (fetched.hostLookup === 'failed') return { done: false, value: { state: 'lookup-failed', why: fetched.result.message } };
    if (fetched.certPending) return { done: false, value: { state: 'cert-pending' } };
    if (fetched.result.status === 'fail') return { done: false, value: { state: 'not-live', why: fetched.result.message } };
    if (!fetched.body?.equals(o.policy)) {
      return { done: false, value: { state: 'not-live', why: `it serves other bytes (${fetched.body?.length ?? 0} bytes, ${o.policyFile} has ${o.policy.length}; the previous policy, still propagating?)` } };
    }
    return { done: true, value: { state: 'live' } };
  }, {
    // Bounded by the wait and, should the pause be 0, by a count.
    attempts: pollMs > 0 ? Math.min(Math.floor(waitMs / pollMs) + 1, 10_000) : 1,
    delayMs: pollMs,
    budgetMs: waitMs,
    clock: clockOf(o),
    onWait: (_ms, _n, outcome) => {
      const line = outcome.state === 'cert-pending' ? 'certificate pending' : 'why' in outcome ? outcome.why : outcome.state;
      if (line !== last) o.reporter.info(`${domain}: not live yet: ${printable(line)}`);
      last = line;
    },
  });
  return result.value;
}

/** Replaces the whole TXT record set with one PUT, If-Match on the etag just read (If-None-Match when absent). */
async function putTxt(o: PublishOptions, rec: DnsRecord, resourceGroup: string, zone: string, relative: string): Promise<void> {
  const { dns } = o.azure!;
  const r = o.reporter;
  try {
    const current = await withThrottleRetry(() => readRecordSet(dns, resourceGroup, zone, relative, 'TXT'), o.throttle);
    const values = txtValues(current);
    if (values.length === 1 && values[0] === rec.value && isManaged(current)) {
      r.info(`${rec.domain}: TXT ${rec.name} already "${rec.value}"`);
      return;
    }
    await withThrottleRetry(() => dns.recordSets.createOrUpdate(resourceGroup, zone, relative, 'TXT', {
      ttl: rec.ttl,
      txtRecords: [{ value: txtCharacterStrings(rec.value) }], // one record; over 255 bytes, several strings
      metadata: { ...current?.metadata, ...MANAGED_BY },
    }, current?.etag ? { ifMatch: current.etag } : { ifNoneMatch: '*' }), o.throttle);
    const was = values.length > 0 ? ` (was ${values.map((v) => `"${printable(v)}"`).join(', ')})` : '';
    r.info(`${rec.domain}: TXT ${rec.name} = "${rec.value}"${was}`);
  } catch (e) {
    if (statusOf(e) === 412) {
      r.fail(`${rec.domain}: TXT ${rec.name} was changed by someone else while we replaced it (412 Precondition Failed); it was not overwritten: check the zone ${zone}, then re-run`);
    } else {
      r.fail(azureErrorLine(`${rec.domain}: replacing TXT ${rec.name} in Azure DNS zone ${zone} (resource group ${resourceGroup})`, e, { resourceGroup }));
    }
  }
}

/** tlsrpt left the config: remove _smtp._tls, but only the set these commands wrote, never a hand-made one. */
async function removeOwnTlsRpt(o: PublishOptions, domain: string, resourceGroup: string, zone: string, relative: string): Promise<void> {
  const { dns } = o.azure!;
  const name = `_smtp._tls.${domain}`;
  try {
    const current = await withThrottleRetry(() => readRecordSet(dns, resourceGroup, zone, relative, 'TXT'), o.throttle);
    if (!current) return;
    if (!isManaged(current)) {
      o.reporter.info(`${domain}: TXT ${name} left alone: the config has no tlsrpt, but the record was not written by mta-sts`);
      return;
    }
    await withThrottleRetry(() => dns.recordSets.delete(resourceGroup, zone, relative, 'TXT', { ifMatch: current.etag }), o.throttle);
    o.reporter.info(`${domain}: TXT ${name} removed (tlsrpt is no longer in the config)`);
  } catch (e) {
    const what = `${domain}: removing TXT ${name} from Azure DNS zone ${zone}`;
    o.reporter.fail(statusOf(e) === 412 ? `${what} failed: it was changed by someone else meanwhile; left as it is` : azureErrorLine(what, e, { resourceGroup }));
  }
}

/** A host that does not resolve yet, outside Azure DNS: the CNAME first, then the TXT records once the policy is live. */
async function printPending(o: PublishOptions, domain: string, why: string, own: DnsRecord[]): Promise<void> {
  const host = `mta-sts.${domain}`;
  // The host's records first (the CNAME, and a Function App's asuid TXT), then the policy's once it is live.
  const first = own.filter((rec) => rec.name.endsWith(host) && !rec.name.startsWith('_'));
  const then = own.filter((rec) => !first.includes(rec));
  const names = first.map((rec) => (rec.type === 'CNAME' ? 'the CNAME' : `the ${rec.name.split('.')[0]} TXT`)).join(' and ');
  o.reporter.warn(`${domain}: TXT held back: ${printable(why)}; create ${names} first, then, once ${policyUrl(host, o.web.fetcher.port)} serves ${o.policyFile}, publish the TXT records (RFC 8461 §8.1), replacing any existing _mta-sts TXT record:`);
  for (const line of zoneFileLines([...first, ...then]).split('\n')) o.reporter.info(`  ${line}`);
}

/** Outside Azure DNS: the exact records to publish, and for each TXT whether the live DNS already has it. */
async function printRecords(o: PublishOptions, domain: string, own: DnsRecord[], txt: DnsRecord[]): Promise<void> {
  const where = o.azure ? `no Azure DNS zone in ${o.azure.resourceGroup} holds ${domain}`
    : o.notWritten ? 'Azure DNS is not written in this run (--print-only)' : 'DNS is not automated (no hosting.dns_resource_group)';
  o.reporter.info(`${domain}: ${where}; publish these records at your DNS host, replacing any existing _mta-sts TXT record (never add a second one):`);
  for (const line of zoneFileLines(own).split('\n')) o.reporter.info(`  ${line}`);
  for (const rec of txt) {
    const answer = await askDns(rec.name, 'TXT', () => o.web.resolver.resolveTxt(rec.name));
    if (answer.kind === 'failed') {
      o.reporter.warn(`${domain}: TXT ${rec.name}: the lookup failed (${printable(answer.message)}), so whether it is published is unknown; make sure it reads "${rec.value}"`);
      continue;
    }
    const live = answer.kind === 'answer' ? answer.value.map((strings) => strings.join('')) : [];
    const relevant = live.filter((v) => v.toLowerCase().startsWith(rec.value.slice(0, rec.value.indexOf(';')).toLowerCase()));
    if (relevant.length === 1 && relevant[0] === rec.value) {
      o.reporter.info(`${domain}: TXT ${rec.name} is live with this value`);
    } else if (relevant.length === 0) {
      o.reporter.warn(`${domain}: TXT ${rec.name} is not published yet; publish "${rec.value}"`);
    } else {
      o.reporter.warn(`${domain}: TXT ${rec.name} differs: live ${relevant.map((v) => `"${printable(v)}"`).join(', ')}, wanted "${rec.value}"`);
    }
  }
}
