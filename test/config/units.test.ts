import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationSeconds } from '../../src/config/duration.ts';
import { editDistance, nearest } from '../../src/config/nearest.ts';

describe('durationSeconds', () => {
  it('converts each unit', () => {
    expect([durationSeconds('30s'), durationSeconds('5m'), durationSeconds('2h'), durationSeconds('7d'), durationSeconds('2w')]).toEqual([
      30, 300, 7200, 604800, 1209600,
    ]);
    expect(durationSeconds('0d')).toBe(0);
  });

  it('returns undefined for anything else', () => {
    for (const text of ['7', 'd', '7D', '1.5d', '-1d', ' 7d', '7d ', '7dd', '']) expect(durationSeconds(text), text).toBeUndefined();
  });

  it('is the number times the unit', () => {
    fc.assert(fc.property(fc.nat(10_000), (n) => durationSeconds(`${n}w`) === n * 7 * durationSeconds('1d')!));
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('policy', 'policy')).toBe(0);
    expect(editDistance('polcy', 'policy')).toBe(1);
    expect(editDistance('mdoe', 'mode')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('is symmetric and bounded by the longer length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = editDistance(a, b);
        return d === editDistance(b, a) && d <= Math.max(a.length, b.length) && (d === 0) === (a === b);
      }),
    );
  });
});

describe('nearest', () => {
  const keys = ['domains', 'policy', 'tlsrpt', 'hosting'];
  it('suggests plausible typos only', () => {
    expect(nearest('domain', keys)).toBe('domains');
    expect(nearest('Policy', keys)).toBe('policy');
    expect(nearest('tls_rpt', keys)).toBe('tlsrpt');
    expect(nearest('reporting', keys)).toBeUndefined();
    expect(nearest('x', [])).toBeUndefined();
  });
});
