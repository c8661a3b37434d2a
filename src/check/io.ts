// Every piece of network I/O the checker does, behind small interfaces, so tests can point it at real
// servers on 127.0.0.1 and production can point it at the Internet (or at `--dns-server`).
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
}

export interface ResolverOptions {
  /** `HOST:PORT`, `HOST` or `[IPv6]:PORT`; when absent the system's resolvers (/etc/resolv.conf) are used. */
  server?: string;
  /** Per-try timeout in ms. */
  timeoutMs?: number;
  tries?: number;
}

/**
 * The production resolver. One resolver serves every lookup — TXT, MX, CNAME and the A/AAAA used to
 * connect — so `--dns-server` really applies to all of them (the OS resolver, getaddrinfo, is never used).
 */
export function createResolver(options: ResolverOptions = {}): Resolver {
  const resolver = new NodeResolver({ timeout: options.timeoutMs ?? 5000, tries: options.tries ?? 2 });
  if (options.server !== undefined) resolver.setServers([options.server]);
  return resolver;
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
  resolver: Resolver;
  fetcher: PolicyFetcher;
  smtp: SmtpProbe;
  now: () => Date;
}
