// DNS lookups for the checks: CNAME following, and DNS failures turned into findings an admin can act on.
import type { Resolver } from './io.ts';
import type { Finding } from './result.ts';

/** RFC 1034 §3.6.2 chains are short in practice; a bound stops CNAME loops. */
const MAX_CNAME_HOPS = 8;

export type Lookup<T> = { ok: true; value: T } | {
  ok: false;
  /** NXDOMAIN or NODATA: the record does not exist. */
  missing: boolean;
  /** NXDOMAIN: the name itself does not exist (RFC 8020: nor anything below it). */
  nxdomain?: boolean;
  finding: Finding;
};

/** Races a lookup against the domain's deadline, so a silent DNS server cannot hold a check. */
export async function lookup<T>(name: string, signal: AbortSignal, run: () => Promise<T>, what: string): Promise<Lookup<T>> {
  try {
    const value = await new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(Object.assign(new Error('deadline'), { code: 'EDEADLINE' }));
      const onAbort = (): void => reject(Object.assign(new Error('deadline'), { code: 'EDEADLINE' }));
      signal.addEventListener('abort', onAbort, { once: true });
      run().then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
    return { ok: true, value };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    return { ok: false, missing: code === 'ENODATA' || code === 'ENOTFOUND', ...(code === 'ENOTFOUND' ? { nxdomain: true } : {}), finding: dnsFinding(code, name, what) };
  }
}

/**
 * One lookup outside a domain check (the azure commands), with "the name has no such record" (NXDOMAIN,
 * NODATA: the record is to be created) kept apart from "the lookup failed" (SERVFAIL, timeout, refused: the
 * record may well exist, nobody can tell). The failure keeps the resolver's error as its `cause`.
 */
export type DnsAnswer<T> =
  | { kind: 'answer'; value: T }
  | { kind: 'none' }
  | { kind: 'failed'; code: string; message: string; cause: unknown };

export async function askDns<T>(name: string, what: string, run: () => Promise<T>): Promise<DnsAnswer<T>> {
  try {
    return { kind: 'answer', value: await run() };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    if (code === 'ENODATA' || code === 'ENOTFOUND') return { kind: 'none' };
    return { kind: 'failed', code, message: dnsFinding(code, name, what).message, cause: e };
  }
}

function dnsFinding(code: string, name: string, what: string): Finding {
  switch (code) {
    case 'ENODATA':
    case 'ENOTFOUND':
      return { status: 'fail', code: 'dns-no-record', message: `no ${what} record at ${name}` };
    case 'ESERVFAIL':
      return { status: 'fail', code: 'dns-servfail', message: `DNS server failure (SERVFAIL) looking up ${what} at ${name}; check the zone and its DNSSEC` };
    case 'ETIMEOUT':
    case 'EDEADLINE':
      return { status: 'fail', code: 'dns-timeout', message: `DNS lookup of ${what} at ${name} timed out` };
    case 'EREFUSED':
      return { status: 'fail', code: 'dns-refused', message: `DNS server refused the ${what} query for ${name}` };
    default:
      return { status: 'fail', code: 'dns-error', message: `DNS lookup of ${what} at ${name} failed (${code})` };
  }
}

/**
 * TXT at `name`, following CNAMEs (RFC 8461 §8.2 lets `_mta-sts` be delegated that way). A recursive
 * server usually returns the chain and the TXT in one answer; when it only returns the CNAME, follow it.
 */
export async function resolveTxtFollowingCnames(
  resolver: Resolver,
  name: string,
  signal: AbortSignal,
): Promise<{ chain: string[]; result: Lookup<string[][]> }> {
  const chain: string[] = [name];
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const current = chain[chain.length - 1]!;
    const txt = await lookup(current, signal, () => resolver.resolveTxt(current), 'TXT');
    // An answer holding only a CNAME comes back as an empty TXT list: follow the CNAME then.
    if (txt.ok ? txt.value.length > 0 : !txt.missing) return { chain, result: txt };
    const cname = await lookup(current, signal, () => resolver.resolveCname(current), 'CNAME');
    // A CNAME lookup that failed (SERVFAIL, timeout) leaves the TXT unknown, not missing.
    if (!cname.ok && !cname.missing) return { chain, result: cname };
    const target = cname.ok ? cname.value[0]?.replace(/\.$/, '').toLowerCase() : undefined;
    if (!target) {
      return { chain, result: { ok: false, missing: true, finding: { status: 'fail', code: 'dns-no-record', message: `no TXT record at ${name}` } } };
    }
    if (chain.includes(target)) {
      // A loop is a broken zone, not a missing record: senders get SERVFAIL or nothing, and the fix is the CNAME.
      const loop = [...chain, target].join(' → ');
      return { chain, result: { ok: false, missing: false, finding: { status: 'fail', code: 'dns-cname-loop', message: `CNAME loop: ${loop}; point ${chain[chain.length - 1]} at a name holding the TXT record` } } };
    }
    chain.push(target);
  }
  return { chain, result: { ok: false, missing: false, finding: { status: 'fail', code: 'dns-cname-loop', message: `more than ${MAX_CNAME_HOPS} CNAMEs from ${name}` } } };
}

/**
 * AAAA and A of a host, every address, each family in the order the resolver returned it, IPv6 first as
 * RFC 6724's default policy and senders order them; a failure only when neither family has an address.
 */
export async function resolveAddresses(resolver: Resolver, host: string, signal: AbortSignal): Promise<Lookup<string[]>> {
  const [v6, v4] = await Promise.all([
    lookup(host, signal, () => resolver.resolve6(host), 'AAAA'),
    lookup(host, signal, () => resolver.resolve4(host), 'A'),
  ]);
  const addresses = [...(v6.ok ? v6.value : []), ...(v4.ok ? v4.value : [])];
  if (addresses.length > 0) return { ok: true, value: addresses };
  const failed = [v6, v4].find((r) => !r.ok && !r.missing);
  if (failed && !failed.ok) return failed;
  return { ok: false, missing: true, finding: { status: 'fail', code: 'dns-no-address', message: `${host} has no A or AAAA record` } };
}
