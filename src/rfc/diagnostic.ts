// One shape for every finding, so the CLI, the checker and the config loader can print them alike.
export interface Diagnostic {
  /** Stable kebab-case identifier, e.g. `missing-version`; safe to match on. */
  code: string;
  /** Says what is wrong and what would be right. */
  message: string;
  /** 1-based line, when the finding belongs to one. */
  line?: number;
  /** 1-based column (UTF-16 code units), when known. */
  column?: number;
}

/** Renders a character for a message so invisible ones (CR, TAB, NBSP) are visible. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const names: Record<number, string> = { 0x09: 'TAB', 0x0b: 'VT', 0x0c: 'FF', 0x0d: 'CR', 0x00: 'NUL', 0x7f: 'DEL' };
  if (names[cp]) return `${names[cp]} (${hex})`;
  if (cp < 0x20 || cp > 0x7e) return hex;
  return ch === '"' ? `'"' (${hex})` : `"${ch}" (${hex})`;
}

export interface DiagnosticFormat {
  /** The file it belongs to: the position then reads `FILE:LINE:COL`. Without it, `line L:C` or `col C`. */
  file?: string;
  severity?: 'error' | 'warning';
  /** Write `error: ` before errors too (warnings always get `warning: `). */
  labelErrors?: boolean;
  /** Append ` [code]`. */
  withCode?: boolean;
}

/** The one way a diagnostic is printed, by the config loader, `lint` and the checker alike. */
export function formatDiagnostic(d: Diagnostic, format: DiagnosticFormat = {}): string {
  const { file, severity = 'error' } = format;
  const at = file !== undefined
    ? `${[file, d.line, d.column].filter((x) => x !== undefined).join(':')}: `
    : d.line !== undefined
      ? `line ${d.line}${d.column !== undefined ? `:${d.column}` : ''}: `
      : d.column !== undefined ? `col ${d.column}: ` : '';
  const label = severity === 'warning' ? 'warning: ' : format.labelErrors ? 'error: ' : '';
  return `${at}${label}${d.message}${format.withCode ? ` [${d.code}]` : ''}`;
}
