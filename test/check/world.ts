// A small Internet on 127.0.0.1: one DNS server, one HTTPS server answering for every mta-sts host, an SMTP
// server with STARTTLS and one without. `addDomain` publishes a correct MTA-STS setup that tests then break.
import { createDns, type CheckIO, type SmtpProbe } from '../../src/check/io.ts';
import { createPolicyFetcher } from '../../src/check/https-fetcher.ts';
import { createSmtpProbe } from '../../src/check/smtp-probe.ts';
import { serve, startDns, startHttps, startSmtp, TestCA, type DnsServer, type Handler, type HttpsTestServer, type KeyAndCert, type SmtpTestServer, type TxtValue } from './servers.ts';

export const ID = 'abc123';

export function policyFor(mx: string[], mode = 'enforce'): string {
  return `version: STSv1\r\nmode: ${mode}\r\n${mx.map((m) => `mx: ${m}\r\n`).join('')}max_age: 604800\r\n`;
}

export interface DomainSetup {
  stsTxt?: TxtValue[];
  tlsrptTxt?: TxtValue[];
  mx?: string[];
  policy?: string;
  handler?: Handler;
  /** Certificate for mta-sts.<domain>; default: valid, from the test CA. */
  policyCert?: KeyAndCert;
  /** MX hosts served by the SMTP server without STARTTLS. */
  plainMx?: string[];
}

export interface TimeoutSettings {
  dnsMs: number;
  fetchMs: number;
  smtpStepMs: number;
}

export const FAST: TimeoutSettings = { dnsMs: 400, fetchMs: 2000, smtpStepMs: 2000 };

export class World {
  private readonly issued = new Map<string, KeyAndCert>();
  readonly plainHosts = new Set<string>();

  private constructor(
    /** The validity of every certificate `cert` issues; default: from yesterday for 90 days. */
    private readonly validity: { notBefore?: Date; notAfter?: Date },
    readonly ca: TestCA,
    readonly dns: DnsServer,
    readonly https: HttpsTestServer,
    readonly smtp: SmtpTestServer,
    readonly plainSmtp: SmtpTestServer,
    /** The map the STARTTLS server picks certificates from by SNI name. */
    readonly smtpCerts: Map<string, KeyAndCert>,
  ) {}

  /** `validity` fixes the certificates' dates, e.g. for a page whose picture must not change with the day. */
  static async start(validity: { notBefore?: Date; notAfter?: Date } = {}): Promise<World> {
    const ca = await TestCA.create();
    const fallback = await ca.issue({ names: ['fallback.invalid'] });
    const smtpCerts = new Map<string, KeyAndCert>();
    const [dns, https, smtp, plainSmtp] = await Promise.all([
      startDns(),
      startHttps(fallback),
      startSmtp({ starttls: true, defaultCert: fallback, certs: smtpCerts }),
      startSmtp({ starttls: false, defaultCert: fallback }),
    ]);
    return new World(validity, ca, dns, https, smtp, plainSmtp, smtpCerts);
  }

  /** A certificate for `host` from the test CA, issued once and reused. */
  async cert(host: string): Promise<KeyAndCert> {
    let pair = this.issued.get(host);
    if (!pair) this.issued.set(host, (pair = await this.ca.issue({ names: [host], ...this.validity })));
    return pair;
  }

  /** Publishes a complete, correct setup for `domain`; `setup` overrides any part. */
  async addDomain(domain: string, setup: DomainSetup = {}): Promise<void> {
    const zone = this.dns.zone;
    const policyHost = `mta-sts.${domain}`;
    const mx = setup.mx ?? [`mx.${domain}`];
    zone.set(`_mta-sts.${domain}`, { txt: setup.stsTxt ?? [`v=STSv1; id=${ID};`] });
    zone.set(`_smtp._tls.${domain}`, { txt: setup.tlsrptTxt ?? [`v=TLSRPTv1; rua=mailto:tlsrpt@${domain}`] });
    zone.set(domain, { ...zone.get(domain), mx: mx.map((exchange, i) => ({ exchange, priority: 10 * (i + 1) })) });
    if (!zone.has(policyHost)) zone.set(policyHost, { a: ['127.0.0.1'] });
    this.https.certs.set(policyHost, setup.policyCert ?? (await this.cert(policyHost)));
    this.https.handlers.set(policyHost, setup.handler ?? serve(setup.policy ?? policyFor(mx)));
    for (const host of mx) {
      if (!zone.has(host)) zone.set(host, { a: ['127.0.0.1'] });
      if (!this.smtpCerts.has(host)) this.smtpCerts.set(host, await this.cert(host));
    }
    for (const host of setup.plainMx ?? []) this.plainHosts.add(host);
  }

  /** The checker's I/O pointed at this world: its DNS server, its CA, its ports. */
  io(timeouts: TimeoutSettings = FAST, now: () => Date = () => new Date()): CheckIO {
    const tls = createSmtpProbe({ port: this.smtp.port, ca: this.ca.certPem, stepTimeoutMs: timeouts.smtpStepMs });
    const plain = createSmtpProbe({ port: this.plainSmtp.port, ca: this.ca.certPem, stepTimeoutMs: timeouts.smtpStepMs });
    // Port 25 is one port per address in real life; here two servers share 127.0.0.1, so route by host.
    const smtp: SmtpProbe = { probe: (r) => (this.plainHosts.has(r.host) ? plain : tls).probe(r) };
    return {
      dns: createDns({ server: this.dns.address, timeoutMs: timeouts.dnsMs, tries: 1 }),
      fetcher: createPolicyFetcher({ port: this.https.port, ca: this.ca.certPem, timeoutMs: timeouts.fetchMs }),
      smtp,
      now,
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.dns.close(), this.https.close(), this.smtp.close(), this.plainSmtp.close()]);
  }
}
