import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/rfc/diagnostic.ts';

const d = { code: 'invalid-mode', message: 'mode must be one of testing, enforce, none', line: 2, column: 7 };

describe('formatDiagnostic, the one renderer', () => {
  it('points into a file as FILE:LINE:COL', () => {
    expect(formatDiagnostic(d, { file: 'p.txt' })).toBe('p.txt:2:7: mode must be one of testing, enforce, none');
    expect(formatDiagnostic({ ...d, column: undefined }, { file: 'p.txt' })).toBe('p.txt:2: mode must be one of testing, enforce, none');
    expect(formatDiagnostic({ code: 'x', message: 'm' }, { file: 'p.txt' })).toBe('p.txt: m');
  });

  it('points into a record or body as line L:C or col C without a file', () => {
    expect(formatDiagnostic(d)).toBe('line 2:7: mode must be one of testing, enforce, none');
    expect(formatDiagnostic({ code: 'x', message: 'm', column: 9 })).toBe('col 9: m');
    expect(formatDiagnostic({ code: 'x', message: 'm' })).toBe('m');
  });

  it('labels warnings always, errors and codes on request', () => {
    expect(formatDiagnostic(d, { file: 'p', severity: 'warning' })).toBe('p:2:7: warning: mode must be one of testing, enforce, none');
    expect(formatDiagnostic(d, { file: 'p', labelErrors: true, withCode: true })).toBe('p:2:7: error: mode must be one of testing, enforce, none [invalid-mode]');
  });
});
