// What this project knows about Exchange Online, in one place (Microsoft Learn, "Enhancing mail flow with
// MTA-STS", and "Inbound SMTP DANE with DNSSEC"): its MX host names, the patterns that cover them, and the
// pitfalls admins run into. The config rules, the checker and the templates all ask here.
import { mxMatches } from './rfc/hostname.ts';

/** The policy pattern that covers every classic Exchange Online MX host (<tenant>.mail.protection.outlook.com). */
export const EXO_MX_PATTERN = '*.mail.protection.outlook.com';
/** What an MX record of a tenant points to, for messages. */
export const EXO_MX_EXAMPLE = '<tenant>.mail.protection.outlook.com';
/** A pattern admins write for the DANE MX names, which no host ever matches: `*.` covers exactly one label. */
export const BROAD_DANE_PATTERN = '*.mx.microsoft';

/** An Exchange Online MX with inbound DANE: `<tenant>.<zone>-v1.mx.microsoft`. */
export function isDaneMx(host: string): boolean {
  return /\.mx\.microsoft$/i.test(host);
}

/** Any Exchange Online MX host, classic or DANE: Microsoft runs STARTTLS there with publicly trusted certificates. */
export function isExchangeOnlineMx(host: string): boolean {
  return mxMatches(EXO_MX_PATTERN, host) || isDaneMx(host);
}

/** The pattern that covers a DANE MX host and its siblings: `*.<zone>-v1.mx.microsoft`. */
export function danePatternFor(host: string): string {
  return `*.${host.split('.').slice(1).join('.')}`;
}

/** Microsoft-managed tenant domains, for which no one can publish MTA-STS records. */
export function isOnMicrosoftDomain(domain: string): boolean {
  return /(^|\.)onmicrosoft\.com\.?$/i.test(domain);
}

/** A policy mx pattern that looks right to an Exchange admin but misses Exchange Online's hosts, and the fix. */
export function exchangePatternPitfall(pattern: string): { code: string; message: string } | undefined {
  const lower = pattern.toLowerCase();
  if (lower === EXO_MX_PATTERN.slice(2)) {
    return { code: 'mx-exo-no-wildcard', message: `"${pattern}" never matches Exchange Online MX hosts; use ${EXO_MX_PATTERN}` };
  }
  if (lower === BROAD_DANE_PATTERN) {
    return { code: 'mx-exo-dane', message: `"${pattern}" does not match Exchange Online DANE MX names like x.<zone>-v1.mx.microsoft; use *.<zone>-v1.mx.microsoft` };
  }
  return undefined;
}
