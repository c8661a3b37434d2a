// Compact, assertable form of diagnostics for the tables: "code@line:column", "code@column" or "code".
import type { Diagnostic } from '../../src/rfc/diagnostic.ts';

export function fmt(ds: Diagnostic[]): string[] {
  return ds.map((d) => {
    if (d.line !== undefined) return `${d.code}@${d.line}:${d.column}`;
    if (d.column !== undefined) return `${d.code}@${d.column}`;
    return d.code;
  });
}
