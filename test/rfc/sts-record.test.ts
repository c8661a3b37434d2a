import { describe, expect, it } from 'vitest';
import { isValidPolicyId, parseStsRecord, selectStsRecord } from '../../src/rfc/sts-record.ts';
import { fmt } from './format.ts';

const ID32 = 'a'.repeat(31) + '9';

describe('parseStsRecord (RFC 8461 §3.1)', () => {
  it.each<{ name: string; text: string; id?: string; errors?: string[]; warnings?: string[]; extensions?: Record<string, string> }>([
    { name: 'RFC 8461 §3.1 example', text: 'v=STSv1; id=20160831085700Z;', id: '20160831085700Z' },
    { name: 'no trailing delimiter', text: 'v=STSv1; id=20160831085700Z', id: '20160831085700Z' },
    { name: 'no whitespace', text: 'v=STSv1;id=abc', id: 'abc' },
    { name: 'WSP before ";" (ABNF field-delim)', text: 'v=STSv1 ;\tid=abc ; ', id: 'abc' },
    { name: 'trailing delimiter with whitespace after', text: 'v=STSv1; id=abc;  ', id: 'abc' },
    { name: 'id of 32 characters', text: `v=STSv1; id=${ID32};`, id: ID32 },
    { name: 'id of 1 character', text: 'v=STSv1; id=Z', id: 'Z' },
    { name: 'id keeps its case', text: 'v=STSv1; id=AbC123', id: 'AbC123' },
    { name: 'extension before id', text: 'v=STSv1; foo=bar; id=abc', id: 'abc', warnings: ['unknown-field@10'], extensions: { foo: 'bar' } },
    { name: 'extension value with punctuation', text: 'v=STSv1; id=1; x_y.z-0=a:b<c>/~', id: '1', warnings: ['unknown-field@16'], extensions: { 'x_y.z-0': 'a:b<c>/~' } },
    { name: 'duplicate id: first wins', text: 'v=STSv1; id=first; id=second', id: 'first', warnings: ['duplicate-field@20'] },
    { name: 'case-sensitive: ID= is an extension', text: 'v=STSv1; ID=abc;', errors: ['missing-id'], warnings: ['unknown-field@10'], extensions: { ID: 'abc' } },
    { name: 'id of 33 characters', text: `v=STSv1; id=${ID32}x;`, errors: ['invalid-id@13'] },
    { name: 'id with "-"', text: 'v=STSv1; id=2016-08-31;', errors: ['invalid-id@13'] },
    { name: 'id with "+"', text: 'v=STSv1; id=abc+1;', errors: ['invalid-id@13'] },
    { name: 'id empty', text: 'v=STSv1; id=;', errors: ['invalid-id@13'] },
    { name: 'id with inner space', text: 'v=STSv1; id=abc def;', errors: ['invalid-id@13'] },
    { name: 'id non-ASCII', text: 'v=STSv1; id=abcé;', errors: ['invalid-id@13'] },
    { name: 'missing id', text: 'v=STSv1;', errors: ['missing-id'] },
    { name: 'version only', text: 'v=STSv1', errors: ['missing-id'] },
    { name: 'version not first', text: 'id=abc; v=STSv1;', errors: ['invalid-version@1'] },
    { name: 'version in lower case', text: 'v=stsv1; id=abc;', errors: ['invalid-version@1'] },
    { name: 'version STSv10', text: 'v=STSv10; id=abc;', errors: ['invalid-version@1'] },
    { name: 'leading whitespace', text: ' v=STSv1; id=abc;', errors: ['invalid-version@1'] },
    { name: 'empty record', text: '', errors: ['invalid-version@1'] },
    { name: 'fields separated by space only', text: 'v=STSv1 id=abc', errors: ['missing-semicolon@9', 'missing-id'] },
    { name: 'trailing whitespace without ";"', text: 'v=STSv1; id=abc ', errors: ['trailing-whitespace@16'] },
    { name: 'empty field (";;")', text: 'v=STSv1;; id=abc', errors: ['empty-field@9'] },
    { name: 'field without "="', text: 'v=STSv1; id', errors: ['missing-equals@10', 'missing-id'] },
    { name: 'extension value with "="', text: 'v=STSv1; id=a; foo=b=c', errors: ['invalid-extension-value@21'] },
    { name: 'extension with empty value', text: 'v=STSv1; id=a; foo=', errors: ['invalid-extension-value@20'] },
    { name: 'invalid field name', text: 'v=STSv1; id=a; _x=1', errors: ['invalid-field-name@16'] },
    { name: 'quoted record (zone-file quotes left in)', text: '"v=STSv1; id=abc;"', errors: ['invalid-version@1'] },
  ])('$name', ({ text, id, errors = [], warnings = [], extensions = {} }) => {
    const r = parseStsRecord(text);
    expect(fmt(r.errors)).toEqual(errors);
    expect(fmt(r.warnings)).toEqual(warnings);
    expect(r.ok).toBe(errors.length === 0);
    expect(r.id).toBe(errors.length === 0 ? id : undefined);
    expect(r.extensions).toEqual(extensions);
  });

  it('says the version tag is case-sensitive', () => {
    expect(parseStsRecord('V=STSv1; id=a').errors[0]!.message).toContain('case-sensitive');
  });
});

describe('isValidPolicyId (RFC 8461 §3.1: 1*32(ALPHA / DIGIT))', () => {
  it.each<[string, boolean]>([
    ['a', true],
    ['20160831085700Z', true],
    [ID32, true],
    [`${ID32}0`, false],
    ['', false],
    ['a-b', false],
    ['a+b', false],
    ['a b', false],
    ['ä', false],
  ])('%j -> %s', (id, ok) => expect(isValidPolicyId(id)).toBe(ok));
});

describe('selectStsRecord (RFC 8461 §3.1)', () => {
  it.each<{ name: string; rrset: string[][]; id?: string; errors?: string[]; warnings?: string[] }>([
    { name: 'one record', rrset: [['v=STSv1; id=abc;']], id: 'abc' },
    { name: 'strings are concatenated without separator', rrset: [['v=STSv1; i', 'd=ab', 'c;']], id: 'abc' },
    { name: 'other TXT records are discarded', rrset: [['google-site-verification=xyz'], ['v=STSv1; id=abc;']], id: 'abc' },
    { name: 'v=STSv1 not at the start is discarded', rrset: [['id=x; v=STSv1;'], ['v=STSv1; id=abc;']], id: 'abc' },
    { name: '"v=STSv1 ;" alone is discarded: the record must begin with "v=STSv1;" (prose)', rrset: [['v=STSv1 ; id=abc']], errors: ['no-sts-record'] },
    { name: 'a record not beginning with "v=STSv1;" next to a valid one is not a second record', rrset: [['v=STSv1'], ['v=STSv1 ; id=x;'], ['v=STSv1; id=abc;']], id: 'abc' },
    { name: 'v=STSv10 is not a candidate', rrset: [['v=STSv10; id=x'], ['v=STSv1; id=abc;']], id: 'abc' },
    { name: 'SPF record answering at _mta-sts warns', rrset: [['v=spf1 -all'], ['v=STSv1; id=abc;']], id: 'abc', warnings: ['spf-at-mta-sts'] },
    { name: 'empty RRset', rrset: [], errors: ['no-sts-record'] },
    { name: 'only unrelated records', rrset: [['hello']], errors: ['no-sts-record'] },
    { name: 'only SPF (wildcard TXT)', rrset: [['v=spf1 include:spf.protection.outlook.com -all']], errors: ['no-sts-record'], warnings: ['spf-at-mta-sts'] },
    { name: 'lower-case version is discarded', rrset: [['v=stsv1; id=abc;']], errors: ['no-sts-record'] },
    { name: 'two records', rrset: [['v=STSv1; id=a;'], ['v=STSv1; id=b;']], errors: ['multiple-sts-records'] },
    { name: 'two records, one invalid', rrset: [['v=STSv1; id=a;'], ['v=STSv1; id=bad-id;']], errors: ['multiple-sts-records'] },
    { name: 'one candidate with invalid syntax', rrset: [['v=STSv1; id=a-b;']], errors: ['invalid-id@13'] },
    { name: 'split in the middle of the version tag', rrset: [['v=ST', 'Sv1; id=abc']], id: 'abc' },
  ])('$name', ({ rrset, id, errors = [], warnings = [] }) => {
    const r = selectStsRecord(rrset);
    expect(fmt(r.errors)).toEqual(errors);
    expect(fmt(r.warnings)).toEqual(warnings);
    expect(r.ok).toBe(errors.length === 0);
    expect(r.id).toBe(id);
  });

  it('explains that two records mean no policy', () => {
    expect(selectStsRecord([['v=STSv1; id=a;'], ['v=STSv1; id=b;']]).errors[0]!.message).toContain('no policy');
  });

  it('points at a near-miss record', () => {
    expect(selectStsRecord([['V=STSv1; id=a;']]).errors[0]!.message).toContain('case-sensitive');
    expect(selectStsRecord([['v=STSv1 ; id=a;']]).errors[0]!.message).toContain('does not begin exactly with "v=STSv1;"');
  });
});
