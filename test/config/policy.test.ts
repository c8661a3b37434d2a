import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/rfc/policy.ts';
import { effectiveId, policyId, policyText } from '../../src/config/policy.ts';
import { dnsRecords, policyRecords, txtHolds, zoneFileLines } from '../../src/site/records.ts';
import { defaultConfig } from '../site/fixtures.ts';

describe('policyText', () => {
  it('renders the exact RFC 8461 §3.2 bytes: fixed field order, CRLF after every line', () => {
    expect(policyText(defaultConfig())).toBe(
      'version: STSv1\r\nmode: testing\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n',
    );
  });

  it('writes one mx line per pattern, in config order', () => {
    const text = policyText(defaultConfig({ mode: 'enforce', mx: ['*.mail.protection.outlook.com', '*.contoso-com.h-v1.mx.microsoft'] }));
    expect(text.split('\r\n').filter((l) => l.startsWith('mx: '))).toEqual([
      'mx: *.mail.protection.outlook.com',
      'mx: *.contoso-com.h-v1.mx.microsoft',
    ]);
    expect(parsePolicy(text)).toMatchObject({ ok: true, policy: { mode: 'enforce', maxAge: 604800 } });
  });

  it('is pure ASCII with no BOM', () => {
    const bytes = Buffer.from(policyText(defaultConfig()), 'utf8');
    expect(bytes.every((b) => b < 0x80)).toBe(true);
    expect(bytes[0]).toBe('v'.charCodeAt(0));
  });
});

describe('policy id', () => {
  it('is 1-32 letters or digits (RFC 8461 §3.1) and the same for the same config', () => {
    const id = effectiveId(defaultConfig());
    expect(id).toMatch(/^[A-Za-z0-9]{1,32}$/);
    expect(effectiveId(defaultConfig())).toBe(id);
    expect(id).toBe(policyId(policyText(defaultConfig())));
  });

  it.each([
    ['mode', { mode: 'enforce' as const }],
    ['mx', { mx: ['*.mail.protection.outlook.com', 'backup.contoso.com'] }],
    ['max_age', { max_age: 604801 }],
  ])('changes when %s changes', (_field, change) => {
    expect(effectiveId(defaultConfig(change))).not.toBe(effectiveId(defaultConfig()));
  });

  it('does not depend on the domain list, which is not part of the policy', () => {
    const more = { ...defaultConfig(), domains: ['contoso.com', 'fabrikam.com'] };
    expect(effectiveId(more)).toBe(effectiveId(defaultConfig()));
  });

  it('uses policy.id from the config when given', () => {
    expect(effectiveId(defaultConfig({ id: '20261128T1' }))).toBe('20261128T1');
  });
});

describe('dnsRecords', () => {
  it('never leaves out the CNAME: without hosting.default_hostname it is a named placeholder that says how to fill it', () => {
    const id = effectiveId(defaultConfig());
    expect(dnsRecords(defaultConfig())).toEqual([
      { domain: 'contoso.com', name: '_mta-sts.contoso.com', type: 'TXT', ttl: 3600, value: `v=STSv1; id=${id};` },
      { domain: 'contoso.com', name: 'mta-sts.contoso.com', type: 'CNAME', ttl: 3600, value: '<default_hostname>', placeholder: expect.stringContaining('set it as hosting.default_hostname') },
    ]);
    expect(zoneFileLines(dnsRecords(defaultConfig())).split('\n')[1]).toMatch(/^mta-sts\.contoso\.com\. 3600 IN CNAME <default_hostname> ; not known yet: the Static Web App's default host name \(az staticwebapp show/);
  });

  it('for a Function App: the CNAME to the app and the asuid TXT of its verification id, placeholders until known', () => {
    const config = { ...defaultConfig(), hosting: { kind: 'function-app' as const, plan: 'standard' as const, app: 'func-mta-sts', resource_group: 'rg-mail', default_hostname: 'func-mta-sts.azurewebsites.net' } };
    const records = dnsRecords(config);
    expect(records.map((r) => `${r.type} ${r.name} ${r.value}`)).toEqual([
      expect.stringMatching(/^TXT _mta-sts\.contoso\.com v=STSv1/),
      'CNAME mta-sts.contoso.com func-mta-sts.azurewebsites.net',
      'TXT asuid.mta-sts.contoso.com <customDomainVerificationId>',
    ]);
    expect(records[2]!.placeholder).toContain('az functionapp show -n func-mta-sts -g rg-mail --query customDomainVerificationId -o tsv');
    expect(dnsRecords(config, { verificationId: 'ABC123' })[2]).toEqual({ domain: 'contoso.com', name: 'asuid.mta-sts.contoso.com', type: 'TXT', ttl: 3600, value: 'ABC123' });
  });

  it('adds the CNAME when the app host name is known and TLS-RPT when rua is set, per domain', () => {
    const config = {
      ...defaultConfig(),
      domains: ['contoso.com', 'fabrikam.com'],
      tlsrpt: { rua: ['mailto:tlsrpt@contoso.com', 'https://reports.contoso.com/tlsrpt'] },
      hosting: { kind: 'static-web-app' as const, plan: 'standard' as const, default_hostname: 'happy-rock-0a1b2c3d4.azurestaticapps.net' },
    };
    const records = dnsRecords(config);
    expect(records.map((r) => `${r.type} ${r.name}`)).toEqual([
      'TXT _mta-sts.contoso.com',
      'CNAME mta-sts.contoso.com',
      'TXT _smtp._tls.contoso.com',
      'TXT _mta-sts.fabrikam.com',
      'CNAME mta-sts.fabrikam.com',
      'TXT _smtp._tls.fabrikam.com',
    ]);
    expect(records[1].value).toBe('happy-rock-0a1b2c3d4.azurestaticapps.net');
    expect(records[2].value).toBe('v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com,https://reports.contoso.com/tlsrpt');
    expect(zoneFileLines(records.slice(0, 2))).toBe(
      `_mta-sts.contoso.com. 3600 IN TXT "${records[0].value}"\n` +
        'mta-sts.contoso.com. 3600 IN CNAME happy-rock-0a1b2c3d4.azurestaticapps.net.',
    );
  });

  it('splits TXT values over 255 bytes into several strings in zone-file output (RFC 1035 §3.3.14)', () => {
    const rua = Array.from({ length: 12 }, (_, i) => `mailto:tls-reports-${i}@reports.contoso.com`);
    const tlsrpt = dnsRecords({ ...defaultConfig(), tlsrpt: { rua } }).find((r) => r.name.startsWith('_smtp._tls.'))!;
    const line = zoneFileLines([tlsrpt]);
    const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    expect(strings.length).toBeGreaterThan(1);
    expect(strings.every((s) => s.length <= 255)).toBe(true);
    expect(strings.join('')).toBe(tlsrpt.value);
  });
});

describe('zoneFileLines quoting (RFC 1035 §5.1)', () => {
  const txt = (value: string) => zoneFileLines([{ domain: 'contoso.com', name: '_smtp._tls.contoso.com', type: 'TXT', ttl: 3600, value }]);
  // Reads the quoted character-strings back the way a zone-file parser does: \X is X, \DDD is one byte.
  const strings = (line: string): Buffer[] =>
    [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
      Buffer.from(
        m[1]!.match(/\\[0-9]{3}|\\.|[^\\]/g)!.map((t) => (/^\\[0-9]{3}$/.test(t) ? Number(t.slice(1)) : t.at(-1)!.charCodeAt(0))),
      ),
    );

  it('escapes " and \\ inside TXT strings', () => {
    const value = 'v=TLSRPTv1; rua=mailto:a"b\\c@contoso.com';
    expect(txt(value)).toBe('_smtp._tls.contoso.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:a\\"b\\\\c@contoso.com"');
    expect(strings(txt(value)).map(String)).toEqual([value]);
  });

  it('writes bytes that are not printable ASCII as \\DDD', () => {
    expect(txt('a\né')).toBe('_smtp._tls.contoso.com. 3600 IN TXT "a\\010\\195\\169"');
  });

  it('splits at 255 bytes of the value itself, not of its escaped form', () => {
    const value = `v=TLSRPTv1; rua=${'"\\'.repeat(150)}`;
    const parts = strings(txt(value));
    expect(parts.map((p) => p.length)).toEqual([255, value.length - 255]);
    expect(Buffer.concat(parts).toString()).toBe(value);
  });

  it('keeps an empty value as one empty string', () => {
    expect(txt('')).toBe('_smtp._tls.contoso.com. 3600 IN TXT ""');
  });
});

describe('txtHolds: a TXT value read from DNS is the record as published', () => {
  const config = { ...defaultConfig(), tlsrpt: { rua: ['mailto:tlsrpt@contoso.com'] } };
  const [sts, rpt] = policyRecords(config);
  it('spacing aside, and _mta-sts with or without its final semicolon (RFC 8461 §3.1)', () => {
    expect(txtHolds(sts!, sts!.value)).toBe(true);
    expect(txtHolds(sts!, `  ${sts!.value.replace('; ', ';   ').replace(/;$/, '')} `)).toBe(true);
    expect(txtHolds(rpt!, ` ${rpt!.value}`)).toBe(true);
  });
  it('another id, or a semicolon a TLS-RPT record does not have, is not it', () => {
    expect(txtHolds(sts!, sts!.value.replace(/id=\w+/, 'id=other'))).toBe(false);
    expect(txtHolds(rpt!, `${rpt!.value};`)).toBe(false);
  });
});
