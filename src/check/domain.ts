// All eight checks of one domain, run as concurrently as their dependencies allow, under one deadline.
import type { Config } from '../config/config.ts';
import { checkConfig } from './config-check.ts';
import { checkExchange } from './exchange-check.ts';
import type { CheckIO } from './io.ts';
import { checkMxMatch, checkMxStarttls, lookupMx } from './mx-checks.ts';
import { checkPolicyFetch, checkPolicyParse } from './policy-checks.ts';
import { checkStsRecord, checkTlsRpt } from './record-checks.ts';
import { worst, type CheckName, type CheckResult, type DomainReport } from './result.ts';

export interface DomainOptions {
  config?: Config;
  allowPendingCert: boolean;
  /** Per-domain overall deadline. */
  timeoutMs: number;
  /** How long after the deadline a check may take to wind down before it is reported as timed out. */
  graceMs?: number;
}

export async function checkDomain(domain: string, io: CheckIO, options: DomainOptions): Promise<DomainReport> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const signal = controller.signal;
  let late: (() => void) | undefined;
  try {
    const sts = checkStsRecord(domain, io.resolver, signal);
    const tlsrpt = checkTlsRpt(domain, io.resolver, signal);
    const mx = lookupMx(domain, io, signal);
    const fetch = checkPolicyFetch(domain, io, signal, options.allowPendingCert);
    const parse = fetch.then(checkPolicyParse);
    const match = Promise.all([mx, parse]).then(([m, p]) => checkMxMatch(domain, m, p.policy));
    const starttls = mx.then((m) => checkMxStarttls(domain, m, io, signal));
    const exchange = Promise.all([parse, mx, match, starttls]).then(([p, m, a, s]) =>
      checkExchange(domain, p.policy, m, { unmatched: a.unmatched, failing: s.failing }),
    );
    const config = options.config;
    const pending: [CheckName, Promise<CheckResult>][] = [
      ['sts-record', sts.then((s) => s.result)],
      ['policy-fetch', fetch.then((f) => f.result)],
      ['policy-parse', parse.then((p) => p.result)],
      ['mx-match', match.then((m) => m.result)],
      ['mx-starttls', starttls.then((s) => s.result)],
      ['tlsrpt', tlsrpt],
    ];
    if (config) pending.push(['config', Promise.all([fetch, sts]).then(([f, s]) => checkConfig(domain, config, f.body, s.id))]);
    pending.push(['exchange', exchange]);

    // Every I/O step honours `signal`; this bound is the backstop that makes a hang impossible.
    const backstop = new Promise<'late'>((resolve) => {
      late = (): void => void setTimeout(() => resolve('late'), options.graceMs ?? 1000).unref();
      signal.addEventListener('abort', late, { once: true });
    });
    const checks = await Promise.all(
      pending.map(async ([check, promise]): Promise<CheckResult> => {
        try {
          const result = await Promise.race([promise, backstop]);
          if (result !== 'late') return result;
          return { check, status: 'fail', code: 'check-timeout', message: `did not finish within the ${options.timeoutMs / 1000} s per-domain deadline` };
        } catch (e) {
          return { check, status: 'fail', code: 'check-error', message: `the check failed unexpectedly: ${e instanceof Error ? e.message : String(e)}` };
        }
      }),
    );
    return { domain, status: worst(checks.map((c) => c.status)), checks };
  } finally {
    clearTimeout(timer);
    if (late) signal.removeEventListener('abort', late);
    controller.abort(); // releases any socket still open
  }
}
