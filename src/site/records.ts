// The DNS records a domain must publish for the built site (RFC 8461 §3.1, RFC 8460 §3) and its policy host.
import type { Config } from '../config/config.ts';
import { effectiveId } from '../config/policy.ts';
import { hostingOf, RECORD_TTL, type DnsRecord, type HostFacts } from '../hosting/hosting.ts';

export type { DnsRecord } from '../hosting/hosting.ts';
export { RECORD_TTL };

/**
 * Every record a domain needs: the policy's TXT records (`_mta-sts`, and `_smtp._tls` with tlsrpt) and the
 * records its policy host needs for the hosting kind (src/hosting/), with a named placeholder where a value is
 * not known yet (never left out: a newcomer would publish one record of three).
 */
export function dnsRecords(config: Config, facts: HostFacts = {}): DnsRecord[] {
  const hosting = hostingOf(config);
  const known: HostFacts = {
    defaultHostname: config.hosting.default_hostname ?? facts.defaultHostname, verificationId: facts.verificationId,
    app: facts.app ?? config.hosting.app, resourceGroup: facts.resourceGroup ?? config.hosting.resource_group,
  };
  const policy = policyRecords(config);
  return config.domains.flatMap((domain) => {
    const own = policy.filter((r) => r.domain === domain);
    return [own[0]!, ...hosting.hostRecords(domain, known), ...own.slice(1)];
  });
}

/** The records that change with the policy (what `azure publish-dns` writes): `_mta-sts` and `_smtp._tls` TXT. */
export function policyRecords(config: Config): DnsRecord[] {
  const id = effectiveId(config);
  return config.domains.flatMap((domain) => {
    const records: DnsRecord[] = [
      { domain, name: `_mta-sts.${domain}`, type: 'TXT', ttl: RECORD_TTL, value: `v=STSv1; id=${id};` },
    ];
    if (config.tlsrpt) {
      records.push({ domain, name: `_smtp._tls.${domain}`, type: 'TXT', ttl: RECORD_TTL, value: `v=TLSRPTv1; rua=${config.tlsrpt.rua.join(',')}` });
    }
    return records;
  });
}

/**
 * Whether a TXT value read from DNS is `rec` as published: spacing aside, and for `_mta-sts` with or without its
 * final `;` (RFC 8461 §3.1: the last field's semicolon is optional).
 */
export function txtHolds(rec: DnsRecord, live: string): boolean {
  const value = live.replace(/\s+/g, ' ').trim();
  return (rec.name.startsWith('_mta-sts.') ? value.replace(/;?$/, ';') : value) === rec.value;
}

/** Zone-file lines, ready to paste into most DNS consoles' import box. */
export function zoneFileLines(records: DnsRecord[]): string {
  return records
    .map((r) => (r.placeholder !== undefined
      // A zone-file comment says what the placeholder stands for; the line is not meant to be imported as it is.
      ? `${r.name}. ${r.ttl} IN ${r.type} ${r.type === 'TXT' ? `"${r.value}"` : r.value} ; not known yet: ${r.placeholder}`
      : `${r.name}. ${r.ttl} IN ${r.type} ${r.type === 'TXT' ? txtStrings(r.value) : `${r.value}.`}`))
    .join('\n');
}

// A TXT character-string holds at most 255 bytes (RFC 1035 §3.3.14); longer values (many rua URIs)
// become several strings, which receivers concatenate (RFC 8461 §3.1, RFC 8460 §3). The split counts the
// record's own bytes, before zone-file quoting adds any backslashes.
const MAX_STRING_BYTES = 255;

function txtStrings(value: string): string {
  return txtByteStrings(value).map((bytes) => `"${zoneEscaped(bytes)}"`).join(' ');
}

function txtByteStrings(value: string): Uint8Array[] {
  const bytes = new TextEncoder().encode(value);
  const strings: Uint8Array[] = [];
  for (let at = 0; at === 0 || at < bytes.length; at += MAX_STRING_BYTES) strings.push(bytes.subarray(at, at + MAX_STRING_BYTES));
  return strings;
}

/** A TXT value as the character-strings of one record, for APIs that take them as a list (Azure DNS `value`). */
export function txtCharacterStrings(value: string): string[] {
  // The record grammars (RFC 8461 §3.1, RFC 8460 §3) are ASCII, so a 255-byte cut never splits a character.
  return txtByteStrings(value).map((bytes) => new TextDecoder().decode(bytes));
}

// RFC 1035 §5.1: inside a quoted string, '"' and '\' are written \" and \\, and a byte that is not
// printable ASCII as \DDD (decimal), so no value can end the string early or break the line.
function zoneEscaped(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) out += `\\${b.toString().padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}
