// Every piece of network I/O the checker does, behind small interfaces, so tests can point it at real
// servers on 127.0.0.1 and production can point it at the Internet (or at `--dns-server`).
import type { CaaRecord } from 'node:dns';
import { Resolver as NodeResolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

/** The DNS lookups the checker needs. node:dns/promises `Resolver` satisfies it as it is. */
export interface Resolver {
  resolveTxt(name: string): Promise<string[][]>;
  resolveMx(name: string): Promise<{ exchange: string; priority: number }[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  resolveCname(name: string): Promise<string[]>;
  /** CAA (RFC 8659); optional, so a resolver without it simply skips the CAA finding. */
  resolveCaa?(name: string): Promise<CaaRecord[]>;
}

/** Where lookups come from. */
export interface Dns {
  /**
   * The resolver for one domain's lookups. When `signal` aborts (the domain's deadline), its lookups
   * still in flight are cancelled, so nothing outlives the deadline, the process included.
   */
  forDomain(signal: AbortSignal): Resolver;
}

export interface DnsOptions {
  /** `HOST:PORT`, `HOST` or `[IPv6]:PORT`; when absent the system's resolvers (/etc/resolv.conf) are used. */
  server?: string;
  /** The first try's timeout in ms; the resolver (c-ares) doubles it for each retry. */
  timeoutMs?: number;
  tries?: number;
  /** Queries in flight at once, over all domains. */
  maxInFlight?: number;
}

// A lost UDP answer costs one first-try timeout: 1 s, then retries at about 3 and 7 s (c-ares doubles
// the timeout), within any deadline; a slow answer to an earlier try is still taken.
const FIRST_TRY_MS = 1000;
const TRIES = 4;
// Enough for the default 32 domains' few parallel lookups each; bursts far beyond it overflow socket
// buffers on the way and lose answers, so more domains at once queue here instead.
const MAX_IN_FLIGHT = 128;

/**
 * The production resolvers. They serve every lookup — TXT, MX, CNAME and the A/AAAA used to connect —
 * so `--dns-server` really applies to all of them (the OS resolver, getaddrinfo, is never used).
 */
export function createDns(options: DnsOptions = {}): Dns {
  const slots = new Slots(options.maxInFlight ?? MAX_IN_FLIGHT);
  const open = (): Channel => ({ resolver: nodeResolver(options), live: 0, retired: false });
  // One resolver (one c-ares channel and socket) for the whole run: a resolver per domain cost a channel, a
  // socket and the server list's parsing for every domain. cancel() ends every query of a resolver, so a
  // domain that ends with lookups in flight retires the channel instead: new lookups go to a fresh one, and
  // the retired one is cancelled as soon as no other domain's lookup is left on it (the test world's
  // lookups last tens of ms, so its deadline's lookups end that soon after, never at their own timeouts).
  let current = open();
  const release = (channel: Channel): void => {
    if (channel.retired && channel.live === 0) channel.resolver.cancel();
  };
  return {
    forDomain(signal) {
      // This domain's lookups in flight, by channel: one abort listener per domain, none per lookup.
      const inFlight = new Map<Channel, number>();
      signal.addEventListener(
        'abort',
        () => {
          for (const [channel, count] of inFlight) {
            channel.live -= count;
            if (!channel.retired) {
              channel.retired = true;
              if (channel === current) current = open();
            }
            release(channel);
          }
          inFlight.clear();
        },
        { once: true },
      );
      const query = <T>(run: (resolver: NodeResolver) => Promise<T>): Promise<T> =>
        slots.run(signal, async () => {
          if (signal.aborted) throw Object.assign(new Error('deadline'), { code: 'EDEADLINE' });
          const channel = current;
          channel.live++;
          inFlight.set(channel, (inFlight.get(channel) ?? 0) + 1);
          try {
            return await run(channel.resolver);
          } finally {
            const count = inFlight.get(channel);
            // Undefined once the domain's deadline passed: the abort has already taken it off the channel.
            if (count !== undefined) {
              if (count === 1) inFlight.delete(channel);
              else inFlight.set(channel, count - 1);
              channel.live--;
              release(channel);
            }
          }
        });
      return {
        resolveTxt: (name) => query((r) => r.resolveTxt(name)),
        resolveMx: (name) => query((r) => r.resolveMx(name)),
        resolve4: (name) => query((r) => r.resolve4(name)),
        resolve6: (name) => query((r) => r.resolve6(name)),
        resolveCname: (name) => query((r) => r.resolveCname(name)),
        resolveCaa: (name) => query((r) => r.resolveCaa(name)),
      };
    },
  };
}

/** A resolver shared by the domains of a run, and how many of their lookups are in flight on it. */
interface Channel {
  resolver: NodeResolver;
  live: number;
  /** A domain's deadline passed with lookups in flight here: cancel once `live` drops to 0. */
  retired: boolean;
}

/**
 * One resolver for one-off lookups outside a domain check (the azure commands), with the same retries and
 * `--dns-server` handling; its lookups end with the caller's own timeout, not a domain's deadline.
 */
export function createResolver(options: Omit<DnsOptions, 'maxInFlight'> = {}): Resolver {
  return nodeResolver(options);
}

function nodeResolver(options: Omit<DnsOptions, 'maxInFlight'>): NodeResolver {
  const resolver = new NodeResolver({ timeout: options.timeoutMs ?? FIRST_TRY_MS, tries: options.tries ?? TRIES });
  if (options.server !== undefined) resolver.setServers([options.server]);
  return resolver;
}

/** At most `size` tasks at once; the others wait in order, and leave the queue when their signal aborts. */
class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await this.wait(signal);
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight on
      else this.running--;
    }
  }

  private wait(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(Object.assign(new Error('deadline'), { code: 'EDEADLINE' }));
      };
      const go = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal.aborted) return onAbort();
      this.waiting.push(go);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Validates a `--dns-server` value; returns an error message, or undefined when it is usable. */
export function dnsServerError(value: string): string | undefined {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+)(?::(\d+))?$/.exec(value);
  const host = m?.[1];
  const port = m?.[2];
  if (!host || isIP(host) === 0) {
    return `--dns-server must be an IP address with an optional port, as in 127.0.0.1:5353 or [::1]:53 (got "${value}")`;
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return `--dns-server port must be 1-65535 (got "${port}")`;
  }
  return undefined;
}

/** What a TLS handshake showed: enough to explain any certificate problem to an admin. */
export interface TlsInfo {
  /** e.g. "TLSv1.3". */
  protocol: string | null;
  /** True when the chain verifies to a trusted CA and the certificate is within its validity period. */
  chainTrusted: boolean;
  /** OpenSSL's verdict when the chain did not verify, e.g. CERT_HAS_EXPIRED. */
  chainError?: string;
  certificate?: CertificateInfo;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** DNS names from subjectAltName; RFC 8461 §3.3 ignores the CN. */
  dnsNames: string[];
  validFrom: string; // ISO 8601
  validTo: string; // ISO 8601
  fingerprint256: string;
}

export interface FetchError {
  stage: 'connect' | 'tls' | 'response' | 'timeout';
  /** Node's error code, e.g. ECONNREFUSED, or "timeout". */
  code: string;
  message: string;
}

/** One GET of a policy URL, whatever happened. */
export interface FetchResult {
  elapsedMs: number;
  tls?: TlsInfo;
  status?: number;
  headers?: IncomingHttpHeaders;
  /** At most maxBytes; `truncated` says whether the server sent more. */
  body?: Buffer;
  truncated?: boolean;
  error?: FetchError;
}

export interface PolicyFetcher {
  /** The port it fetches on when not 443 (MTA_STS_HTTPS_PORT): every URL shown then carries it. */
  readonly port?: number;
  /** GET https://host/.well-known/mta-sts.txt from `address` (resolved by the caller), SNI = host. */
  fetch(request: { host: string; address: string; signal: AbortSignal }): Promise<FetchResult>;
}

export interface SmtpError {
  stage: 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'tls' | 'timeout';
  code: string;
  message: string;
}

export interface SmtpResult {
  elapsedMs: number;
  greeting?: string;
  /** EHLO keywords, upper-cased, e.g. ["PIPELINING", "STARTTLS"]. */
  extensions?: string[];
  starttlsOffered?: boolean;
  tls?: TlsInfo;
  error?: SmtpError;
}

export interface SmtpProbe {
  /** Connect to `address` (resolved by the caller), EHLO, STARTTLS with SNI = host, report the TLS outcome. */
  probe(request: { host: string; address: string; signal: AbortSignal }): Promise<SmtpResult>;
}

/** All I/O of one checker run. */
export interface CheckIO {
  dns: Dns;
  fetcher: PolicyFetcher;
  smtp: SmtpProbe;
  now: () => Date;
}

/** The I/O of one domain's checks: the run's, with the domain's own resolver and deadline. */
export interface DomainIO extends Omit<CheckIO, 'dns'> {
  resolver: Resolver;
  /** When the domain's deadline passes, in performance.now() time: what the addresses of a host share. */
  deadline: number;
}
