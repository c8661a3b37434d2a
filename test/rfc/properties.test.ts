// Property tests for the grammar: round-trips and "no input makes a parser throw".
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/rfc/diagnostic.ts';
import { checkMxPattern, isValidDomainName, mxMatches } from '../../src/rfc/hostname.ts';
import { MAX_MAX_AGE, parsePolicy, serializePolicy, type Policy } from '../../src/rfc/policy.ts';
import { isValidPolicyId, parseStsRecord, selectStsRecord } from '../../src/rfc/sts-record.ts';
import { parseTlsRptRecord, selectTlsRptRecord } from '../../src/rfc/tlsrpt-record.ts';

const label = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,10}[A-Za-z0-9])?$/);
const tld = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,6}[A-Za-z0-9]$/);
// At least two labels, so "*." + domain is never a whole-TLD wildcard.
const domain = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), tld).map(([ls, t]) => [...ls, t].join('.'));
// Single labels are valid RFC 5321 Domains too (RFC 8461 §3.2); the parser only warns about them.
const pattern = fc.oneof(domain, domain.map((d) => `*.${d}`), { arbitrary: label, weight: 1 });
const KNOWN = ['version', 'mode', 'mx', 'max_age'];
const extName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/).filter((n) => !KNOWN.includes(n));
const extValue = fc.stringMatching(/^[\x21-\x7e](?:[\x20-\x7e]{0,30}[\x21-\x7e])?$/);
const extensions = fc
  .uniqueArray(fc.tuple(extName, extValue), { maxLength: 4, selector: ([n]) => n })
  .map((entries) => Object.fromEntries(entries) as Record<string, string>);

const policy: fc.Arbitrary<Policy> = fc
  .record({
    mode: fc.constantFrom('testing', 'enforce', 'none') as fc.Arbitrary<Policy['mode']>,
    mx: fc.array(pattern, { maxLength: 5 }),
    maxAge: fc.integer({ min: 0, max: MAX_MAX_AGE }),
    extensions,
  })
  .filter((p) => p.mode === 'none' || p.mx.length > 0)
  .map((p) => ({ version: 'STSv1' as const, ...p }));

// Text built from the characters that matter to these grammars, plus arbitrary Unicode.
const interesting = fc.constantFrom('\r', '\n', '\r\n', '\t', ' ', ':', ';', '=', ',', '*', '.', '<', '\uFEFF', 'é', '\0', '\v', '\uD800', 'v=STSv1', 'mx: ', 'id=');
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.array(fc.oneof(interesting, fc.string({ maxLength: 3 })), { maxLength: 40 }).map((parts) => parts.join('')),
);

/** Inserts, deletes or replaces characters in a valid text. */
function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.oneof(interesting, fc.constant('')));
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) =>
    edits.reduce((t, [at, del, ins]) => {
      const i = at % (t.length + 1);
      return t.slice(0, i) + ins + t.slice(i + del);
    }, text),
  );
}

const stsRecord = fc.stringMatching(/^[A-Za-z0-9]{1,32}$/).map((id) => `v=STSv1; id=${id};`);
const tlsRecord = fc.constant('v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://r.example.com/v1');

/** Every result is well-formed: ok exactly when no errors, kebab-case codes, 1-based positions. */
function expectWellFormed(r: { ok: boolean; errors: Diagnostic[]; warnings: Diagnostic[] }) {
  expect(r.ok).toBe(r.errors.length === 0);
  for (const d of [...r.errors, ...r.warnings]) {
    expect(d.code).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(d.message).not.toBe('');
    if (d.line !== undefined) expect(d.line).toBeGreaterThanOrEqual(1);
    if (d.column !== undefined) expect(d.column).toBeGreaterThanOrEqual(1);
  }
}

describe('round trips', () => {
  it('parsePolicy(serializePolicy(p)) gives back p', () => {
    fc.assert(
      fc.property(policy, (p) => {
        const r = parsePolicy(serializePolicy(p));
        expect(r.errors).toEqual([]);
        expect(r.policy).toEqual(p);
        const singleLabels = p.mx.filter((m) => !m.includes('.')).length;
        expect(r.warnings.filter((w) => w.code === 'mx-single-label')).toHaveLength(singleLabels);
        expect(r.warnings.every((w) => w.code === 'unknown-field' || w.code === 'mx-single-label')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('the same policy parses identically with LF line ends', () => {
    fc.assert(
      fc.property(policy, (p) => {
        expect(parsePolicy(serializePolicy(p).replace(/\r\n/g, '\n')).policy).toEqual(p);
      }),
    );
  });

  it('a record split into any strings selects the same id', () => {
    fc.assert(
      fc.property(stsRecord, fc.array(fc.nat(), { maxLength: 4 }), (record, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (record.length + 1)))].sort((a, b) => a - b);
        const strings = [0, ...points].map((p, i, all) => record.slice(p, all[i + 1] ?? record.length));
        const r = selectStsRecord([['v=spf1 -all'], strings]);
        expect(r.ok).toBe(true);
        expect(r.id).toBe(parseStsRecord(record).id);
        expect(isValidPolicyId(r.id!)).toBe(true);
      }),
    );
  });

  it('"*." + domain matches exactly one more label, in any case, with or without a trailing dot', () => {
    fc.assert(
      fc.property(domain, label, label, fc.boolean(), (d, l1, l2, dot) => {
        expect(checkMxPattern(`*.${d}`)).toEqual([]);
        expect(isValidDomainName(d)).toBe(true);
        expect(mxMatches(`*.${d}`, `${l1}.${d.toUpperCase()}${dot ? '.' : ''}`)).toBe(true);
        expect(mxMatches(`*.${d}`, d)).toBe(false);
        expect(mxMatches(`*.${d}`, `${l1}.${l2}.${d}`)).toBe(false);
        expect(mxMatches(d, `${l1}.${d}`)).toBe(false);
      }),
    );
  });
});

describe('no parser throws, and results are well-formed', () => {
  const inputs = fc.oneof(anyText, mutated(policy.map(serializePolicy)), mutated(stsRecord), mutated(tlsRecord));

  it('parsePolicy', () => {
    fc.assert(fc.property(inputs, (t) => expectWellFormed(parsePolicy(t))), { numRuns: 1000 });
  });

  it('parseStsRecord and selectStsRecord', () => {
    fc.assert(
      fc.property(inputs, fc.array(fc.array(inputs, { maxLength: 3 }), { maxLength: 3 }), (t, rrset) => {
        expectWellFormed(parseStsRecord(t));
        expectWellFormed(selectStsRecord(rrset));
      }),
      { numRuns: 1000 },
    );
  });

  it('parseTlsRptRecord and selectTlsRptRecord', () => {
    fc.assert(
      fc.property(inputs, fc.array(fc.array(inputs, { maxLength: 3 }), { maxLength: 3 }), (t, rrset) => {
        expectWellFormed(parseTlsRptRecord(t));
        expectWellFormed(selectTlsRptRecord(rrset));
      }),
      { numRuns: 1000 },
    );
  });

  it('hostname functions', () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        expect(typeof isValidDomainName(a)).toBe('boolean');
        expect(Array.isArray(checkMxPattern(a))).toBe(true);
        expect(typeof mxMatches(a, b)).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('inputs of the wrong type do not throw either', () => {
    for (const bad of [undefined, null, 42, {}, [[42]], [null]] as unknown as string[]) {
      expect(parsePolicy(bad).ok).toBe(false);
      expect(parseStsRecord(bad).ok).toBe(false);
      expect(parseTlsRptRecord(bad).ok).toBe(false);
      expect(selectStsRecord(bad as unknown as string[][]).ok).toBe(false);
      expect(selectTlsRptRecord(bad as unknown as string[][]).ok).toBe(false);
      expect(isValidDomainName(bad)).toBe(false);
      expect(mxMatches(bad, bad)).toBe(false);
      expect(checkMxPattern(bad)[0]!.code).toBe('invalid-mx-pattern');
    }
  });
});
