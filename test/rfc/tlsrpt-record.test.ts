import { describe, expect, it } from 'vitest';
import { parseTlsRptRecord, selectTlsRptRecord } from '../../src/rfc/tlsrpt-record.ts';
import { fmt } from './format.ts';

describe('parseTlsRptRecord (RFC 8460 §3)', () => {
  it.each<{ name: string; text: string; rua?: string[]; errors?: string[]; warnings?: string[] }>([
    { name: 'RFC 8460 §3 mailto example', text: 'v=TLSRPTv1;rua=mailto:reports@example.com', rua: ['mailto:reports@example.com'] },
    { name: 'RFC 8460 §3 https example', text: 'v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt', rua: ['https://reporting.example.com/v1/tlsrpt'] },
    { name: 'two URIs', text: 'v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/x', rua: ['mailto:a@example.com', 'https://r.example.com/x'] },
    { name: 'WSP around the comma', text: 'v=TLSRPTv1; rua=mailto:a@example.com \t, https://r.example.com', rua: ['mailto:a@example.com', 'https://r.example.com'] },
    { name: 'trailing delimiter', text: 'v=TLSRPTv1; rua=mailto:a@example.com;', rua: ['mailto:a@example.com'] },
    { name: 'scheme is case-insensitive', text: 'v=TLSRPTv1; rua=MAILTO:a@example.com,HTTPS://r.example.com', rua: ['MAILTO:a@example.com', 'HTTPS://r.example.com'] },
    { name: 'URI with query and "="', text: 'v=TLSRPTv1; rua=https://r.example.com/in?k=v&x=1', rua: ['https://r.example.com/in?k=v&x=1'] },
    { name: 'percent-encoded comma', text: 'v=TLSRPTv1; rua=mailto:a%2Cb@example.com', rua: ['mailto:a%2Cb@example.com'] },
    { name: 'unknown field ignored with a warning', text: 'v=TLSRPTv1; rua=mailto:a@example.com; ruf=x', rua: ['mailto:a@example.com'], warnings: ['unknown-field@39'] },
    { name: 'duplicate rua: first wins', text: 'v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com', rua: ['mailto:a@example.com'], warnings: ['duplicate-field@39'] },
    { name: 'missing rua', text: 'v=TLSRPTv1;', errors: ['missing-rua'] },
    { name: 'RUA (case) is not rua', text: 'v=TLSRPTv1; RUA=mailto:a@example.com', errors: ['missing-rua'], warnings: ['unknown-field@13'] },
    { name: 'http scheme', text: 'v=TLSRPTv1; rua=http://r.example.com', errors: ['invalid-rua-scheme@17'] },
    { name: 'second URI with a bad scheme', text: 'v=TLSRPTv1; rua=mailto:a@example.com,ftp://x.example', errors: ['invalid-rua-scheme@38'] },
    { name: 'no scheme', text: 'v=TLSRPTv1; rua=reports@example.com', errors: ['invalid-rua-uri@17'] },
    { name: 'mailto without mailbox', text: 'v=TLSRPTv1; rua=mailto:', errors: ['invalid-rua-uri@17'] },
    { name: 'https without host', text: 'v=TLSRPTv1; rua=https://', errors: ['invalid-rua-uri@17'] },
    { name: 'empty rua', text: 'v=TLSRPTv1; rua=', errors: ['invalid-rua-uri@17'] },
    { name: 'stray comma', text: 'v=TLSRPTv1; rua=mailto:a@example.com,', errors: ['invalid-rua-uri@38'] },
    { name: 'unencoded "!"', text: 'v=TLSRPTv1; rua=mailto:a!b@example.com', errors: ['invalid-rua-uri@25'] },
    { name: 'every RFC 3986 URI character but , ! ;', text: "v=TLSRPTv1; rua=https://r.example.com/a-b._~:@$&'()*+=%20/?q=[x]#f", rua: ["https://r.example.com/a-b._~:@$&'()*+=%20/?q=[x]#f"] },
    { name: 'unencoded double quote', text: 'v=TLSRPTv1; rua=mailto:a"b@example.com', errors: ['invalid-rua-uri@25'] },
    { name: 'unencoded backslash', text: 'v=TLSRPTv1; rua=mailto:a\\b@example.com', errors: ['invalid-rua-uri@25'] },
    ...['{', '}', '|', '^', '`', '<', '>'].map((ch) => ({ name: `unencoded ${ch}`, text: `v=TLSRPTv1; rua=https://r.example.com/a${ch}b`, errors: ['invalid-rua-uri@40'] })),
    { name: 'bad character in the second URI', text: 'v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/<x>', errors: ['invalid-rua-uri@60'] },
    { name: 'bad percent escape', text: 'v=TLSRPTv1; rua=mailto:a%zz@example.com', errors: ['invalid-rua-uri@25'] },
    { name: 'non-ASCII in URI', text: 'v=TLSRPTv1; rua=mailto:ä@example.com', errors: ['invalid-rua-uri@24'] },
    { name: 'version not first', text: 'rua=mailto:a@example.com; v=TLSRPTv1', errors: ['invalid-version@1'] },
    { name: 'wrong version', text: 'v=TLSRPTv2; rua=mailto:a@example.com', errors: ['invalid-version@1'] },
    { name: 'lower-case version', text: 'v=tlsrptv1; rua=mailto:a@example.com', errors: ['invalid-version@1'] },
    { name: 'extension with bad value', text: 'v=TLSRPTv1; rua=mailto:a@example.com; x=a=b', errors: ['invalid-extension-value@42'] },
  ])('$name', ({ text, rua, errors = [], warnings = [] }) => {
    const r = parseTlsRptRecord(text);
    expect(fmt(r.errors)).toEqual(errors);
    expect(fmt(r.warnings)).toEqual(warnings);
    expect(r.ok).toBe(errors.length === 0);
    expect(r.rua).toEqual(errors.length === 0 ? rua : undefined);
  });
});

describe('reporting URI messages', () => {
  it.each([
    ['"', 'mailto:a"b@example.com', `'"' (U+0022), which is not allowed in a URI (RFC 3986 §2); percent-encode it as %22`],
    ['\\', 'mailto:a\\b@example.com', '"\\" (U+005C), which is not allowed in a URI (RFC 3986 §2); percent-encode it as %5C'],
    ['!', 'mailto:a!b@example.com', '"!" (U+0021), which RFC 8460 §3 requires percent-encoded; percent-encode it as %21'],
    ['ä', 'mailto:ä@example.com', 'U+00E4, which is not allowed in a URI (RFC 3986 §2); percent-encode it as %C3%A4'],
  ])('name %s and give its percent-encoding', (_ch, uri, said) => {
    const [d] = parseTlsRptRecord(`v=TLSRPTv1; rua=${uri}`).errors;
    expect(d!.message).toBe(`reporting URI ${JSON.stringify(uri)} contains ${said} (RFC 8460 §3)`);
  });
});

describe('selectTlsRptRecord (RFC 8460 §3)', () => {
  it.each<{ name: string; rrset: string[][]; rua?: string[]; errors?: string[]; warnings?: string[] }>([
    { name: 'one record', rrset: [['v=TLSRPTv1; rua=mailto:a@example.com']], rua: ['mailto:a@example.com'] },
    { name: 'concatenated strings', rrset: [['v=TLSRPTv1; rua=mailto:a@exa', 'mple.com']], rua: ['mailto:a@example.com'] },
    { name: 'others discarded', rrset: [['foo'], ['v=TLSRPTv1; rua=mailto:a@example.com']], rua: ['mailto:a@example.com'] },
    { name: 'none', rrset: [['foo']], errors: ['no-tlsrpt-record'] },
    { name: 'two records', rrset: [['v=TLSRPTv1; rua=mailto:a@example.com'], ['v=TLSRPTv1; rua=mailto:b@example.com']], errors: ['multiple-tlsrpt-records'] },
    { name: 'SPF from a wildcard TXT', rrset: [['v=spf1 -all']], errors: ['no-tlsrpt-record'], warnings: ['spf-at-tlsrpt'] },
    { name: 'a record not beginning with "v=TLSRPTv1;" next to a valid one is discarded, not counted', rrset: [['v=TLSRPTv1'], ['v=TLSRPTv1; rua=mailto:a@example.com']], rua: ['mailto:a@example.com'] },
    { name: 'one invalid candidate', rrset: [['v=TLSRPTv1; rua=http://x.example']], errors: ['invalid-rua-scheme@17'] },
  ])('$name', ({ rrset, rua, errors = [], warnings = [] }) => {
    const r = selectTlsRptRecord(rrset);
    expect(fmt(r.errors)).toEqual(errors);
    expect(fmt(r.warnings)).toEqual(warnings);
    expect(r.ok).toBe(errors.length === 0);
    expect(r.rua).toEqual(rua);
  });
});
