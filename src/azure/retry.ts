// The one retry/poll loop of the azure commands: bounded in tries and, optionally, in time, on a clock that tests
// replace (virtual time: a wait returns at once but moves the clock). Throttled ARM calls, bindings while Azure
// cannot see the CNAME, the service connection becoming ready, the policy going live and the CNAMEs at a DNS
// host outside Azure all wait through here.
import { setTimeout as sleep } from 'node:timers/promises';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

/** A clock from the commands' optional injected parts (tests pass both; production neither). */
export function clockOf(parts: { now?: () => number; sleep?: (ms: number) => Promise<void> }): Clock {
  return { now: parts.now ?? realClock.now, sleep: parts.sleep ?? realClock.sleep };
}

/** One try's outcome: done, or not yet (with its own wait, e.g. Retry-After, instead of the policy's). */
export type Try<T> = { done: true; value: T } | { done: false; value: T; waitMs?: number };

export interface PollOptions<T> {
  /** At most this many tries, whatever the clock says. */
  attempts: number;
  /** The wait after try `n` (1-based) when the try names none. */
  delayMs: number | ((n: number) => number);
  /** Upper bound of any one wait. */
  maxDelayMs?: number;
  /** No wait that would end later than this many ms after the first try began. */
  budgetMs?: number;
  clock?: Clock;
  /** Told before each wait: progress lines, countdowns. */
  onWait?: (ms: number, n: number, last: T) => void;
}

export interface PollResult<T> { done: boolean; value: T; attempts: number }

export async function poll<T>(attempt: (n: number) => Promise<Try<T>>, o: PollOptions<T>): Promise<PollResult<T>> {
  const clock = o.clock ?? realClock;
  const deadline = o.budgetMs === undefined ? Infinity : clock.now() + o.budgetMs;
  const attempts = Math.max(1, Math.floor(o.attempts));
  for (let n = 1; ; n++) {
    const result = await attempt(n);
    if (result.done) return { done: true, value: result.value, attempts: n };
    if (n >= attempts) return { done: false, value: result.value, attempts: n };
    let ms = result.waitMs ?? (typeof o.delayMs === 'number' ? o.delayMs : o.delayMs(n));
    ms = Math.max(0, Math.min(ms, o.maxDelayMs ?? Infinity));
    if (clock.now() + ms > deadline) return { done: false, value: result.value, attempts: n };
    o.onWait?.(ms, n, result.value);
    await clock.sleep(ms);
  }
}
