// Semantic rules: what the schema cannot express, each reported at the offending entry.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { FILE, accepted, config, errorsOf, onlyError } from './helpers.ts';

const domainList = (n: number) => `[${Array.from({ length: n }, (_, i) => `d${i + 1}.example`).join(', ')}]`;

describe('domains', () => {
  it('are lower-cased', () => {
    expect(accepted(config({ domains: '[Contoso.COM, fabrikam.com]' })).config.domains).toEqual(['contoso.com', 'fabrikam.com']);
  });

  it('must be valid domain names', () => {
    const d = onlyError(config({ domains: '[contoso.com, contoso]' }));
    expect([d.line, d.column, d.field, d.code]).toEqual([1, 24, 'domains', 'domain-invalid']);
    expect(d.message).toBe(
      'domains: each entry must be a domain name like contoso.com: letters, digits and hyphens, at least two labels, no trailing dot (got "contoso")',
    );
    expect(errorsOf(config({ domains: '[contoso.com.]' }))[0]).toMatch(/^mta-sts\.config\.yaml:1:11: .*no trailing dot \(got "contoso.com."\)$/);
    expect(errorsOf(config({ domains: '["mail_in.contoso.com"]' }))[0]).toMatch(/\(got "mail_in.contoso.com"\)$/);
  });

  it('must not repeat, ignoring case; the repeat is reported', () => {
    const text = ['domains:', '  - contoso.com', '  - fabrikam.com', '  - CONTOSO.com', 'policy: {mode: testing, max_age: 1d}', ''].join('\n');
    const d = onlyError(text);
    expect([d.line, d.column, d.code]).toEqual([4, 5, 'domain-duplicate']);
    expect(d.message).toBe('domains lists "contoso.com" twice (first at 2:5); remove one (got "CONTOSO.com")');
  });

  it('refuses onmicrosoft.com domains', () => {
    for (const name of ['contoso.onmicrosoft.com', 'onmicrosoft.com', 'Contoso.OnMicrosoft.com']) {
      const d = onlyError(config({ domains: `[fabrikam.com, ${name}]` }));
      expect([d.line, d.column, d.code]).toEqual([1, 25, 'domain-onmicrosoft']);
      expect(d.message).toBe(`domains: MTA-STS cannot be used on onmicrosoft.com domains; Microsoft manages them (got "${name}")`);
    }
    expect(accepted(config({ domains: '[notonmicrosoft.com]' })).config.domains).toEqual(['notonmicrosoft.com']);
  });

  it('refuses a domain whose mta-sts.<domain> a free managed certificate cannot name (over 64 characters)', () => {
    const fits = `${'a'.repeat(52)}.com`; // 56: mta-sts.<domain> is 64
    expect(accepted(config({ domains: `[${fits}]` })).config.domains).toEqual([fits]);
    for (const kind of ['static-web-app', 'function-app']) {
      const d = onlyError(config({ domains: `[contoso.com, a${fits}]`, extra: `hosting: {kind: ${kind}}` }));
      expect([d.line, d.column, d.field, d.code]).toEqual([1, 24, 'domains', 'domain-certificate-name']);
      expect(d.message).toMatch(/^domains: mta-sts\.<domain> would be 65 characters, over the 64 a free managed certificate \(Static Web Apps, App Service\) can name, so the policy host would never get its certificate; this domain has 57, so at most 56 fit \(got "a{53}/);
    }
  });

  it('refuses a domain whose published names would not fit in DNS (253 characters), naming the name and lengths', () => {
    // Labels of at most 63 characters, ending in .com, exactly `length` characters long.
    const named = (length: number) => {
      let name = 'com';
      while (name.length < length) name = `${'a'.repeat(Math.min(63, length - name.length - 1))}.${name}`;
      return name;
    };
    const rua = 'tlsrpt: {rua: [mailto:tlsrpt@contoso.com]}';
    // Names that fit in DNS are refused only for the certificate (the rule above), not for DNS.
    expect(onlyError(config({ domains: `[${named(244)}]` })).code).toBe('domain-certificate-name');
    expect(onlyError(config({ domains: `[${named(242)}]`, extra: rua })).code).toBe('domain-certificate-name');

    const d = onlyError(config({ domains: `[${named(253)}]` }));
    expect([d.line, d.column, d.field, d.code]).toEqual([1, 11, 'domains', 'domain-too-long']);
    expect(d.message).toMatch(
      /^domains: the TXT record name _mta-sts\.<domain> would be 262 characters, over the 253 a DNS name may have \(RFC 1035 §2\.3\.4\); this domain has 253, so at most 244 fit \(got "a{55}…"\)$/,
    );
    expect(onlyError(config({ domains: `[${named(245)}]` })).message).toContain('_mta-sts.<domain> would be 254 characters');
    expect(onlyError(config({ domains: `[${named(243)}]`, extra: rua })).message).toContain(
      'the TLS-RPT TXT record name _smtp._tls.<domain> would be 254 characters, over the 253 a DNS name may have (RFC 1035 §2.3.4); this domain has 243, so at most 242 fit',
    );
  });

  it('refuses internationalized names, Unicode or xn--', () => {
    for (const name of ['bücher.example', 'xn--bcher-kva.example', 'mail.XN--bcher-kva.example']) {
      const d = onlyError(config({ domains: `[${name}]` }));
      expect([d.line, d.column, d.code]).toEqual([1, 11, 'domain-idn']);
      expect(d.message).toBe(`domains: Azure Static Web Apps custom domains do not support internationalized names (got "${name}")`);
    }
  });

  it('fit the Free plan quota of 2, with the way out', () => {
    expect(accepted(config({ domains: domainList(2), extra: 'hosting: {plan: free}' })).config.hosting.plan).toBe('free');
    const d = onlyError(config({ domains: domainList(3), extra: 'hosting: {plan: free}' }));
    expect([d.line, d.column, d.code]).toEqual([1, 35, 'domain-quota']);
    expect(d.message).toBe(
      'domains lists 3 domains but the Free plan allows 2 custom domains per Static Web App; use the Standard plan (5 domains), set hosting.kind: function-app (one Function App serves up to 500 domains), or split the domains across a second Static Web App',
    );
  });

  it('fit the Standard plan quota of 5, the default plan', () => {
    expect(accepted(config({ domains: domainList(5) })).config.hosting.plan).toBe('standard');
    const d = onlyError(config({ domains: domainList(6) }));
    expect([d.line, d.column, d.code]).toEqual([1, 71, 'domain-quota']);
    expect(d.message).toBe(
      'domains lists 6 domains but the Standard plan allows 5 custom domains per Static Web App; set hosting.kind: function-app (one Function App serves up to 500 domains), or split the domains across 2 Static Web Apps',
    );
  });

  it('name the Function App when a tenant has more domains than one Standard app takes (issue 18: 12 domains)', () => {
    const twelve = domainList(12);
    const refused = onlyError(config({ domains: twelve, extra: 'hosting: {kind: static-web-app}' }));
    expect(refused.code).toBe('domain-quota');
    expect(refused.message).toBe(
      'domains lists 12 domains but the Standard plan allows 5 custom domains per Static Web App; set hosting.kind: function-app (one Function App serves up to 500 domains), or split the domains across 3 Static Web Apps',
    );
    const free = onlyError(config({ domains: twelve, extra: 'hosting: {plan: free}' }));
    expect(free.message).toContain('allows 2 custom domains per Static Web App; set hosting.kind: function-app');
    expect(free.message).not.toContain('Standard plan (5 domains)'); // Standard would not be enough either
    const { config: fa } = accepted(config({ domains: twelve, extra: 'hosting: {kind: function-app}' }));
    expect(fa.hosting.kind).toBe('function-app');
    expect(fa.domains).toHaveLength(12);
  });

  it('fit the Function App quota of 500, with its own way out', () => {
    expect(accepted(config({ domains: domainList(500), extra: 'hosting: {kind: function-app}' })).config.domains).toHaveLength(500);
    const d = onlyError(config({ domains: domainList(501), extra: 'hosting: {kind: function-app}' }));
    expect(d.code).toBe('domain-quota');
    expect(d.message).toBe('domains lists 501 domains but a Function App allows 500 custom domains; split the domains across a second Function App');
  });

  it('count repeats once towards the quota', () => {
    const errors = errorsOf(config({ domains: '[a.example, A.example, b.example]', extra: 'hosting: {plan: free}' }));
    expect(errors).toEqual([expect.stringMatching(/^mta-sts\.config\.yaml:1:22: domains lists "a.example" twice/)]);
  });
});

describe('policy.mx', () => {
  it('is lower-cased and defaults to Exchange Online', () => {
    expect(accepted(config({ mx: '["*.Mail.Protection.Outlook.com"]' })).config.policy.mx).toEqual(['*.mail.protection.outlook.com']);
    const withoutMx = ['domains: [contoso.com]', 'policy: {mode: testing, max_age: 1w}', ''].join('\n');
    expect(accepted(withoutMx).config.policy.mx).toEqual(['*.mail.protection.outlook.com']);
  });

  it('refuses patterns that are not host names, at the pattern, with the RFC grammar message', () => {
    const cases: [string, string, RegExp][] = [
      ['192.0.2.25', 'mx-ip-literal', /is an IP address/],
      ['.mail.protection.outlook.com', 'mx-leading-dot', /starts with a dot/],
      ['mail.*.outlook.com', 'invalid-mx-wildcard', /"\*" is allowed only as the whole left-most label/],
      // A policy reader only warns (RFC 5321 Domain allows one label); the config refuses what no sender can use.
      ['localhost', 'mx-single-label', /"localhost" is a single label: a single-label MX host name cannot be reached over the Internet; write the MX host's fully-qualified name/],
    ];
    for (const [pattern, code, message] of cases) {
      const d = onlyError(config({ mx: `["*.mail.protection.outlook.com", "${pattern}"]` }));
      expect([d.line, d.column, d.field, d.code]).toEqual([4, 41, 'policy.mx', code]);
      expect(d.message).toMatch(message);
    }
  });

  it('needs at least one pattern unless the mode is none', () => {
    const d = onlyError(config({ mx: '[]' }));
    expect([d.line, d.column, d.code]).toEqual([4, 7, 'mx-missing']);
    expect(d.message).toBe(
      'policy.mx must list at least one MX host pattern when policy.mode is testing (Exchange Online: *.mail.protection.outlook.com)',
    );
    expect(errorsOf(config({ mode: 'enforce', mx: '' }))).toEqual([expect.stringMatching(/^mta-sts\.config\.yaml:4:3: policy\.mx must list/)]);
    expect(accepted(config({ mode: 'none', mx: '' })).config.policy).toEqual({ mode: 'none', mx: [], max_age: 604800 });
  });
});

describe('policy.max_age', () => {
  const maxAge = (value: string) => accepted(config({ max_age: value })).config.policy.max_age;

  it('takes seconds or durations', () => {
    expect(maxAge('604800')).toBe(604800);
    expect(maxAge('7d')).toBe(604800);
    expect(maxAge('2w')).toBe(1209600);
    expect(maxAge('90m')).toBe(5400);
    expect(maxAge('0')).toBe(0);
    expect(maxAge('0s')).toBe(0);
    expect(maxAge('31557600')).toBe(31557600);
    expect(maxAge('8766h')).toBe(31557600);
  });

  it('must come out at most one year, saying how many seconds a duration is', () => {
    expect(errorsOf(config({ max_age: '31557601' }))).toEqual([
      'mta-sts.config.yaml:5:12: policy.max_age must be between 0 and 31557600 seconds (one year) (got 31557601)',
    ]);
    expect(errorsOf(config({ max_age: '53w' }))).toEqual([
      'mta-sts.config.yaml:5:12: policy.max_age must come out between 0 and 31557600 seconds (one year), but 53w is 32054400 seconds (got "53w")',
    ]);
    expect(errorsOf(config({ max_age: '-1' }))[0]).toMatch(/^mta-sts\.config\.yaml:5:12: policy\.max_age must be between 0 and 31557600/);
  });

  it('refuses fractions, quoted numbers and unknown units, listing the units', () => {
    for (const value of ['1.5', '"604800"', '7y', '1 d', '1mo']) {
      expect(errorsOf(config({ max_age: value }))).toEqual([
        expect.stringMatching(/^mta-sts\.config\.yaml:5:12: policy\.max_age must be a whole number of seconds or a duration like 7d; accepted units: s, m, h, d, w[ ;]/),
      ]);
    }
  });

  it('suggests 52w for a year', () => {
    for (const value of ['1y', '1Y', '2years']) {
      expect(errorsOf(config({ max_age: value }))).toEqual([
        `mta-sts.config.yaml:5:12: policy.max_age must be a whole number of seconds or a duration like 7d; accepted units: s, m, h, d, w; for a year write 52w (got "${value}")`,
      ]);
    }
    expect(accepted(config({ max_age: '52w' })).config.policy.max_age).toBe(31449600);
  });

  it('shows .inf and .nan as written, not as null', () => {
    for (const value of ['.inf', '-.Inf', '.NaN']) {
      expect(errorsOf(config({ max_age: value }))).toEqual([
        `mta-sts.config.yaml:5:12: policy.max_age must be a whole number of seconds or a duration like 7d; accepted units: s, m, h, d, w (got ${value})`,
      ]);
    }
    expect(errorsOf(config({ extra: '  id: .inf' }))).toEqual([
      'mta-sts.config.yaml:6:7: policy.id must be 1 to 32 letters or digits (got .inf)',
    ]);
  });
});

describe('tlsrpt.rua', () => {
  it('is kept as written', () => {
    const rua = ['mailto:tlsrpt@contoso.com', 'https://reports.contoso.com/tlsrpt'];
    expect(accepted(config({ extra: `tlsrpt: {rua: [${rua.join(', ')}]}` })).config.tlsrpt).toEqual({ rua });
  });

  it('refuses characters a URI cannot hold, saying how to percent-encode them', () => {
    expect(errorsOf(config({ extra: `tlsrpt: {rua: ['mailto:a"b\\c@contoso.com']}` }))).toEqual([
      `mta-sts.config.yaml:6:16: tlsrpt.rua: reporting URI "mailto:a\\"b\\\\c@contoso.com" contains '"' (U+0022), which is not allowed in a URI (RFC 3986 §2); percent-encode it as %22 (RFC 8460 §3)`,
    ]);
    expect(errorsOf(config({ extra: 'tlsrpt: {rua: ["mailto:tlsrpt@contoso.com", "https://reports.contoso.com/{id}"]}' }))).toEqual([
      expect.stringMatching(/^mta-sts\.config\.yaml:6:45: tlsrpt\.rua: reporting URI "https:\/\/reports\.contoso\.com\/\{id\}" contains "\{" \(U\+007B\), .*percent-encode it as %7B/),
    ]);
    expect(accepted(config({ extra: 'tlsrpt: {rua: ["mailto:a%22b%5Cc@contoso.com"]}' })).config.tlsrpt).toEqual({ rua: ['mailto:a%22b%5Cc@contoso.com'] });
  });

  it('must also pass the TLS-RPT record grammar', () => {
    const d = onlyError(config({ extra: 'tlsrpt: {rua: ["https://reports.contoso.com/a!b"]}' }));
    expect([d.line, d.column, d.field, d.code]).toEqual([6, 16, 'tlsrpt.rua', 'invalid-rua-uri']);
    expect(d.message).toMatch(/^tlsrpt\.rua: reporting URI "https:\/\/reports\.contoso\.com\/a!b" contains "!"/);
  });
});

describe('site.contact', () => {
  it('is kept as written: an e-mail address or an https: URL, for the policy host\'s page', () => {
    for (const contact of ['postmaster@contoso.com', 'https://contoso.com/security']) {
      expect(accepted(config({ extra: `site: {contact: "${contact}"}` })).config.site).toEqual({ contact });
    }
    expect(accepted(config({ extra: 'site:' })).config.site).toBeUndefined();
  });

  it('refuses anything else, saying what would be right', () => {
    expect(errorsOf(config({ extra: 'site: {contact: "call us <script>"}' }))).toEqual([
      expect.stringMatching(/^mta-sts\.config\.yaml:6:17: site\.contact must be an e-mail address such as postmaster@contoso\.com or an https: URL, without spaces/),
    ]);
  });
});

describe('empty optional sections', () => {
  it('count as left out', () => {
    const text = config({ extra: '  id:\ntlsrpt:\nhosting:' });
    expect(accepted(text).config).toEqual({
      domains: ['contoso.com'],
      policy: { mode: 'testing', mx: ['*.mail.protection.outlook.com'], max_age: 604800 },
      hosting: { kind: 'static-web-app', plan: 'standard' },
    });
  });

  it('keep the default host name lower-cased', () => {
    const text = config({ extra: 'hosting: {default_hostname: Nice-Sky-0123.2.azurestaticapps.net}' });
    expect(accepted(text).config.hosting).toEqual({ kind: 'static-web-app', plan: 'standard', default_hostname: 'nice-sky-0123.2.azurestaticapps.net' });
  });

  it("takes a Function App's azurewebsites.net host only with kind function-app", () => {
    const fa = config({ extra: 'hosting: {kind: function-app, default_hostname: MTA-STS-Contoso.azurewebsites.net}' });
    expect(accepted(fa).config.hosting).toEqual({ kind: 'function-app', plan: 'standard', default_hostname: 'mta-sts-contoso.azurewebsites.net' });
    const swa = onlyError(config({ extra: 'hosting: {default_hostname: mta-sts-contoso.azurewebsites.net}' }));
    expect([swa.line, swa.column, swa.code]).toEqual([6, 29, 'default-hostname-kind']);
    expect(swa.message).toBe('hosting.default_hostname must end in .azurestaticapps.net when hosting.kind is static-web-app (got "mta-sts-contoso.azurewebsites.net")');
    const wrong = onlyError(config({ extra: 'hosting: {kind: function-app, default_hostname: nice-sky-0123.2.azurestaticapps.net}' }));
    expect(wrong.message).toBe('hosting.default_hostname must end in .azurewebsites.net when hosting.kind is function-app (got "nice-sky-0123.2.azurestaticapps.net")');
  });
});

describe('warnings', () => {
  it('enforce with max_age under one day', () => {
    const result = accepted(config({ mode: 'enforce', max_age: '1h' }));
    expect(result.config.policy.max_age).toBe(3600);
    expect(result.warnings).toEqual([
      'mta-sts.config.yaml:5:12: warning: policy.max_age is 3600 seconds, under one day, with mode enforce; senders would forget the policy quickly — use at least 1d, usually 1w or more',
    ]);
    expect(accepted(config({ mode: 'enforce', max_age: '1d' })).warnings).toEqual([]);
    expect(accepted(config({ mode: 'testing', max_age: '1h' })).warnings).toEqual([]);
  });

  it('mail.protection.outlook.com without *.', () => {
    expect(accepted(config({ mx: '["*.mail.protection.outlook.com", mail.protection.outlook.com]' })).warnings).toEqual([
      'mta-sts.config.yaml:4:41: warning: policy.mx "mail.protection.outlook.com" never matches Exchange Online MX hosts; use *.mail.protection.outlook.com',
    ]);
  });

  it('*.mx.microsoft, which misses DANE MX names', () => {
    expect(accepted(config({ mx: '["*.mail.protection.outlook.com", "*.mx.microsoft"]' })).warnings).toEqual([
      'mta-sts.config.yaml:4:41: warning: policy.mx "*.mx.microsoft" does not match Exchange Online DANE MX names like x.<zone>-v1.mx.microsoft; use *.<zone>-v1.mx.microsoft',
    ]);
    expect(accepted(config({ mx: '["*.mail.protection.outlook.com", "*.contoso-com-v1.mx.microsoft"]' })).warnings).toEqual([]);
  });

  it('a fixed policy.id, at the id: it must then be changed by hand with the policy (RFC 8461 §3.1)', () => {
    expect(accepted(config({ extra: '  id: "20260101"' })).warnings).toEqual([
      'mta-sts.config.yaml:6:7: warning: policy.id is fixed at "20260101": senders keep their cached policy until the id changes (RFC 8461 §3.1), so change policy.id by hand whenever mode, mx or max_age change; leave policy.id out and the id changes automatically',
    ]);
    expect(accepted(config()).warnings).toEqual([]);
  });

  it('are returned alongside errors too', () => {
    const result = parseConfig(config({ domains: '[contoso]', mode: 'enforce', max_age: '60' }), FILE);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((d) => d.code)).toEqual(['domain-invalid']);
    expect(result.warnings.map((d) => [d.line, d.column, d.code])).toEqual([[5, 12, 'max-age-short']]);
  });
});
