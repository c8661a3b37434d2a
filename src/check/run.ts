// Many domains at once: a fixed pool of workers, so open sockets and memory stay bounded however many
// domains are checked.
import { checkDomain, type DomainOptions } from './domain.ts';
import type { CheckIO } from './io.ts';
import type { DomainReport } from './result.ts';

export const DEFAULT_CONCURRENCY = 32;
export const DEFAULT_TIMEOUT_S = 60; // RFC 8461 §3.3 suggests senders allow one minute

export interface RunOptions extends DomainOptions {
  concurrency: number;
  onProgress?: (done: number, total: number, report: DomainReport) => void;
}

/** Checks every domain; reports come back in the order the domains were given. */
export async function runChecks(domains: string[], io: CheckIO, options: RunOptions): Promise<DomainReport[]> {
  const reports = new Array<DomainReport>(domains.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < domains.length) {
      const index = next++;
      const report = await checkDomain(domains[index]!, io, options);
      reports[index] = report;
      options.onProgress?.(++done, domains.length, report);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, domains.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return reports;
}
