// RFC 8659 §4: which CAA sets let DigiCert (Azure's managed certificates) issue for a non-wildcard name.
import { describe, expect, it } from 'vitest';
import { caaAllows, relevantCaa, type CaaRecord } from '../../src/check/caa.ts';

const rec = (tag: string, value: string, critical = 0): CaaRecord => ({ critical, [tag]: value });

describe('caaAllows (RFC 8659 §4.2)', () => {
  it.each<[string, CaaRecord[], boolean]>([
    ['no records', [], true],
    ['issue digicert.com', [rec('issue', 'digicert.com')], true],
    ['issue with parameters, any case, trailing dot', [rec('issue', ' DigiCert.com. ; cansignhttpexchanges=yes')], true],
    ['digicert among others', [rec('issue', 'letsencrypt.org'), rec('issue', 'digicert.com')], true],
    ['only iodef', [rec('iodef', 'mailto:security@contoso.com')], true],
    ['only issuewild (applies to wildcard names only)', [rec('issuewild', 'letsencrypt.org')], true],
    ['a critical tag a CA knows', [rec('issue', 'digicert.com', 128)], true],
    ['node:dns\'s `type` key beside the tag', [{ critical: 0, type: 'CAA', issue: 'digicert.com' }], true],
    ['another CA only', [rec('issue', 'letsencrypt.org')], false],
    ['issue ";" (no CA at all)', [rec('issue', ';')], false],
    ['a critical tag no CA understands', [rec('issue', 'digicert.com'), rec('tbs', 'x', 128)], false],
  ])('%s', (_name, records, allowed) => {
    expect(caaAllows(records, 'digicert.com').allowed).toBe(allowed);
  });

  it('says why it forbids', () => {
    expect(caaAllows([rec('issue', 'letsencrypt.org'), rec('issue', 'letsencrypt.org'), rec('issue', 'sectigo.com')], 'digicert.com')).toEqual({ allowed: false, why: 'it allows only letsencrypt.org, sectigo.com' });
    expect(caaAllows([rec('issue', ';')], 'digicert.com')).toEqual({ allowed: false, why: 'it forbids every CA (issue ";")' });
  });
});

describe('relevantCaa (RFC 8659 §3)', () => {
  const resolverOf = (sets: Record<string, CaaRecord[] | 'servfail'>, asked: string[]) => ({
    resolveCaa: async (name: string) => {
      asked.push(name);
      const set = sets[name];
      if (set === 'servfail') throw Object.assign(new Error('servfail'), { code: 'ESERVFAIL' });
      if (!set) throw Object.assign(new Error('nxdomain'), { code: 'ENOTFOUND' });
      return set as never;
    },
  });

  it('climbs label by label to the first non-empty set', async () => {
    const asked: string[] = [];
    const r = await relevantCaa(resolverOf({ 'contoso.com': [rec('issue', 'digicert.com')], 'eu.contoso.com': [] }, asked), 'mta-sts.eu.contoso.com.', AbortSignal.timeout(1000));
    expect(r).toEqual({ ok: true, at: 'contoso.com', records: [rec('issue', 'digicert.com')] });
    expect(asked).toEqual(['mta-sts.eu.contoso.com', 'eu.contoso.com', 'contoso.com']);
  });

  it('finds no set up to the root: unrestricted', async () => {
    const asked: string[] = [];
    expect(await relevantCaa(resolverOf({}, asked), 'mta-sts.contoso.com', AbortSignal.timeout(1000))).toEqual({ ok: true, records: [] });
    expect(asked).toEqual(['mta-sts.contoso.com', 'contoso.com', 'com']);
  });

  it('a failed lookup stops the climb with a warning: a CA that cannot read CAA does not issue', async () => {
    const r = await relevantCaa(resolverOf({ 'contoso.com': 'servfail' }, []), 'mta-sts.contoso.com', AbortSignal.timeout(1000));
    expect(r).toMatchObject({ ok: false, finding: { status: 'warn', code: 'caa-lookup-failed' } });
  });
});
