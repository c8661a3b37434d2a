// The `_smtp._tls.<domain>` TLS-RPT TXT record (RFC 8460 §3).
import { describeChar, type Diagnostic } from './diagnostic.ts';
import { checkExtValue, selectRecord, splitTagList, unknownField, type TagField } from './tag-list.ts';

const VERSION = 'v=TLSRPTv1'; // RFC 8460 §3: tlsrpt-version = %s"v=TLSRPTv1"
const RFC = 'RFC 8460 §3';
const SCHEMES = ['mailto', 'https']; // RFC 8460 §3: "mailto" and "https" are the defined schemes
// RFC 3986 §2: a URI is unreserved / reserved / pct-encoded characters only; RFC 8460 §3 also requires
// "," "!" and ";" percent-encoded in a tlsrpt-uri, so they are left out here.
const NOT_URI_CHAR = /[^A-Za-z0-9\-._~:/?#[\]@$&'()*+=%]/;

export interface TlsRptRecordParseResult {
  ok: boolean;
  rua?: string[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** Parses one (already concatenated) TLS-RPT TXT record strictly per RFC 8460 §3. Never throws. */
export function parseTlsRptRecord(text: string): TlsRptRecordParseResult {
  if (typeof text !== 'string') return { ok: false, errors: [{ code: 'not-text', message: 'the record must be a string' }], warnings: [] };
  const { fields, errors, warnings } = splitTagList(text, VERSION, RFC);
  let rua: string[] | undefined;
  for (const f of fields) {
    if (f.name === 'rua') {
      const uris = parseRua(f, errors);
      if (uris) rua = uris;
      continue;
    }
    const bad = checkExtValue(f, RFC);
    if (bad) errors.push(bad);
    else warnings.push(unknownField(f, ['rua'], RFC)); // RFC 8460 §3: unknown fields are ignored
  }
  if (!fields.some((f) => f.name === 'rua') && !errors.some((e) => e.code === 'invalid-version')) {
    errors.push({ code: 'missing-rua', message: `the record has no rua; publish "v=TLSRPTv1; rua=mailto:tlsrpt@example.com" (${RFC})` });
  }
  const ok = errors.length === 0 && rua !== undefined;
  return ok ? { ok, rua, errors, warnings } : { ok, errors, warnings };
}

// RFC 8460 §3: tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
function parseRua(f: TagField, errors: Diagnostic[]): string[] | undefined {
  const uris: string[] = [];
  const before = errors.length;
  const re = /[\t ]*,[\t ]*/g;
  let start = 0;
  for (;;) {
    const m = re.exec(f.value);
    const end = m ? m.index : f.value.length;
    const uri = f.value.slice(start, end);
    const problem = checkReportUri(uri);
    if (problem) errors.push({ code: problem.code, column: f.valueColumn + start + (problem.offset ?? 0), message: `${problem.message} (${RFC})` });
    else uris.push(uri);
    if (!m) break;
    start = m.index + m[0].length;
  }
  return errors.length === before ? uris : undefined;
}

/** A reporting URI: an RFC 3986 URI using mailto: or https:, with ",", "!" and ";" percent-encoded. */
function checkReportUri(uri: string): { code: string; message: string; offset?: number } | undefined {
  if (uri === '') return { code: 'invalid-rua-uri', message: 'empty reporting URI in rua (check for a stray ",")' };
  const bad = uri.search(NOT_URI_CHAR);
  if (bad >= 0) {
    const ch = String.fromCodePoint(uri.codePointAt(bad)!);
    const why = ch === '!' ? 'which RFC 8460 §3 requires percent-encoded' : 'which is not allowed in a URI (RFC 3986 §2)';
    return { code: 'invalid-rua-uri', offset: bad, message: `reporting URI ${JSON.stringify(uri)} contains ${describeChar(ch)}, ${why}; percent-encode it as ${percentEncoded(ch)}` };
  }
  const pct = uri.search(/%(?![0-9A-Fa-f]{2})/);
  if (pct >= 0) return { code: 'invalid-rua-uri', offset: pct, message: `reporting URI ${JSON.stringify(uri)} has a "%" not followed by two hex digits (RFC 3986 §2.1)` };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1];
  if (!scheme) return { code: 'invalid-rua-uri', message: `reporting URI ${JSON.stringify(uri)} has no scheme; write "mailto:tlsrpt@example.com" or "https://reports.example.com/tlsrpt"` };
  if (!SCHEMES.includes(scheme.toLowerCase())) {
    return { code: 'invalid-rua-scheme', message: `reporting URI ${JSON.stringify(uri)} uses "${scheme}:"; only mailto: and https: are allowed` };
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { code: 'invalid-rua-uri', message: `reporting URI ${JSON.stringify(uri)} is not a valid URI` };
  }
  if (url.protocol === 'mailto:' && !/^[^@]+@[^@]+$/.test(decodeSafely(url.pathname))) {
    return { code: 'invalid-rua-uri', message: `reporting URI ${JSON.stringify(uri)} has no mailbox; write "mailto:tlsrpt@example.com"` };
  }
  if (url.protocol === 'https:' && url.hostname === '') {
    return { code: 'invalid-rua-uri', message: `reporting URI ${JSON.stringify(uri)} has no host; write "https://reports.example.com/tlsrpt"` };
  }
  return undefined;
}

/** The RFC 3986 §2.1 percent-encoding of one character's UTF-8 bytes, e.g. "%22" or "%C3%A4". */
function percentEncoded(ch: string): string {
  return [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

function decodeSafely(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Picks the TLS-RPT record from a TXT RRset (one string array per RR) per RFC 8460 §3: strings are
 * concatenated, RRs not beginning with v=TLSRPTv1 discarded, and only exactly one survivor counts.
 */
export function selectTlsRptRecord(rrset: string[][]): TlsRptRecordParseResult {
  const { record, errors, warnings } = selectRecord(rrset, VERSION, { codes: 'tlsrpt', spf: 'spf-at-tlsrpt', name: '_smtp._tls' });
  if (record === undefined) return { ok: false, errors, warnings };
  const parsed = parseTlsRptRecord(record);
  const result = { ok: parsed.ok, errors: [...errors, ...parsed.errors], warnings: [...warnings, ...parsed.warnings] };
  return parsed.ok ? { ...result, rua: parsed.rua } : result;
}
