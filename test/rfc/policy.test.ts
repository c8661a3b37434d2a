import { describe, expect, it } from 'vitest';
import { MAX_MAX_AGE, MAX_POLICY_BYTES, parsePolicy, serializePolicy, type Policy } from '../../src/rfc/policy.ts';
import { fmt } from './format.ts';

const V = 'version: STSv1';
const E = 'mode: enforce';
const X = 'mx: mail.example.com';
const A = 'max_age: 604800';
const crlf = (...lines: string[]) => lines.map((l) => `${l}\r\n`).join('');
const lf = (...lines: string[]) => lines.map((l) => `${l}\n`).join('');

// RFC 8461 §3.2 example policy.
const RFC_EXAMPLE = lf('version: STSv1', 'mode: enforce', 'mx: mail.example.com', 'mx: *.example.net', 'mx: backupmx.example.com', 'max_age: 604800');
const RFC_MX = ['mail.example.com', '*.example.net', 'backupmx.example.com'];

interface Row {
  name: string;
  text: string;
  errors?: string[];
  warnings?: string[];
  policy?: Partial<Policy>;
}

const rows: Row[] = [
  // Valid bodies (RFC 8461 §3.2)
  { name: 'RFC 8461 §3.2 example, LF', text: RFC_EXAMPLE, policy: { mode: 'enforce', mx: RFC_MX, maxAge: 604800, extensions: {} } },
  { name: 'RFC example with CRLF', text: RFC_EXAMPLE.replace(/\n/g, '\r\n'), policy: { mx: RFC_MX } },
  { name: 'CRLF, as serializePolicy writes it', text: crlf(V, 'mode: testing', X, A), policy: { mode: 'testing', mx: ['mail.example.com'], maxAge: 604800 } },
  { name: 'no final line terminator', text: `${V}\n${E}\n${X}\n${A}`, policy: { maxAge: 604800 } },
  { name: 'no final CRLF', text: `${V}\r\n${E}\r\n${X}\r\n${A}`, policy: { maxAge: 604800 } },
  { name: 'mixed LF and CRLF terminators', text: `${V}\r\n${E}\n${X}\r\n${A}\n`, policy: { mode: 'enforce' } },
  { name: 'field order is free', text: lf(A, X, E, V), policy: { mode: 'enforce', mx: ['mail.example.com'] } },
  { name: 'mode testing', text: lf(V, 'mode: testing', X, A), policy: { mode: 'testing' } },
  { name: 'mode none needs no mx', text: lf(V, 'mode: none', A), policy: { mode: 'none', mx: [] } },
  { name: 'mode none may list mx', text: lf(V, 'mode: none', X, A), policy: { mode: 'none', mx: ['mail.example.com'] } },
  { name: 'max_age 0 is allowed', text: lf(V, E, X, 'max_age: 0'), policy: { maxAge: 0 } },
  { name: `max_age ${MAX_MAX_AGE} is the maximum`, text: lf(V, E, X, `max_age: ${MAX_MAX_AGE}`), policy: { maxAge: MAX_MAX_AGE } },
  { name: 'max_age with 10 digits and leading zeros', text: lf(V, E, X, 'max_age: 0000086400'), policy: { maxAge: 86400 } },
  { name: 'no space after colon', text: lf('version:STSv1', 'mode:enforce', 'mx:mail.example.com', 'max_age:86400'), policy: { maxAge: 86400 } },
  { name: 'several spaces and a tab after colon', text: lf(V, E, X, 'max_age: \t  86400'), policy: { maxAge: 86400 } },
  { name: 'trailing WSP after values', text: lf('version: STSv1 ', 'mode: enforce\t', 'mx: mail.example.com  ', 'max_age: 86400 \t'), policy: { mode: 'enforce', mx: ['mail.example.com'], maxAge: 86400 } },
  { name: 'mx keeps its case', text: lf(V, E, 'mx: MAIL.Example.COM', A), policy: { mx: ['MAIL.Example.COM'] } },
  { name: 'single-label mx (an RFC 5321 Domain) only warns', text: lf(V, E, 'mx: localhost', A), warnings: ['mx-single-label@3:5'], policy: { mx: ['localhost'] } },
  { name: 'single-label mx among good ones', text: lf(V, E, X, 'mx:  mx1', A), warnings: ['mx-single-label@4:6'], policy: { mx: ['mail.example.com', 'mx1'] } },
  { name: 'Exchange Online pattern', text: lf(V, E, 'mx: *.mail.protection.outlook.com', A), policy: { mx: ['*.mail.protection.outlook.com'] } },
  { name: 'unknown field is ignored with a warning', text: lf(V, E, X, A, 'foo: bar baz'), warnings: ['unknown-field@5:1'], policy: { extensions: { foo: 'bar baz' } } },
  { name: 'extension name of 32 characters', text: lf(V, E, X, A, `${'a'.repeat(32)}: v`), warnings: ['unknown-field@5:1'], policy: { extensions: { ['a'.repeat(32)]: 'v' } } },
  { name: 'extension name with _ - .', text: lf(V, E, X, A, '9x_y-z.w: v'), warnings: ['unknown-field@5:1'], policy: { extensions: { '9x_y-z.w': 'v' } } },
  { name: 'duplicate mode: first wins', text: lf(V, 'mode: testing', X, 'mode: enforce', A), warnings: ['duplicate-field@4:1'], policy: { mode: 'testing' } },
  { name: 'duplicate max_age: first wins', text: lf(V, E, X, 'max_age: 86400', 'max_age: 604800'), warnings: ['duplicate-field@5:1'], policy: { maxAge: 86400 } },
  { name: 'duplicate version is ignored even if invalid', text: lf(V, E, X, A, 'version: STSv2'), warnings: ['duplicate-field@5:1'], policy: { version: 'STSv1' } },
  { name: 'duplicate extension: first wins', text: lf(V, E, X, A, 'foo: 1', 'foo: 2'), warnings: ['unknown-field@5:1', 'duplicate-field@6:1'], policy: { extensions: { foo: '1' } } },
  { name: 'case-sensitive key: Mode is an unknown field', text: lf(V, E, X, A, 'Mode: none'), warnings: ['unknown-field@5:1'], policy: { mode: 'enforce', extensions: { Mode: 'none' } } },
  { name: 'UTF-8 extension value (allowed by the ABNF) warns', text: lf(V, E, X, A, 'note: café'), warnings: ['unknown-field@5:1', 'non-ascii@5:10'], policy: { extensions: { note: 'café' } } },

  // Required fields
  { name: 'missing version', text: lf(E, X, A), errors: ['missing-version'] },
  { name: 'missing mode', text: lf(V, X, A), errors: ['missing-mode'] },
  { name: 'missing max_age', text: lf(V, E, X), errors: ['missing-max-age'] },
  { name: 'enforce without mx', text: lf(V, E, A), errors: ['missing-mx'] },
  { name: 'testing without mx', text: lf(V, 'mode: testing', A), errors: ['missing-mx'] },
  { name: 'Version (wrong case) is not version', text: lf('Version: STSv1', E, X, A), errors: ['missing-version'], warnings: ['unknown-field@1:1'] },
  { name: 'MAX_AGE (wrong case) is not max_age', text: lf(V, E, X, 'MAX_AGE: 86400'), errors: ['missing-max-age'], warnings: ['unknown-field@4:1'] },

  // Values (RFC 8461 §3.2, case-sensitive)
  { name: 'version STSv2', text: lf('version: STSv2', E, X, A), errors: ['invalid-version@1:10'] },
  { name: 'version stsv1 (case)', text: lf('version: stsv1', E, X, A), errors: ['invalid-version@1:10'] },
  { name: 'version empty', text: lf('version:', E, X, A), errors: ['invalid-version@1:9'] },
  { name: 'mode Enforce (case)', text: lf(V, 'mode: Enforce', X, A), errors: ['invalid-mode@2:7'] },
  { name: 'mode enforced', text: lf(V, 'mode: enforced', X, A), errors: ['invalid-mode@2:7'] },
  { name: 'mode with inner text', text: lf(V, 'mode: enforce now', X, A), errors: ['invalid-mode@2:7'] },
  { name: 'max_age 31557601', text: lf(V, E, X, 'max_age: 31557601'), errors: ['max-age-out-of-range@4:10'] },
  { name: 'max_age 9999999999 (10 digits, too big)', text: lf(V, E, X, 'max_age: 9999999999'), errors: ['max-age-out-of-range@4:10'] },
  { name: 'max_age with 11 digits', text: lf(V, E, X, 'max_age: 00000086400'), errors: ['invalid-max-age@4:10'] },
  { name: 'max_age +1', text: lf(V, E, X, 'max_age: +1'), errors: ['invalid-max-age@4:10'] },
  { name: 'max_age -1', text: lf(V, E, X, 'max_age: -1'), errors: ['invalid-max-age@4:10'] },
  { name: 'max_age 1.5', text: lf(V, E, X, 'max_age: 1.5'), errors: ['invalid-max-age@4:10'] },
  { name: 'max_age 1e6', text: lf(V, E, X, 'max_age: 1e6'), errors: ['invalid-max-age@4:10'] },
  { name: 'max_age with unit', text: lf(V, E, X, 'max_age: 7d'), errors: ['invalid-max-age@4:10'] },
  { name: 'max_age with inner space', text: lf(V, E, X, 'max_age: 86 400'), errors: ['invalid-max-age@4:10'] },
  { name: 'max_age empty', text: lf(V, E, X, 'max_age:'), errors: ['invalid-max-age@4:9'] },
  { name: 'mx with leading dot (draft syntax)', text: lf(V, E, 'mx: .example.com', A), errors: ['mx-leading-dot@3:5'] },
  { name: 'mx with partial-label wildcard', text: lf(V, E, 'mx: mail*.example.com', A), errors: ['invalid-mx-wildcard@3:5'] },
  { name: 'mx with inner wildcard', text: lf(V, E, 'mx: a.*.example.com', A), errors: ['invalid-mx-wildcard@3:5'] },
  { name: 'mx IPv4 literal', text: lf(V, E, 'mx: [192.0.2.1]', A), errors: ['mx-ip-literal@3:5'] },
  { name: 'mx TLD wildcard', text: lf(V, E, 'mx: *.com', A), errors: ['wildcard-too-broad@3:5'] },
  { name: 'mx with trailing dot', text: lf(V, E, 'mx: mail.example.com.', A), errors: ['invalid-mx-pattern@3:5'] },
  { name: 'invalid single label is still an error', text: lf(V, E, 'mx: mx_1', A), errors: ['invalid-mx-pattern@3:5'] },
  { name: 'mx empty', text: lf(V, E, 'mx:', A), errors: ['invalid-mx-pattern@3:4'] },
  { name: 'bad mx in mode none is still an error', text: lf(V, 'mode: none', 'mx: -bad.example.com', A), errors: ['invalid-mx-pattern@3:5'] },
  { name: 'one bad mx among good ones', text: lf(V, E, X, 'mx: bad_host.example.com', A), errors: ['invalid-mx-pattern@4:5'] },
  { name: 'extension with empty value', text: lf(V, E, X, A, 'foo:'), errors: ['empty-value@5:5'] },
  { name: 'extension value with inner TAB', text: lf(V, E, X, A, 'foo: a\tb'), errors: ['invalid-extension-value@5:7'] },

  // Field syntax
  { name: 'whitespace before colon', text: lf(V, 'mode : enforce', X, A), errors: ['whitespace-before-colon@2:5'] },
  { name: 'tab before colon', text: lf(V, E, X, 'max_age\t: 86400'), errors: ['whitespace-before-colon@4:8'] },
  { name: 'line starts with whitespace', text: lf(V, ' mode: enforce', X, A), errors: ['invalid-field-name@2:1'] },
  { name: 'line without colon', text: lf(V, 'mode enforce', X, A), errors: ['missing-colon@2:1'] },
  { name: 'field name of 33 characters', text: lf(V, E, X, A, `${'a'.repeat(33)}: v`), errors: ['invalid-field-name@5:1'] },
  { name: 'field name starting with _', text: lf(V, E, X, A, '_x: v'), errors: ['invalid-field-name@5:1'] },
  { name: 'empty field name', text: lf(V, E, X, A, ': v'), errors: ['invalid-field-name@5:1'] },
  { name: 'empty line between fields', text: `${V}\n\n${E}\n${X}\n${A}\n`, errors: ['empty-line@2:1'] },
  { name: 'two final line terminators', text: `${lf(V, E, X, A)}\n`, errors: ['empty-line@5:1'] },
  { name: 'whitespace-only line', text: lf(V, '  ', E, X, A), errors: ['empty-line@2:1'] },
  { name: 'bare CR is not a line terminator', text: `${V}\r${E}\n${X}\n${A}\n`, errors: ['control-character@1:15', 'missing-mode'] },
  { name: 'CR inside a line', text: lf(V, E, 'mx: mail.exa\rmple.com', A), errors: ['control-character@3:13'] },
  { name: 'VT as separator', text: `${V}\n${E}\v${X}\n${A}\n`, errors: ['control-character@2:14'] },
  { name: 'NUL byte', text: lf(V, E, X, 'max_age: 86400\0'), errors: ['control-character@4:15'] },
  { name: 'non-ASCII in a known value', text: lf(V, 'mode: enforcé', X, A), errors: ['non-ascii@2:13'] },
  { name: 'U-label mx must be an A-label', text: lf(V, E, 'mx: mäil.example.com', A), errors: ['non-ascii@3:6'] },
  { name: 'non-ASCII field name', text: lf(V, E, X, A, 'nöte: x'), errors: ['invalid-field-name@5:1'] },

  // Whole-body checks
  { name: 'BOM before a valid policy', text: `\uFEFF${lf(V, E, X, A)}`, errors: ['bom@1:1'] },
  { name: 'BOM shifts columns on line 1', text: `\uFEFFversion: STSv2\n${E}\n${X}\n${A}\n`, errors: ['bom@1:1', 'invalid-version@1:11'] },
  { name: 'HTML doctype', text: '<!DOCTYPE html>\n<html><body>Not found</body></html>\n', errors: ['policy-is-html@1:1'] },
  { name: 'HTML after whitespace', text: '  \r\n\t<html lang="en">', errors: ['policy-is-html@2:2'] },
  { name: 'empty body', text: '', errors: ['empty-policy@1:1'] },
  { name: 'only a line terminator', text: '\r\n', errors: ['empty-policy@1:1'] },
];

describe('parsePolicy (RFC 8461 §3.2)', () => {
  it.each(rows)('$name', ({ text, errors = [], warnings = [], policy }) => {
    const r = parsePolicy(text);
    expect(fmt(r.errors)).toEqual(errors);
    expect(fmt(r.warnings)).toEqual(warnings);
    expect(r.ok).toBe(errors.length === 0);
    if (errors.length === 0) expect(r.policy).toMatchObject({ version: 'STSv1', ...policy });
    else expect(r.policy).toBeUndefined();
    for (const d of [...r.errors, ...r.warnings]) expect(d.message.length).toBeGreaterThan(10);
  });

  it.each([
    ['at the limit', MAX_POLICY_BYTES, true],
    ['one byte over', MAX_POLICY_BYTES + 1, false],
  ])('a body %s (%i bytes)', (_label, size, ok) => {
    const head = lf(V, E, X, A, 'pad: ');
    const text = head.slice(0, -1) + 'x'.repeat(size - head.length) + '\n';
    expect(new TextEncoder().encode(text).length).toBe(size);
    const r = parsePolicy(text);
    expect(r.ok).toBe(ok);
    expect(fmt(r.errors)).toEqual(ok ? [] : ['policy-too-large']);
  });

  it('counts the size in UTF-8 bytes, not characters', () => {
    const head = lf(V, E, X, A, 'pad: ');
    const text = head.slice(0, -1) + 'é'.repeat((MAX_POLICY_BYTES - head.length) / 2 + 1);
    expect(fmt(parsePolicy(text).errors)).toEqual(['policy-too-large']);
  });

  it('messages say what would be right', () => {
    expect(parsePolicy(lf(V, E, 'mx: .example.com', A)).errors[0]!.message).toContain('"*.example.com"');
    expect(parsePolicy(lf(V, 'mode: enforced', X, A)).errors[0]!.message).toContain('testing, enforce, none');
    expect(parsePolicy(lf(V, 'mode: testing', X, 'mode: enforce', A)).warnings[0]!.message).toContain('line 2');
    expect(parsePolicy(lf(V, E, X, 'Max_age: 1', A)).warnings[0]!.message).toContain('did you mean "max_age"');
    expect(parsePolicy(`${V}\r${E}\n`).errors[0]!.message).toContain('LF or CRLF');
    expect(parsePolicy(lf(V, E, X, 'max_age: 31557601')).errors[0]!.message).toContain('31557600');
    expect(parsePolicy(lf(V, E, 'mx: localhost', A)).warnings[0]!.message).toContain('cannot be reached over the Internet');
  });

  it('never throws on non-string input', () => {
    expect(parsePolicy(undefined as unknown as string).ok).toBe(false);
  });
});

describe('serializePolicy (RFC 8461 §3.2)', () => {
  it('writes the fixed order with CRLF after every line, including the last', () => {
    const p: Policy = { version: 'STSv1', mode: 'enforce', mx: RFC_MX, maxAge: 604800, extensions: { foo: 'bar baz' } };
    expect(serializePolicy(p)).toBe(
      'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\nfoo: bar baz\r\n',
    );
  });

  it('writes mode none without mx lines', () => {
    expect(serializePolicy({ version: 'STSv1', mode: 'none', mx: [], maxAge: 86400, extensions: {} })).toBe('version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n');
  });

  it.each<[string, Policy]>([
    ['an invalid mx pattern', { version: 'STSv1', mode: 'enforce', mx: ['.example.com'], maxAge: 1, extensions: {} }],
    ['enforce without mx', { version: 'STSv1', mode: 'enforce', mx: [], maxAge: 1, extensions: {} }],
    ['max_age out of range', { version: 'STSv1', mode: 'none', mx: [], maxAge: MAX_MAX_AGE + 1, extensions: {} }],
    ['a fractional max_age', { version: 'STSv1', mode: 'none', mx: [], maxAge: 1.5, extensions: {} }],
    ['an extension named like a known field', { version: 'STSv1', mode: 'none', mx: [], maxAge: 1, extensions: { mode: 'enforce' } }],
    ['a line break smuggled into an extension', { version: 'STSv1', mode: 'none', mx: [], maxAge: 1, extensions: { a: 'x\r\nmode: enforce' } }],
  ])('refuses a Policy object with %s (a programmer error)', (_label, p) => {
    expect(() => serializePolicy(p)).toThrow(/invalid Policy/);
  });
});
