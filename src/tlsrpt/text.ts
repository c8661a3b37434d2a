// Report contents are written by remote senders: before any of it reaches a terminal or a page, control
// characters (C0, DEL, C1) and bidirectional overrides, which can rewrite what a line appears to say,
// are shown as \u{…} escapes.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

export function printable(text: string): string {
  return text.replace(UNSAFE, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

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
