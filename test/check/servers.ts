// Real servers on 127.0.0.1 for the checker's tests and benchmark: DNS (dns2), HTTPS (node:https) and
// SMTP (smtp-server), with certificates from a CA generated here (@peculiar/x509).
import { webcrypto } from 'node:crypto';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureContext, type SecureContext, type TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { domainToASCII } from 'node:url';
// @peculiar/x509 needs the Reflect metadata API (through tsyringe); load it before the library.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import dns2 from 'dns2';
import { SMTPServer } from 'smtp-server';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86_400_000;

export interface KeyAndCert {
  key: string;
  cert: string;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function pemKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

export interface LeafOptions {
  /** DNS SANs; default none. */
  names: string[];
  /** IP address SANs, for servers reached by address (the ARM emulator). */
  ips?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Signed by its own key rather than the CA. */
  selfSigned?: boolean;
}

/** A throw-away certificate authority, trusted only by the checker under test. */
export class TestCA {
  private constructor(
    readonly certPem: string,
    private readonly cert: x509.X509Certificate,
    private readonly keys: CryptoKeyPair,
  ) {}

  static async create(): Promise<TestCA> {
    const keys = await keyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=mta-sts check test CA',
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new TestCA(cert.toString('pem'), cert, keys);
  }

  async issue(options: LeafOptions): Promise<KeyAndCert> {
    const keys = await keyPair();
    const subject = `CN=${options.names[0] ?? 'no-name'}`;
    const extensions = [
      new x509.BasicConstraintsExtension(false),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...options.names.map((value) => ({ type: 'dns' as const, value })),
        ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
      ]),
    ];
    const common = {
      notBefore: options.notBefore ?? new Date(Date.now() - DAY),
      notAfter: options.notAfter ?? new Date(Date.now() + 90 * DAY),
      signingAlgorithm: ALG,
      extensions,
    };
    const cert = options.selfSigned
      ? await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: subject, keys })
      : await x509.X509CertificateGenerator.create({
          ...common,
          subject,
          issuer: this.cert.subject,
          publicKey: keys.publicKey,
          signingKey: this.keys.privateKey,
          extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey)],
        });
    return { key: await pemKey(keys.privateKey), cert: cert.toString('pem') };
  }
}

// ---------------------------------------------------------------- DNS

// RFC 1035 §4.1.1 response codes (dns2's typings do not declare its RCODE table).
const RCODE = { SERVFAIL: 2, NXDOMAIN: 3 } as const;

// dns2 encodes plain objects; its typings want its Resource class.
function answer(record: Record<string, unknown>): dns2.Packet.Resource {
  return record as unknown as dns2.Packet.Resource;
}

export type TxtValue = string | string[]; // several strings = one RR split into character-strings
export interface ZoneEntry {
  txt?: TxtValue[];
  mx?: { exchange: string; priority: number }[];
  a?: string[];
  aaaa?: string[];
  cname?: string;
  /** CAA records (RFC 8659): flags (128 = critical), tag, value. */
  caa?: { flags: number; tag: string; value: string }[];
  servfail?: boolean;
  /** Answer after this many ms. */
  delayMs?: number;
  /** Never answer. */
  silent?: boolean;
  /** Drop this many queries for the name before answering again, as a lossy network would. */
  drop?: number;
  /** Answer a CNAME alone, as an authoritative server does, leaving the chain to the client. */
  cnameOnly?: boolean;
}
export type Zone = Map<string, ZoneEntry>;

export interface DnsServer {
  address: string; // "127.0.0.1:PORT" for --dns-server
  zone: Zone;
  /** Added to every answer, for the benchmark's simulated network latency. */
  latencyMs: number;
  /** Answer nothing at all: a black-hole DNS server. */
  silent: boolean;
  queries: number;
  /** Queries received and not yet answered, now and at most. */
  pending: number;
  peakPending: number;
  close(): Promise<void>;
}

/**
 * An authoritative-and-recursive-looking server: like a resolver, it follows CNAMEs itself and returns
 * the chain with the final records, in one answer.
 */
export async function startDns(zone: Zone = new Map(), host = '127.0.0.1', port = 0): Promise<DnsServer> {
  const { Packet } = dns2;
  const state: DnsServer = { address: '', zone, latencyMs: 0, silent: false, queries: 0, pending: 0, peakPending: 0, close: async () => {} };
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      state.queries++;
      if (state.silent) return;
      const response = Packet.createResponseFromRequest(request);
      const question = request.questions[0];
      if (!question) return void send(response);
      let name = question.name.toLowerCase().replace(/\.$/, '');
      let entry = zone.get(name);
      const delay = (entry?.delayMs ?? 0) + state.latencyMs;
      if (entry?.silent) return;
      if (entry?.drop) return void entry.drop--;
      if (entry?.servfail) {
        response.header.rcode = RCODE.SERVFAIL;
      } else if (!entry && !zone.has(name)) {
        response.header.rcode = RCODE.NXDOMAIN;
      } else {
        for (let hops = 0; entry?.cname && question.type !== Packet.TYPE.CNAME && hops < 8; hops++) {
          response.answers.push(answer({ name, type: Packet.TYPE.CNAME, class: Packet.CLASS.IN, ttl: 60, domain: entry.cname }));
          if (entry.cnameOnly) {
            entry = undefined;
            break;
          }
          name = entry.cname;
          entry = zone.get(name);
        }
        if (entry) response.answers.push(...records(name, question.type, entry).map(answer));
      }
      const reply = (): void => {
        state.pending--;
        send(response);
      };
      state.peakPending = Math.max(state.peakPending, ++state.pending);
      if (delay > 0) setTimeout(reply, delay);
      else reply();
    },
  });
  await server.listen({ udp: { port, address: host } });
  state.address = `${host}:${(server.addresses().udp as AddressInfo).port}`;
  state.close = async () => {
    await server.close();
  };
  return state;
}

function records(name: string, type: number, entry: ZoneEntry): Record<string, unknown>[] {
  const { Packet } = dns2;
  const base = { name, class: Packet.CLASS.IN, ttl: 60 };
  switch (type) {
    case Packet.TYPE.TXT:
      return (entry.txt ?? []).map((data) => ({ ...base, type: Packet.TYPE.TXT, data: data as string }));
    case Packet.TYPE.MX:
      return (entry.mx ?? []).map((m) => ({ ...base, type: Packet.TYPE.MX, exchange: m.exchange, priority: m.priority }));
    case Packet.TYPE.A:
      return (entry.a ?? []).map((address) => ({ ...base, type: Packet.TYPE.A, address }));
    case Packet.TYPE.AAAA:
      return (entry.aaaa ?? []).map((address) => ({ ...base, type: Packet.TYPE.AAAA, address }));
    case Packet.TYPE.CNAME:
      return entry.cname ? [{ ...base, type: Packet.TYPE.CNAME, domain: entry.cname }] : [];
    case Packet.TYPE.CAA:
      return (entry.caa ?? []).map((c) => ({ ...base, type: Packet.TYPE.CAA, flags: c.flags, tag: c.tag, value: c.value }));
    default:
      return [];
  }
}

// ---------------------------------------------------------------- HTTPS

/** Picks the certificate by SNI name from a map the test may change at any time. */
function sniCallback(certs: Map<string, KeyAndCert>): (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void {
  const contexts = new Map<KeyAndCert, SecureContext>();
  return (servername, cb) => {
    // smtp-server hands the name over as U-labels; certificates are filed under A-labels.
    const pair = certs.get(servername) ?? certs.get(domainToASCII(servername));
    if (!pair) return cb(null, undefined);
    let ctx = contexts.get(pair);
    if (!ctx) contexts.set(pair, (ctx = createSecureContext(pair)));
    cb(null, ctx);
  };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpsTestServer {
  port: number;
  /** Certificate by SNI name; unknown names get `defaultCert`. */
  certs: Map<string, KeyAndCert>;
  /** Behaviour by Host header; unknown hosts get 404. */
  handlers: Map<string, Handler>;
  close(): Promise<void>;
}

export async function startHttps(defaultCert: KeyAndCert, tlsOptions: TlsOptions = {}, host = '127.0.0.1', port = 0): Promise<HttpsTestServer> {
  const certs = new Map<string, KeyAndCert>();
  const handlers = new Map<string, Handler>();
  const server: HttpsServer = createHttpsServer(
    {
      ...defaultCert,
      ...tlsOptions,
      SNICallback: sniCallback(certs),
    },
    (req, res) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      const handler = handlers.get(host);
      if (handler) return handler(req, res);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    },
  );
  const sockets = new Set<import('node:stream').Duplex>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {}); // clients that refuse our test certificates are expected
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    certs,
    handlers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A handler serving `body` as 200 with `contentType`. */
export function serve(body: string | Buffer, contentType = 'text/plain; charset=utf-8'): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': contentType }).end(body);
  };
}

// ---------------------------------------------------------------- SMTP

export interface SmtpTestServer {
  port: number;
  close(): Promise<void>;
}

/**
 * smtp-server with STARTTLS (certificates by SNI name from `certs`, `defaultCert` otherwise), or, with
 * `starttls: false`, a server that never offers it.
 */
export async function startSmtp(options: { starttls: boolean; defaultCert: KeyAndCert; certs?: Map<string, KeyAndCert> }): Promise<SmtpTestServer> {
  const server = new SMTPServer({
    ...options.defaultCert,
    SNICallback: sniCallback(options.certs ?? new Map()),
    hideSTARTTLS: !options.starttls,
    disabledCommands: ['AUTH'],
    disableReverseLookup: true, // no PTR lookups against the system resolver from tests
    logger: false,
    onData: (stream, _session, callback) => {
      stream.resume();
      stream.on('end', () => callback());
    },
  });
  server.on('error', () => {}); // a client that drops mid-handshake is part of the tests
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * An emulated service's HTTPS endpoint (ARM, the Function App front end, GitHub's API): a certificate from `ca`
 * for `name` and the loopback address, on a free port; `close` ends its open connections too.
 */
export async function startEndpoint(ca: TestCA, name: string, host: string, handle: Handler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createHttpsServer(await ca.issue({ names: [name], ips: [host] }), handle);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  return {
    url: `https://${host}:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
