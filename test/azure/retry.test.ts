// The one retry/poll loop (src/azure/retry.ts): bounded in tries and in time, on an injected clock.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { poll, type Clock } from '../../src/azure/retry.ts';

/** Virtual time: sleep returns at once and moves the clock. */
function virtualClock(start = 1_000_000): Clock & { waits: number[] } {
  let now = start;
  const waits: number[] = [];
  return { waits, now: () => now, sleep: async (ms) => void (waits.push(ms), (now += ms)) };
}

describe('poll', () => {
  it('returns the first done try, waiting the policy\'s delay between tries', async () => {
    const clock = virtualClock();
    const r = await poll(async (n) => (n === 3 ? { done: true, value: n } : { done: false, value: n }), { attempts: 5, delayMs: (n) => 1000 * 2 ** (n - 1), clock });
    expect(r).toEqual({ done: true, value: 3, attempts: 3 });
    expect(clock.waits).toEqual([1000, 2000]);
  });

  it('stops after `attempts` tries with the last value, without a wait after the last', async () => {
    const clock = virtualClock();
    let tries = 0;
    const r = await poll(async () => ({ done: false, value: ++tries }), { attempts: 4, delayMs: 10, clock });
    expect(r).toEqual({ done: false, value: 4, attempts: 4 });
    expect(clock.waits).toEqual([10, 10, 10]);
  });

  it('never starts a wait that would end after the budget', async () => {
    const clock = virtualClock();
    const r = await poll(async () => ({ done: false, value: 'x' }), { attempts: 1000, delayMs: 10_000, budgetMs: 35_000, clock });
    expect(clock.waits).toEqual([10_000, 10_000, 10_000]);
    expect(r.attempts).toBe(4);
  });

  it('takes a try\'s own wait (Retry-After) over the policy\'s, capped by maxDelayMs', async () => {
    const clock = virtualClock();
    await poll(async (n) => (n < 3 ? { done: false, value: 0, waitMs: n === 1 ? 2000 : 999_999 } : { done: true, value: 0 }), { attempts: 5, delayMs: 1, maxDelayMs: 60_000, clock });
    expect(clock.waits).toEqual([2000, 60_000]);
  });

  it('tells onWait before each wait, with the try number and its value', async () => {
    const seen: string[] = [];
    await poll(async (n) => ({ done: n === 3, value: `v${n}` }), { attempts: 3, delayMs: 5, clock: virtualClock(), onWait: (ms, n, v) => seen.push(`${ms}/${n}/${v}`) });
    expect(seen).toEqual(['5/1/v1', '5/2/v2']);
  });

  it('lets a try\'s error through at once', async () => {
    const clock = virtualClock();
    await expect(poll(async () => { throw new Error('boom'); }, { attempts: 5, delayMs: 1, clock })).rejects.toThrow('boom');
    expect(clock.waits).toEqual([]);
  });

  it('is the only waiting loop of the azure commands: no other module there sleeps on its own', () => {
    const files = readdirSync('src/azure', { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && f.name !== 'retry.ts');
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const f = join(file.parentPath, file.name);
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/node:timers|setTimeout\(|Date\.now\(\)|round < \d/);
    }
  });
});
