// `mta-sts azure bind` for hosting.kind function-app: make every mta-sts.<domain> a custom domain of the Function
// App with its own free App Service managed certificate. Per host, in order: the DNS App Service checks (the CNAME
// to <app>.azurewebsites.net and the TXT asuid.mta-sts.<domain> = the app's customDomainVerificationId; written to
// Azure DNS when the zone is there, else printed), the host-name binding, the managed certificate, then the SNI
// binding with its thumbprint. Until the last step the host serves the *.azurewebsites.net certificate, which no
// sender accepts for mta-sts.<domain> (RFC 8461 §3.3). Safe to re-run: each step is skipped once done.
import type { Certificate, HostNameBinding, Site } from '@azure/arm-appservice';
import type { Config } from '../config/config.ts';
import { RECORD_TTL } from '../site/records.ts';
import { printable } from '../printable.ts';
import type { Reporter } from './annotations.ts';
import { statusOf, withThrottleRetry, type ArmClients, type ThrottleOptions } from './arm.ts';
import { azureErrorLine, azureSaid, readAzureError } from './azure-error.ts';
import { isManaged, listZones, MANAGED_BY, readRecordSet, txtValues } from './dns-zones.ts';
import { clockOf, poll } from './retry.ts';
import { zoneFor } from './zones.ts';

/** Where a host stands: what the admin (or the next run) still waits for. */
export type HostState = 'waiting for DNS' | 'certificate pending' | 'ready';

export interface FunctionAppBindOptions {
  config: Config;
  target: { app: string; resourceGroup: string; dnsResourceGroup?: string };
  clients: ArmClients;
  reporter: Reporter;
  throttle?: ThrottleOptions;
  /** Looks at a certificate App Service is issuing before this run leaves it to the next (default 8). */
  certificateLooks?: number;
  /** Wait between two looks (default 15 s: with 8 looks about the two minutes azure-cli waits). */
  certificatePollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

// App Service's answer when asuid.<host> does not hold the verification id (ExtendedCode 04006, as a real user
// received it: rcl-letsencrypt-auto-ssl/Lets-Encrypt-Auto#25), and when the CNAME is not there yet.
const DNS_NOT_READY = /TXT record pointing from asuid\.|04006|CNAME record pointing from|Cannot find DNS record|not found/i;

const bare = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** The name of the managed certificate of `host` (one per host, in the app's resource group). */
export const certificateName = (host: string) => host;

/** Binds every configured host; returns each host's state (also reported: info when ready, a warning otherwise). */
export async function bindFunctionApp(o: FunctionAppBindOptions): Promise<Map<string, HostState>> {
  const { web, dns } = o.clients;
  const { app, resourceGroup, dnsResourceGroup } = o.target;
  const r = o.reporter;
  const states = new Map<string, HostState>();
  const throttled = <T>(call: () => Promise<T>) => withThrottleRetry(call, {
    ...o.throttle,
    onWait: (ms, attempt) => r.info(`Azure is throttling requests (429); waiting ${ms / 1000} s (retry ${attempt})`),
  });

  let site: Site;
  try {
    site = await throttled(() => web.webApps.get(resourceGroup, app));
  } catch (e) {
    r.fail(azureErrorLine(`reading the Function App ${app} in resource group ${resourceGroup}`, e, { app, resourceGroup }));
    return states;
  }
  const target = bare(site.defaultHostName ?? '');
  const verification = site.customDomainVerificationId ?? '';
  if (!target || !verification) {
    r.fail(`the Function App ${app} reports no default host name or customDomainVerificationId; is it fully created?`);
    return states;
  }
  const configured = o.config.hosting.default_hostname;
  if (configured && configured !== target) r.warn(`hosting.default_hostname is ${configured} but ${app}'s host is ${target}; using ${target} (fix mta-sts.config.yaml)`);

  const bindings = new Map<string, HostNameBinding>();
  let zones: string[] = [];
  try {
    await throttled(async () => {
      bindings.clear();
      for await (const b of web.webApps.listHostNameBindings(resourceGroup, app)) {
        const host = b.name?.split('/').pop();
        if (host) bindings.set(bare(host), b);
      }
    });
    if (dnsResourceGroup) zones = await throttled(() => listZones(dns, dnsResourceGroup));
  } catch (e) {
    r.fail(azureErrorLine(`reading the host names of ${app} or the Azure DNS zones`, e, { app, resourceGroup }));
    return states;
  }

  const issuing: string[] = [];
  for (const domain of o.config.domains) {
    const host = `mta-sts.${domain}`;
    const records = [`${host}. ${RECORD_TTL} IN CNAME ${target}.`, `asuid.${host}. ${RECORD_TTL} IN TXT "${verification}"`];
    let binding = bindings.get(host);
    if (!binding) {
      const zone = dnsResourceGroup ? zoneFor(host, zones) : undefined;
      if (zone && !(await writeDns(o, domain, zone.zone, zone.relative, target, verification, throttled))) {
        states.set(host, 'waiting for DNS');
        continue;
      }
      try {
        binding = await throttled(() => web.webApps.createOrUpdateHostNameBinding(resourceGroup, app, host, {
          siteName: app, hostNameType: 'Verified', customHostNameDnsRecordType: 'CName',
        }));
        r.info(`${domain}: bound ${host} to ${app}`);
      } catch (e) {
        const text = azureSaid(readAzureError(e));
        if (statusOf(e) === 400 && DNS_NOT_READY.test(text)) {
          states.set(host, 'waiting for DNS');
          r.warn(`${domain}: ${host} is waiting for DNS: App Service cannot see ${zone ? 'the records just written yet (the next run binds it)' : 'these records yet; create them at your DNS host, and the next run binds it'}: ${records.join('  ')} (Azure: ${text})`);
          continue;
        }
        r.fail(azureErrorLine(`${domain}: binding ${host} to ${app}`, e, { app, resourceGroup, host }));
        continue;
      }
    }
    const state = await secure(o, domain, host, site, binding, throttled);
    if (state === 'issuing') issuing.push(domain);
    else states.set(host, state);
  }
  // One bounded wait for every certificate App Service is issuing, not one per host: twelve hosts wait no longer than one.
  for (const [host, state] of await awaitCertificates(o, issuing, throttled)) states.set(host, state);
  if (!dnsResourceGroup) r.info(`DNS is not automated (no hosting.dns_resource_group): each mta-sts.<domain> needs a CNAME to ${target} and a TXT asuid.mta-sts.<domain> = ${verification}.`);
  return states;
}

// The managed certificate, then the SNI binding with its thumbprint; 'issuing' when App Service has just been asked.
async function secure(
  o: FunctionAppBindOptions, domain: string, host: string, site: Site, binding: HostNameBinding,
  throttled: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<HostState | 'issuing'> {
  const { app, resourceGroup } = o.target;
  const r = o.reporter;
  if (binding.sslState === 'SniEnabled' && binding.thumbprint) {
    r.info(`${domain}: ${host} is ready (its own certificate, SNI)`);
    return 'ready';
  }
  let certificate: Certificate | undefined;
  try {
    certificate = await readCertificate(o, host, throttled);
    if (!certificate) {
      certificate = await requestCertificate(o, host, site, throttled);
      if (!certificate?.thumbprint) return 'issuing';
    }
  } catch (e) {
    r.fail(azureErrorLine(`${domain}: creating the managed certificate of ${host}`, e, { app, resourceGroup, host }));
    return 'certificate pending';
  }
  return certificate.thumbprint ? bindSni(o, domain, host, certificate.thumbprint, throttled) : pending(o, domain, host);
}

function pending(o: FunctionAppBindOptions, domain: string, host: string): HostState {
  o.reporter.warn(`${domain}: ${host} is bound, certificate pending: App Service is issuing its managed certificate; until then it serves *.azurewebsites.net's, which senders refuse. The next run (the pipeline runs daily) binds it.`);
  return 'certificate pending';
}

async function bindSni(
  o: FunctionAppBindOptions, domain: string, host: string, thumbprint: string, throttled: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<HostState> {
  const { app, resourceGroup } = o.target;
  try {
    await throttled(() => o.clients.web.webApps.createOrUpdateHostNameBinding(resourceGroup, app, host, {
      siteName: app, hostNameType: 'Verified', customHostNameDnsRecordType: 'CName', sslState: 'SniEnabled', thumbprint,
    }));
  } catch (e) {
    o.reporter.fail(azureErrorLine(`${domain}: binding the certificate of ${host} (SNI)`, e, { app, resourceGroup, host }));
    return 'certificate pending';
  }
  o.reporter.info(`${domain}: ${host} is ready (managed certificate ${printable(thumbprint)}, SNI)`);
  return 'ready';
}

/** The managed certificate of `host`; undefined while it does not exist (404: never requested, or still being issued). */
async function readCertificate(
  o: FunctionAppBindOptions, host: string, throttled: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<Certificate | undefined> {
  return throttled(() => o.clients.web.certificates.get(o.target.resourceGroup, certificateName(host))).catch((e: unknown) => {
    if (statusOf(e) === 404) return undefined;
    throw e;
  });
}

/**
 * Asks App Service for the free managed certificate of `host`. Azure answers 202 (issuing, a Location to poll, no
 * body), which @azure/arm-appservice's createOrUpdate rejects (it accepts only 200): the answer's status is taken from
 * the response itself; undefined then. `password: ""` as azure-cli and the Terraform provider send it.
 */
async function requestCertificate(
  o: FunctionAppBindOptions, host: string, site: Site, throttled: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<Certificate | undefined> {
  let status: number | undefined;
  return throttled(() => o.clients.web.certificates.createOrUpdate(o.target.resourceGroup, certificateName(host), {
    location: site.location, canonicalName: host, serverFarmId: site.serverFarmId, password: '',
  }, { onResponse: (raw) => void (status = raw.status) }).catch((e: unknown) => {
    if (status === 202) return undefined;
    throw e;
  }));
}

/**
 * Waits for the certificates App Service is issuing as Azure's own tools do: reads each until it stops answering 404
 * (the Terraform provider's wait; azure-cli's create_managed_ssl_cert polls for two minutes), a bounded number of
 * looks for all of them together, binding each with SNI as it appears. Hosts still without one when the looks end
 * are 'certificate pending': the next run binds them.
 */
async function awaitCertificates(
  o: FunctionAppBindOptions, domains: string[], throttled: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<Map<string, HostState>> {
  const states = new Map<string, HostState>();
  if (domains.length === 0) return states;
  const looks = o.certificateLooks ?? 8;
  const interval = o.certificatePollMs ?? 15_000;
  const hosts = (list: string[]) => list.map((d) => `mta-sts.${d}`).join(', ');
  o.reporter.info(`App Service is issuing the managed certificate of ${hosts(domains)}; waiting for ${domains.length === 1 ? 'it' : 'them'} (up to ${looks} looks, ${interval / 1000} s apart)`);
  let waiting = [...domains];
  await poll<string[]>(async () => {
    const still: string[] = [];
    for (const domain of waiting) {
      const host = `mta-sts.${domain}`;
      try {
        const c = await readCertificate(o, host, throttled);
        if (c?.thumbprint) states.set(host, await bindSni(o, domain, host, c.thumbprint, throttled));
        else still.push(domain);
      } catch (e) {
        o.reporter.fail(azureErrorLine(`${domain}: reading the managed certificate of ${host}`, e, { app: o.target.app, resourceGroup: o.target.resourceGroup, host }));
        states.set(host, 'certificate pending');
      }
    }
    waiting = still;
    return still.length === 0 ? { done: true, value: still } : { done: false, value: still };
  }, {
    attempts: looks,
    delayMs: interval,
    clock: clockOf(o),
    onWait: (ms, n, still) => o.reporter.info(`certificate of ${hosts(still)} not issued yet (look ${n} of ${looks}); next look in ${ms / 1000} s`),
  });
  for (const domain of waiting) states.set(`mta-sts.${domain}`, pending(o, domain, `mta-sts.${domain}`));
  return states;
}

// The CNAME and the asuid TXT in Azure DNS; false when a record there is not ours to change (reported).
async function writeDns(
  o: FunctionAppBindOptions, domain: string, zone: string, relative: string, target: string, verification: string,
  throttled: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<boolean> {
  const { dns } = o.clients;
  const rg = o.target.dnsResourceGroup!;
  const asuid = relative === '@' ? 'asuid' : `asuid.${relative}`;
  try {
    const cname = await throttled(() => readRecordSet(dns, rg, zone, relative, 'CNAME'));
    const now = cname?.cnameRecord?.cname ? bare(cname.cnameRecord.cname) : undefined;
    if (now !== target) {
      // Moving a host that is live elsewhere (a Static Web App) is the admin's switch to make, one domain at a time.
      if (now && !isManaged(cname)) {
        o.reporter.warn(`${domain}: mta-sts.${domain} is a CNAME to ${now} in zone ${zone}, not to ${target}; bind it here first, then switch the CNAME yourself (docs/function-app.md: "Moving domains from Static Web Apps to a Function App without a gap")`);
      } else {
        await throttled(() => dns.recordSets.createOrUpdate(rg, zone, relative, 'CNAME', { ttl: RECORD_TTL, cnameRecord: { cname: target }, metadata: { ...MANAGED_BY } }));
        o.reporter.info(`${domain}: CNAME mta-sts.${domain} -> ${target} in zone ${zone}`);
      }
    }
    const txt = await throttled(() => readRecordSet(dns, rg, zone, asuid, 'TXT'));
    if (!txtValues(txt).includes(verification)) {
      await throttled(() => dns.recordSets.createOrUpdate(rg, zone, asuid, 'TXT', { ttl: RECORD_TTL, txtRecords: [{ value: [verification] }], metadata: { ...MANAGED_BY } }));
      o.reporter.info(`${domain}: TXT asuid.mta-sts.${domain} = ${verification} in zone ${zone}`);
    }
    return true;
  } catch (e) {
    o.reporter.fail(azureErrorLine(`${domain}: writing the DNS records of mta-sts.${domain} in zone ${zone}`, e));
    return false;
  }
}
