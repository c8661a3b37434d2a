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

/** Sums failed sessions per (result type, MX) as details arrive; rows come out in the order each pair was first seen. */
export class FailureFold {
  // Sessions per result type, then MX ('' when the detail named none): a number per pair, no object, no key
  // string built per detail (a hostile report has 200,000 pairs, all held until its end).
  private readonly byType = new Map<string, Map<string, number>>();
  // The order pairs were first seen, kept only while it shows (past MAX_DISTINCT pairs the rows are sorted).
  private readonly order: [string, string][] = [];
  private pairs = 0;

  add(resultType: string, mx: string | undefined, sessions: number): void {
    let byMx = this.byType.get(resultType);
    if (!byMx) this.byType.set(resultType, byMx = new Map());
    const key = mx ?? '';
    const sum = byMx.get(key);
    if (sum !== undefined) {
      byMx.set(key, sum + sessions);
      return;
    }
    byMx.set(key, sessions);
    if (++this.pairs <= MAX_DISTINCT) this.order.push([resultType, key]);
  }

  /** The MAX_DISTINCT largest rows as they are; the rest folded per RFC result type, unknown types together. */
  rowsCapped(): FailureRow[] {
    const row = (resultType: string, mx: string, sessions: number): FailureRow => ({ resultType, ...(mx ? { mx } : {}), sessions });
    if (this.pairs <= MAX_DISTINCT) return this.order.map(([type, mx]) => row(type, mx, this.byType.get(type)!.get(mx)!));
    const rows: FailureRow[] = [];
    for (const [type, byMx] of this.byType) for (const [mx, sessions] of byMx) rows.push(row(type, mx, sessions));
    rows.sort((a, b) => b.sessions - a.sessions || compare(a.resultType, b.resultType) || compare(a.mx ?? '', b.mx ?? ''));
    const folded = new Map<string, Required<Pick<FailureRow, 'resultType' | 'sessions' | 'others'>>>();
    for (let i = MAX_DISTINCT; i < rows.length; i++) {
      const r = rows[i]!;
      const type = (RESULT_TYPES as readonly string[]).includes(r.resultType) ? r.resultType : OTHER_RESULT_TYPES;
      const entry = folded.get(type) ?? { resultType: type, sessions: 0, others: 0 };
      entry.sessions += r.sessions;
      entry.others++;
      folded.set(type, entry);
    }
    rows.length = MAX_DISTINCT;
    return [...rows, ...folded.values()];
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
