// Each address of a host in turn, as senders try them (RFC 5321 §5.1, and HTTP clients for the policy):
// the next address only when one fails. What is left of the domain's deadline is shared among the
// addresses still to try, so one black-hole address cannot use it all and starve a healthy one.
import { performance } from 'node:perf_hooks';

export interface Attempt<T> {
  address: string;
  result: T;
  /** This address's share of the deadline ran out (not the domain's deadline). */
  cutShort: boolean;
  /** The share, in ms; undefined for the last address, which had the rest of the deadline. */
  shareMs?: number;
}

/**
 * Tries `addresses` in order until `done(result)` says a result needs no further address (an attempt
 * cut short at its share never does); returns every attempt made. `deadline` is the domain's, in performance.now() time; `signal` aborts at it.
 */
export async function tryInTurn<T>(
  addresses: string[],
  signal: AbortSignal,
  deadline: number,
  attempt: (address: string, signal: AbortSignal) => Promise<T>,
  done: (result: T) => boolean,
): Promise<Attempt<T>[]> {
  const attempts: Attempt<T>[] = [];
  for (let i = 0; i < addresses.length && !signal.aborted; i++) {
    const address = addresses[i]!;
    const last = i === addresses.length - 1;
    if (last) {
      attempts.push({ address, result: await attempt(address, signal), cutShort: false });
      break;
    }
    const shareMs = Math.max(0, Math.floor((deadline - performance.now()) / (addresses.length - i)));
    const share = new AbortController();
    const timer = setTimeout(() => share.abort(), shareMs);
    let result: T;
    try {
      result = await attempt(address, AbortSignal.any([signal, share.signal]));
    } finally {
      clearTimeout(timer);
    }
    const cutShort = share.signal.aborted && !signal.aborted;
    attempts.push({ address, result, cutShort, shareMs });
    // An attempt cut short got no verdict from the server, whatever stage it reached: try the next.
    if (!cutShort && done(result)) break;
  }
  return attempts;
}

/** Errors that say this machine cannot reach an address family at all (no IPv6 route), not that the server is down. */
export function isLocalNetworkError(code: string | undefined): boolean {
  return code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT';
}
