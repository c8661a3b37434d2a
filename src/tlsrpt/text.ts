// Report contents are written by remote senders: everything shown passes through printable first.

/** `0.5%`, with one decimal under 10%. */
export function percent(rate: number): string {
  const p = rate * 100;
  return `${p === 0 || p >= 10 ? Math.round(p) : p.toFixed(1)}%`;
}
