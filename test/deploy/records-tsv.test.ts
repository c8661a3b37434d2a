// scripts/records-tsv.ts: the JSON the domain script reads, validated before any Azure call.
import { describe, expect, it } from 'vitest';
import { recordRows, txtValues } from '../../scripts/records-tsv.ts';

const good = { domain: 'contoso.com', name: '_mta-sts.contoso.com', type: 'TXT', ttl: 3600, value: 'v=STSv1; id=a1;' };

describe('recordRows', () => {
  it('turns DnsRecord[] into rows in order', () => {
    const cname = { domain: 'contoso.com', name: 'mta-sts.contoso.com', type: 'CNAME', ttl: 300, value: 'x.azurestaticapps.net' };
    expect(recordRows([good, cname])).toEqual([
      ['contoso.com', '_mta-sts.contoso.com', 'TXT', 3600, 'v=STSv1; id=a1;'],
      ['contoso.com', 'mta-sts.contoso.com', 'CNAME', 300, 'x.azurestaticapps.net'],
    ]);
  });

  it.each([
    [{ records: true }, 'expected a JSON array of DNS records'],
    [[null], 'record 1 is not an object'],
    [[good, { ...good, name: '' }], 'record 2: "name" must be a non-empty string'],
    [[{ ...good, domain: 7 }], 'record 1: "domain" must be a non-empty string'],
    [[{ ...good, value: 'a\tb' }], 'record 1: "value" contains a tab or line break'],
    [[{ ...good, value: 'a\nb' }], 'record 1: "value" contains a tab or line break'],
    [[{ ...good, type: 'MX' }], 'record 1: "type" must be TXT or CNAME'],
    [[{ ...good, ttl: '3600' }], 'record 1: "ttl" must be a whole number of seconds'],
    [[{ ...good, ttl: -1 }], 'record 1: "ttl" must be a whole number of seconds'],
  ])('rejects %j', (json, message) => {
    expect(() => recordRows(json)).toThrow(message);
  });
});

describe('txtValues', () => {
  it('joins each record\'s strings, for both spellings az has used', () => {
    expect(txtValues({ TXTRecords: [{ value: ['v=STSv1; ', 'id=a1;'] }, { value: ['x'] }] })).toEqual(['v=STSv1; id=a1;', 'x']);
    expect(txtValues({ txtRecords: [{ value: ['v=TLSRPTv1; rua=mailto:a@b.c'] }] })).toEqual(['v=TLSRPTv1; rua=mailto:a@b.c']);
    expect(txtValues({ name: '_mta-sts' })).toEqual([]);
  });

  it('rejects a TXTRecords that is not an array', () => {
    expect(() => txtValues({ TXTRecords: 'v=STSv1' })).toThrow('TXTRecords is not an array');
  });
});
