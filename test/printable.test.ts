import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable, printableJson } from '../src/printable.ts';

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('printable, the one guard for text from elsewhere', () => {
  it('shows C0, DEL, C1 and bidi controls as escapes and leaves the rest alone', () => {
    expect(printable('ok\r\x1b[2J\x7f\x9b\u202eevil')).toBe('ok\\x0d\\x1b[2J\\x7f\\x9b\\u{202e}evil');
    expect(printable('bücher.de — fine')).toBe('bücher.de — fine');
  });

  it('never lets an unsafe character through, whatever the input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => !UNSAFE.test(printable(s))));
  });

  it('keeps JSON values exact while writing no raw control', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      const text = printableJson({ s });
      return !UNSAFE.test(text) && JSON.parse(text).s === s;
    }));
  });
});
