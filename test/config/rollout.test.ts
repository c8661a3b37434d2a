// The optional rollout: section: the evidence rules of `mta-sts promote`, defaults filled in.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROLLOUT, effectiveRollout } from '../../src/config/rules.ts';
import { accepted, config, errorsOf } from './helpers.ts';

describe('rollout section', () => {
  it('is left out by default and the defaults apply: 14 days, 10 days with reports, 2 organisations, 100 sessions, 7, 3', () => {
    const { config: loaded } = accepted(config());
    expect(loaded.rollout).toBeUndefined();
    expect(effectiveRollout(loaded)).toEqual({
      window_days: 14, min_report_days: 10, min_organizations: 2, min_sessions: 100, recent_days: 7, max_fetch_error_days: 3,
    });
    expect(effectiveRollout(loaded)).toBe(DEFAULT_ROLLOUT);
  });

  it('takes the keys written and fills in the rest', () => {
    const { config: loaded } = accepted(config({ extra: 'rollout:\n  window_days: 28\n  min_sessions: 5000\n  recent_days:' }));
    expect(effectiveRollout(loaded)).toEqual({ ...DEFAULT_ROLLOUT, window_days: 28, min_sessions: 5000 });
  });

  it('refuses unknown keys, non-integers and day counts beyond the window, at their position', () => {
    expect(errorsOf(config({ extra: 'rollout: {min_days: 3}' }))[0]).toMatch(/^mta-sts\.config\.yaml:6:11: unknown key "rollout.min_days"; the keys here are window_days,/);
    expect(errorsOf(config({ extra: 'rollout: {window_days: 1.5}' }))).toEqual([
      'mta-sts.config.yaml:6:24: rollout.window_days must be a whole number of days from 1 to 366, like 14 (got 1.5)',
    ]);
    expect(errorsOf(config({ extra: 'rollout: {window_days: 7, min_report_days: 10}' }))).toEqual([
      'mta-sts.config.yaml:6:44: rollout.min_report_days is 10 days but the evidence window (rollout.window_days) is only 7; make it at most 7',
    ]);
  });
});

describe('range errors from the schema of each key', () => {
  it('names the limits of the key itself, not those of max_age', () => {
    expect(errorsOf(config({ extra: 'rollout: {window_days: 400}' }))).toEqual([
      'mta-sts.config.yaml:6:24: rollout.window_days must be between 1 and 366 (got 400)',
    ]);
    expect(errorsOf(config({ extra: 'rollout: {min_organizations: 0}' }))[0]).toMatch(/rollout\.min_organizations must be between 1 and \d+ \(got 0\)$/);
  });

  it('lists at most 20 unknown keys, then says how many more', () => {
    const errors = errorsOf(config({ extra: Array.from({ length: 90 }, (_, i) => `unknown_${i}: 1`).join('\n') }));
    expect(errors.filter((e) => e.includes('unknown key "'))).toHaveLength(20);
    expect(errors.at(-1)).toMatch(/^mta-sts\.config\.yaml:\d+:1: and 70 more unknown key\(s\) from here on; fix the ones above and run again to see them$/);
  });
});
