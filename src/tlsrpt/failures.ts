// Failure details folded per (result type, receiving MX) while a report streams in, so one report of
// 200,000 details keeps at most MAX_DISTINCT rows and a few "others" rows, not 200,000 objects.
import { RESULT_TYPES, type FailureRow } from './model.ts';

/**
 * Distinct values kept per dimension: (result type, MX) rows per report entry, and result types, MX hosts,
 * organisations and matrix cells per summary. The largest are kept exactly; the rest are folded into one
 * "others" row that says how many values it holds, so memory follows the caps, not the input.
 */
export const MAX_DISTINCT = 1000;

/** The result type of a folded row of result types that are not in RFC 8460. */
export const OTHER_RESULT_TYPES = '(other result types)';

/** Sums failed sessions per (result type, MX) as details arrive, in the order each pair was first seen. */
export class FailureFold {
  // Keyed by result type, then MX ('' when the detail named none): no key string is built per detail.
  private readonly byType = new Map<string, Map<string, FailureRow>>();
  private readonly rows: FailureRow[] = [];

  add(resultType: string, mx: string | undefined, sessions: number): void {
    let byMx = this.byType.get(resultType);
    if (!byMx) this.byType.set(resultType, byMx = new Map());
    const row = byMx.get(mx ?? '');
    if (row) {
      row.sessions += sessions;
      return;
    }
    const fresh: FailureRow = { resultType, ...(mx ? { mx } : {}), sessions };
    byMx.set(mx ?? '', fresh);
    this.rows.push(fresh);
  }

  /** The MAX_DISTINCT largest rows as they are; the rest folded per RFC result type, unknown types together. */
  rowsCapped(): FailureRow[] {
    const rows = this.rows;
    if (rows.length <= MAX_DISTINCT) return rows;
    rows.sort((a, b) => b.sessions - a.sessions || compare(a.resultType, b.resultType) || compare(a.mx ?? '', b.mx ?? ''));
    const folded = new Map<string, Required<Pick<FailureRow, 'resultType' | 'sessions' | 'others'>>>();
    for (const row of rows.slice(MAX_DISTINCT)) {
      const type = (RESULT_TYPES as readonly string[]).includes(row.resultType) ? row.resultType : OTHER_RESULT_TYPES;
      const entry = folded.get(type) ?? { resultType: type, sessions: 0, others: 0 };
      entry.sessions += row.sessions;
      entry.others++;
      folded.set(type, entry);
    }
    return [...rows.slice(0, MAX_DISTINCT), ...folded.values()];
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
