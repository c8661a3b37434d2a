// Many domains at once: a fixed number of slots, so open sockets and memory stay bounded however many
// domains are checked. A domain that stalls (a server that accepts and never answers) gives its slot to
// the next domain and waits out its own deadline "parked"; parked domains are capped too.
import { checkDomain, type DomainOptions } from './domain.ts';
import type { CheckIO } from './io.ts';
import type { DomainReport } from './result.ts';

export const DEFAULT_CONCURRENCY = 32;
export const DEFAULT_TIMEOUT_S = 60; // RFC 8461 §3.3 suggests senders allow one minute

export interface RunOptions extends DomainOptions {
  /** Domains checked at once, not counting parked ones. */
  concurrency: number;
  /** How long a domain may hold its slot before it is parked; default a twentieth of `timeoutMs`. */
  stallMs?: number;
  /** At most this many parked domains; when full, a stalled domain keeps its slot. Default `concurrency`. */
  maxParked?: number;
  onProgress?: (done: number, total: number, report: DomainReport) => void;
  /** Each report as it finishes, with its domain's place in `domains`. */
  onReport?: (index: number, report: DomainReport) => void;
  /** false: the reports are only handed to onReport, not kept, and the result is empty (`check --json`). */
  retain?: boolean;
  /** Called whenever a domain starts, is parked or finishes: how tests and bench:check observe the slots. */
  onSlots?: (active: number, parked: number) => void;
}

/** Checks every domain; reports come back in the order the domains were given (none with `retain: false`). */
export function runChecks(domains: string[], io: CheckIO, options: RunOptions): Promise<DomainReport[]> {
  const concurrency = Math.max(1, options.concurrency);
  // 3 s at the default 60 s deadline: several times a healthy domain's few round trips, yet a hung
  // server holds a slot for only 5% of its deadline.
  const stallMs = options.stallMs ?? options.timeoutMs / 20;
  const maxParked = options.maxParked ?? concurrency;
  const retain = options.retain ?? true;
  const reports = new Array<DomainReport>(retain ? domains.length : 0);
  let next = 0;
  let done = 0;
  let active = 0;
  let parked = 0;

  return new Promise((resolve, reject) => {
    const check = async (index: number): Promise<void> => {
      let isParked = false;
      const stall = setTimeout(() => {
        if (parked >= maxParked) return; // parked places full: it keeps its slot, so sockets stay bounded
        isParked = true;
        active--;
        parked++;
        options.onSlots?.(active, parked);
        fill();
      }, stallMs);
      let report: DomainReport;
      try {
        report = await checkDomain(domains[index]!, io, options);
      } finally {
        clearTimeout(stall);
      }
      if (isParked) parked--;
      else active--;
      options.onSlots?.(active, parked);
      if (retain) reports[index] = report;
      options.onReport?.(index, report);
      done++;
      options.onProgress?.(done, domains.length, report);
      if (done === domains.length) resolve(reports);
      else fill();
    };
    const fill = (): void => {
      while (active < concurrency && next < domains.length) {
        active++;
        options.onSlots?.(active, parked);
        check(next++).catch(reject);
      }
    };
    if (domains.length === 0) resolve(reports);
    else fill();
  });
}
