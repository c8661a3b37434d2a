// policy.max_age may be written as a duration so admins need not count seconds.

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as const;
const DURATION = /^([0-9]+)([smhdw])$/;

/** Seconds in a duration such as `7d` or `2w` (units s, m, h, d, w); undefined when `text` is not one. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}
