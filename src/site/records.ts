// The DNS records a domain must publish for the built site (RFC 8461 §3.1, RFC 8460 §3).
import type { Config } from '../config/config.ts';
import { effectiveId } from './policy.ts';

export interface DnsRecord {
  /** The mail domain the record belongs to, so scripts can pick the DNS zone. */
  domain: string;
  /** Fully qualified, without the trailing dot. */
  name: string;
  type: 'TXT' | 'CNAME';
  ttl: number;
  /** Unquoted record data. */
  value: string;
}

// One hour, as Microsoft's guide recommends: short enough that a new id reaches senders the same day.
export const RECORD_TTL = 3600;

export function dnsRecords(config: Config): DnsRecord[] {
  const id = effectiveId(config);
  return config.domains.flatMap((domain) => {
    const records: DnsRecord[] = [
      { domain, name: `_mta-sts.${domain}`, type: 'TXT', ttl: RECORD_TTL, value: `v=STSv1; id=${id};` },
    ];
    if (config.hosting.default_hostname) {
      records.push({ domain, name: `mta-sts.${domain}`, type: 'CNAME', ttl: RECORD_TTL, value: config.hosting.default_hostname });
    }
    if (config.tlsrpt) {
      records.push({ domain, name: `_smtp._tls.${domain}`, type: 'TXT', ttl: RECORD_TTL, value: `v=TLSRPTv1; rua=${config.tlsrpt.rua.join(',')}` });
    }
    return records;
  });
}

/** Zone-file lines, ready to paste into most DNS consoles' import box. */
export function zoneFileLines(records: DnsRecord[]): string {
  return records
    .map((r) => `${r.name}. ${r.ttl} IN ${r.type} ${r.type === 'TXT' ? txtStrings(r.value) : `${r.value}.`}`)
    .join('\n');
}

// A TXT character-string holds at most 255 bytes (RFC 1035 §3.3.14); longer values (many rua URIs)
// become several strings, which receivers concatenate (RFC 8461 §3.1, RFC 8460 §3).
function txtStrings(value: string): string {
  const chunks = value.match(/[^]{1,255}/g) ?? [''];
  return chunks.map((c) => `"${c}"`).join(' ');
}
