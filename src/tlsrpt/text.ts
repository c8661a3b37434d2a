// Report contents are written by remote senders: everything shown passes through printable first.
import { printable } from '../printable.ts';

/** Escapes for HTML text and attribute values, after `printable`. */
export function html(text: string | number): string {
  return printable(String(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `0.5%`, with one decimal under 10%. */
export function percent(rate: number): string {
  const p = rate * 100;
  return `${p === 0 || p >= 10 ? Math.round(p) : p.toFixed(1)}%`;
}
