// The policy fetcher shares one HTTPS agent over a run: every fetch must still be a full handshake that
// shows the certificate (a resumed TLS session skips the certificate check senders make; RFC 8461 §3.3).
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPolicyFetcher } from '../../src/check/https-fetcher.ts';
import { serve, startHttps, TestCA, type HttpsTestServer } from './servers.ts';

let ca: TestCA;
let https: HttpsTestServer;
const resumed: boolean[] = [];
beforeAll(async () => {
  ca = await TestCA.create();
  https = await startHttps(await ca.issue({ names: ['fallback.invalid'] }));
  https.certs.set('mta-sts.fresh.example', await ca.issue({ names: ['mta-sts.fresh.example'] }));
  const policy = serve('version: STSv1\r\nmode: testing\r\nmx: mx.fresh.example\r\nmax_age: 86400\r\n');
  https.handlers.set('mta-sts.fresh.example', (req, res) => {
    resumed.push((req.socket as TLSSocket).isSessionReused());
    policy(req, res);
  });
});
afterAll(async () => {
  await https?.close();
});

it('makes a full handshake for every fetch, never resuming a session, and reads each certificate', async () => {
  const fetcher = createPolicyFetcher({ port: https.port, ca: ca.certPem, timeoutMs: 5000 });
  for (let i = 0; i < 3; i++) {
    const r = await fetcher.fetch({ host: 'mta-sts.fresh.example', address: '127.0.0.1', signal: new AbortController().signal });
    expect(r.status).toBe(200);
    expect(r.tls).toMatchObject({ chainTrusted: true, certificate: { dnsNames: ['mta-sts.fresh.example'] } });
  }
  expect(resumed).toEqual([false, false, false]);
});
