// Text that came from elsewhere (remote servers, TLS-RPT senders, Azure's error messages, file names) must not
// steer the terminal or the page it is shown on: C0 controls (TAB, LF and CR too, since one finding is one line
// and a CR could overwrite a row), DEL, the C1 controls (U+009B is a CSI) and the bidirectional overrides and
// isolates that reorder what is shown. Every printer of such text goes through here.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** The same without C0, which JSON.stringify already escapes inside strings. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The unsafe characters shown as escapes: `\x1b` below U+0100, `\u{202e}` above. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** JSON with the controls JSON.stringify leaves raw (DEL, C1, bidi) written as \u escapes: same value, no raw controls. */
export function printableJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Escapes for HTML text and attribute values, after `printable`: the pages show remote text as text, never markup. */
export function html(text: string | number): string {
  return printable(String(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
