import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMxPattern, isValidDomainName, mxMatches } from '../../src/rfc/hostname.ts';

describe('isValidDomainName (RFC 5321 §4.1.2, RFC 1035 §2.3.1)', () => {
  it.each<[string, boolean]>([
    ['example.com', true],
    ['mail.protection.outlook.com', true],
    ['contoso-com.mail.protection.outlook.com', true],
    ['EXAMPLE.COM', true],
    ['xn--bcher-kva.example', true],
    ['1.example.com', true], // digits-only labels are fine except the last
    ['123.456.example.com', true],
    ['a.b', true],
    [`${'a'.repeat(63)}.com`, true],
    [`${'a'.repeat(64)}.com`, false],
    [`${'a.'.repeat(125)}com`, true], // 253 characters
    [`${'a.'.repeat(125)}comx`, false], // 254 characters
    ['example', false], // one label
    ['example.com.', false], // trailing dot
    ['.example.com', false],
    ['a..example.com', false],
    ['-mail.example.com', false],
    ['mail-.example.com', false],
    ['mail_1.example.com', false],
    ['mail example.com', false],
    ['mäil.example.com', false],
    ['192.0.2.1', false],
    ['example.123', false],
    ['*.example.com', false],
    ['', false],
  ])('%j -> %s', (name, valid) => {
    expect(isValidDomainName(name)).toBe(valid);
  });
});

describe('checkMxPattern (RFC 8461 §3.2)', () => {
  it.each<[string, string[]]>([
    ['mail.example.com', []],
    ['*.example.net', []],
    ['*.mail.protection.outlook.com', []],
    ['*.contoso-com.l-v1.mx.microsoft', []],
    ['Mail.Example.COM', []],
    ['*.co.uk', []],
    ['.example.com', ['mx-leading-dot']],
    ['mail*.example.com', ['invalid-mx-wildcard']],
    ['*mail.example.com', ['invalid-mx-wildcard']],
    ['a.*.example.com', ['invalid-mx-wildcard']],
    ['**.x.com', ['invalid-mx-wildcard']],
    ['*.*.example.com', ['invalid-mx-wildcard']],
    ['*', ['invalid-mx-wildcard']],
    ['[192.0.2.1]', ['mx-ip-literal']],
    ['[IPv6:2001:db8::1]', ['mx-ip-literal']],
    ['192.0.2.1', ['mx-ip-literal']],
    ['2001:db8::25', ['mx-ip-literal']],
    ['*.com', ['wildcard-too-broad']],
    ['mail.example.com.', ['invalid-mx-pattern']],
    ['*.example.com.', ['invalid-mx-pattern']],
    ['localhost', ['mx-single-label']], // RFC 5321 Domain allows one label; callers pick the severity
    ['MX1', ['mx-single-label']],
    ['-mx', ['invalid-mx-pattern']],
    ['mail..example.com', ['invalid-mx-pattern']],
    ['-mx.example.com', ['invalid-mx-pattern']],
    ['mx_1.example.com', ['invalid-mx-pattern']],
    ['mäil.example.com', ['invalid-mx-pattern']],
    ['mail example.com', ['invalid-mx-pattern']],
    ['', ['invalid-mx-pattern']],
  ])('%j -> %j', (pattern, codes) => {
    const ds = checkMxPattern(pattern);
    expect(ds.map((d) => d.code)).toEqual(codes);
    for (const d of ds) expect(d.message).toContain(pattern === '' ? 'empty' : JSON.stringify(pattern));
  });

  it('suggests the RFC form for the draft leading-dot syntax', () => {
    expect(checkMxPattern('.example.com')[0]!.message).toContain('"*.example.com"');
  });

  it('says why a single-label host is no use', () => {
    expect(checkMxPattern('localhost')[0]!.message).toContain('a single-label MX host name cannot be reached over the Internet');
  });

  it('suggests dropping the trailing dot', () => {
    expect(checkMxPattern('mail.example.com.')[0]!.message).toContain('"mail.example.com"');
  });
});

describe('mxMatches (RFC 8461 §4.1)', () => {
  it.each<[string, string, boolean]>([
    ['mail.example.com', 'mail.example.com', true],
    ['mail.example.com', 'MAIL.Example.Com', true],
    ['MAIL.EXAMPLE.COM', 'mail.example.com', true],
    ['mail.example.com', 'mail.example.com.', true],
    ['mail.example.com.', 'mail.example.com', true],
    ['mail.example.com', 'mail.example.com..', false], // only one trailing dot is ignored
    ['mail.example.com', 'mail2.example.com', false],
    ['mail.example.com', 'example.com', false],
    ['*.example.com', 'mail.example.com', true], // RFC 8461 §4.1 example
    ['*.example.com', 'example.com', false], // RFC 8461 §4.1 example
    ['*.example.com', 'foo.bar.example.com', false], // RFC 8461 §4.1 example
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'MAIL.EXAMPLE.COM.', true],
    ['*.Example.Com', 'mx1.example.com', true],
    ['*.example.com', 'mailexample.com', false],
    ['*.example.com', '.example.com', false],
    ['*.example.com', '*.example.com', false],
    ['*.mail.protection.outlook.com', 'contoso-com.mail.protection.outlook.com', true],
    ['*.mail.protection.outlook.com', 'mail.protection.outlook.com', false],
    ['mail.protection.outlook.com', 'contoso-com.mail.protection.outlook.com', false],
    ['mail*.example.com', 'mail1.example.com', false], // no partial-label wildcards
    ['*mail.example.com', 'xmail.example.com', false],
    ['a.*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'mail.example.org', false],
    ['*.example.com', 'mail.example.com.evil.net', false],
    ['', '', false],
    ['*.k.example', 'İ.k.example', true], // non-ASCII host labels still count as one label
    ['i.example.com', 'İ.example.com', false], // ASCII-only case folding
    // U-labels compare as their A-labels (RFC 5890 §2.3.2.1), as check does: issue 21.
    ['bücher.example', 'xn--bcher-kva.example', true],
    ['xn--bcher-kva.example', 'bücher.example', true],
    ['mx.BÜCHER.example', 'mx.xn--bcher-kva.example.', true],
    ['*.bücher.example', 'mx1.xn--bcher-kva.example', true],
    ['*.xn--bcher-kva.example', 'mx1.bücher.example', true],
    ['*.bücher.example', 'xn--bcher-kva.example', false],
    ['bücher.example', 'bucher.example', false],
  ])('%j vs %j -> %s', (pattern, host, expected) => {
    expect(mxMatches(pattern, host)).toBe(expected);
  });

  it('matches any U-label name with its A-label, both ways, through the package export', async () => {
    const { mxMatches: exported } = await import('../../src/index.ts');
    const { domainToASCII } = await import('node:url');
    fc.assert(fc.property(fc.stringMatching(/^[a-zà-ÿα-ω]{1,12}$/), (label) => {
      const unicode = `mx.${label}.example`;
      const ascii = domainToASCII(unicode);
      fc.pre(ascii !== '');
      expect(exported(unicode, ascii)).toBe(true);
      expect(exported(ascii, unicode)).toBe(true);
      expect(exported(`*.${label}.example`, ascii)).toBe(true);
    }));
  });
});
