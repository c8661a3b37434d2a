// Reading a peer certificate and judging it the way RFC 8461 §3.3 and §4.2 ask senders to.
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { mxMatches } from '../rfc/hostname.ts';
import type { CertificateInfo, TlsInfo } from './io.ts';

/**
 * `peer`: the certificate Node already read for checkServerIdentity (it does when the chain verified), so it is
 * not read from OpenSSL a second time; read here only when Node did not.
 */
export function describeTls(socket: TLSSocket, peer: PeerCertificate = socket.getPeerCertificate(false)): TlsInfo {
  const info: TlsInfo = {
    protocol: socket.getProtocol(),
    chainTrusted: socket.authorized,
    certificate: peer && Object.keys(peer).length > 0 ? certificateInfo(peer) : undefined,
  };
  if (!socket.authorized && socket.authorizationError) info.chainError = String(socket.authorizationError);
  return info;
}

/**
 * A checkServerIdentity that accepts every name (the checker judges names itself, to explain what is wrong)
 * and keeps the certificate Node hands it, for describeTls.
 */
export function keepPeerCertificate(): { checkServerIdentity: (host: string, cert: PeerCertificate) => undefined; readonly peer?: PeerCertificate } {
  const kept: { checkServerIdentity: (host: string, cert: PeerCertificate) => undefined; peer?: PeerCertificate } = {
    checkServerIdentity: (_host, cert) => void (kept.peer = cert),
  };
  return kept;
}

function certificateInfo(peer: PeerCertificate): CertificateInfo {
  return {
    subject: peer.subject?.CN !== undefined ? `CN=${String(peer.subject.CN)}` : '',
    issuer: peer.issuer?.CN !== undefined ? `CN=${String(peer.issuer.CN)}` : '',
    dnsNames: dnsNames(peer.subjectaltname),
    validFrom: new Date(peer.valid_from).toISOString(),
    validTo: new Date(peer.valid_to).toISOString(),
    fingerprint256: peer.fingerprint256,
  };
}

// Node renders SANs as `DNS:a.example, DNS:b.example, IP Address:192.0.2.1`.
function dnsNames(subjectaltname: string | undefined): string[] {
  if (!subjectaltname) return [];
  return subjectaltname
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
}

/**
 * Whether the certificate names `host` in a SAN DNS-ID: RFC 8461 §3.3 (policy host) and §4.2 (MX host).
 * A wildcard covers exactly one whole left-most label, the same rule as mx patterns (RFC 6125 §6.4.3),
 * so the RFC core's matcher is reused. The subject CN is never consulted.
 */
export function certificateCovers(certificate: CertificateInfo, host: string): boolean {
  return certificate.dnsNames.some((name) => mxMatches(name, host));
}

export type CertificateProblem =
  | { code: 'expired' | 'not-yet-valid' | 'self-signed' | 'untrusted' | 'wrong-host' | 'missing'; message: string }
  | undefined;

/** The first thing wrong with the certificate for `host`, or undefined when a sender would accept it. */
export function certificateProblem(tls: TlsInfo, host: string): CertificateProblem {
  const cert = tls.certificate;
  if (!cert) return { code: 'missing', message: 'the server sent no certificate' };
  switch (tls.chainError) {
    case undefined:
      // No error code yet not authorized: never count that as trusted.
      if (!tls.chainTrusted) return { code: 'untrusted', message: `certificate was not verified as chaining to a trusted CA (issuer ${cert.issuer || 'unknown'})` };
      break;
    case 'CERT_HAS_EXPIRED':
      return { code: 'expired', message: `certificate expired on ${cert.validTo}` };
    case 'CERT_NOT_YET_VALID':
      return { code: 'not-yet-valid', message: `certificate is not valid before ${cert.validFrom}` };
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return { code: 'self-signed', message: `certificate is self-signed (${cert.subject || 'no subject'}); senders need one from a trusted CA` };
    default:
      return { code: 'untrusted', message: `certificate does not chain to a trusted CA (${tls.chainError}; issuer ${cert.issuer || 'unknown'})` };
  }
  if (!certificateCovers(cert, host)) {
    const names = cert.dnsNames.length > 0 ? cert.dnsNames.join(', ') : 'no DNS names';
    return { code: 'wrong-host', message: `certificate does not cover ${host} (it names ${names})` };
  }
  return undefined;
}
