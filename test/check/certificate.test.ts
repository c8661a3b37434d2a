import { describe, expect, it } from 'vitest';
import { certificateProblem } from '../../src/check/certificate.ts';
import type { TlsInfo } from '../../src/check/io.ts';

const cert = { subject: 'CN=mta-sts.contoso.com', issuer: 'CN=Test CA', dnsNames: ['mta-sts.contoso.com'], validFrom: '2026-01-01T00:00:00Z', validTo: '2027-01-01T00:00:00Z', fingerprint256: 'AA' };
const tls = (over: Partial<TlsInfo>): TlsInfo => ({ protocol: 'TLSv1.3', chainTrusted: true, certificate: cert, ...over });

describe('certificateProblem', () => {
  it('accepts a trusted certificate naming the host', () => {
    expect(certificateProblem(tls({}), 'mta-sts.contoso.com')).toBeUndefined();
  });

  it('never treats an unverified chain as trusted, even without an error code', () => {
    expect(certificateProblem(tls({ chainTrusted: false }), 'mta-sts.contoso.com')?.code).toBe('untrusted');
  });

  it('names the host a certificate does not cover', () => {
    expect(certificateProblem(tls({}), 'mta-sts.fabrikam.com')).toMatchObject({ code: 'wrong-host' });
  });
});
