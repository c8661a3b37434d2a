// The production PolicyFetcher: one HTTPS GET, the way RFC 8461 §3.3 tells senders to fetch.
import { Agent, request, type RequestOptions } from 'node:https';
import { createSecureContext, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { maxHeaderSize } from 'node:http';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describeTls, keepPeerCertificate } from './certificate.ts';
import type { FetchError, FetchResult, PolicyFetcher } from './io.ts';
import { MAX_POLICY_BYTES, POLICY_PATH } from '../rfc/policy.ts';


export interface FetcherOptions {
  port?: number;
  /** Trusted CAs; undefined = Node's default store, which includes NODE_EXTRA_CA_CERTS. */
  ca?: string | string[];
  /** The whole fetch, connect to last byte (RFC 8461 §3.3 suggests one minute). */
  timeoutMs?: number;
  maxBytes?: number;
}

export function createPolicyFetcher(options: FetcherOptions = {}): PolicyFetcher {
  const port = options.port ?? 443;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? MAX_POLICY_BYTES;
  // One context for every fetch: the trust store is parsed once, not per connection.
  const secureContext = createSecureContext({ ca: options.ca, minVersion: 'TLSv1.2' }); // RFC 8461 §3.3 via RFC 7525
  // One agent for every fetch, not one per fetch: no pooling (every check sees a fresh handshake), no TLS
  // session cache (a resumed session shows no certificate to judge), no queue (the run's slots bound sockets).
  const agent = new Agent({ keepAlive: false, maxCachedSessions: 0, maxSockets: Infinity });
  return {
    ...(port !== 443 ? { port } : {}),
    fetch: ({ host, address, signal }) =>
      new Promise<FetchResult>((resolve) => {
        const started = performance.now();
        const result: FetchResult = { elapsedMs: 0 };
        const chunks: Buffer[] = [];
        let size = 0;
        let settled = false;
        const finish = (error?: FetchError): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          result.elapsedMs = Math.round(performance.now() - started);
          if (error) result.error = error;
          if (result.status !== undefined) result.body = Buffer.concat(chunks, size);
          req.destroy();
          resolve(result);
        };
        const onAbort = (): void => finish({ stage: 'timeout', code: 'timeout', message: 'the check deadline passed' });
        const timer = setTimeout(
          () => finish({ stage: 'timeout', code: 'timeout', message: `no complete response within ${timeoutMs / 1000} s` }),
          timeoutMs,
        );
        const peer = keepPeerCertificate();
        const options: RequestOptions & Pick<ConnectionOptions, 'secureContext'> = {
          host: address,
          port,
          path: POLICY_PATH,
          method: 'GET',
          servername: isIP(host) === 0 ? host : undefined, // RFC 8461 §7.1: SNI for the policy host
          headers: { host, accept: 'text/plain', 'user-agent': 'mta-sts-check' },
          secureContext,
          // Verdicts are made by the checker, so it can say *why* a certificate is wrong, not just refuse it.
          rejectUnauthorized: false,
          checkServerIdentity: peer.checkServerIdentity,
          agent,
        };
        const req = request(options); // https hands secureContext on to tls.connect
        req.on('socket', (socket) => {
          socket.once('secureConnect', () => {
            result.tls = describeTls(socket as TLSSocket, peer.peer);
          });
        });
        req.on('response', (res) => {
          result.status = res.statusCode;
          result.headers = res.headers;
          res.on('data', (chunk: Buffer) => {
            const room = maxBytes - size;
            if (chunk.length > room) {
              // Stop reading at the cap: a hostile server cannot make us buffer more.
              chunks.push(chunk.subarray(0, room));
              size = maxBytes;
              result.truncated = true;
              finish();
              return;
            }
            chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => finish());
          res.on('error', (e: NodeJS.ErrnoException) => finish({ stage: 'response', code: e.code ?? 'error', message: e.message }));
        });
        req.on('error', (e: NodeJS.ErrnoException) => {
          // Once the handshake completed, whatever breaks is the HTTP response (a close mid-headers, headers
          // too large), not TLS.
          const stage = result.status !== undefined || result.tls ? 'response' : isConnectError(e) ? 'connect' : 'tls';
          finish({ stage, code: e.code ?? 'error', message: stage === 'response' ? responseError(e) : e.message });
        });
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort);
        req.end();
      }),
  };
}

// Node's messages for these ("socket hang up", "Parse Error: Header overflow") do not say what the server did.
function responseError(e: NodeJS.ErrnoException): string {
  if (e.code === 'HPE_HEADER_OVERFLOW') return `the response headers are larger than ${maxHeaderSize / 1024} KiB (${e.code})`;
  if (e.code === 'ECONNRESET') return `the server closed the connection before the response was complete (${e.message})`;
  return e.message;
}

function isConnectError(e: NodeJS.ErrnoException): boolean {
  return ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT'].includes(e.code ?? '');
}
