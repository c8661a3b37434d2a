// All eight checks of one domain, run as concurrently as their dependencies allow, under one deadline.
import type { Config } from '../config/config.ts';
import type { Policy } from '../rfc/policy.ts';
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
  /** Leave out the port-25 probe (check 5), for networks that block outbound SMTP; reported as a warning. */
  skipStarttls?: boolean;
  /**
   * Judge the live MX hosts against this policy (the one about to be deployed) instead of the live one.
   * Only checks 4, 5 and 8 run: it answers "would this policy bounce mail?" before it is published.
   */
  plannedPolicy?: Policy;
  /** Per-domain overall deadline. */
  timeoutMs: number;
  /** How long after the deadline a check may take to wind down before it is reported as timed out. */
  graceMs?: number;
}

const STARTTLS_SKIPPED: CheckResult = {
  check: 'mx-starttls',
  status: 'warn',
  code: 'mx-starttls-skipped',
  message: 'STARTTLS on the MX hosts was not checked (--skip-starttls); check port 25 from a machine that can reach it',
};

export async function checkDomain(domain: string, io: CheckIO, options: DomainOptions): Promise<DomainReport> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const signal = controller.signal;
  let late: (() => void) | undefined;
  try {
    const mx = lookupMx(domain, io, signal);
    const starttls = options.skipStarttls
      ? Promise.resolve({ result: STARTTLS_SKIPPED, failing: [] })
      : mx.then((m) => checkMxStarttls(domain, m, io, signal));
    const mxChecks = (policy: Promise<Policy | undefined>): [CheckName, Promise<CheckResult>][] => {
      const match = Promise.all([mx, policy]).then(([m, p]) => checkMxMatch(domain, m, p));
      const exchange = Promise.all([policy, mx, match, starttls]).then(([p, m, a, s]) =>
        checkExchange(domain, p, m, { unmatched: a.unmatched, failing: s.failing }),
      );
      return [
        ['mx-match', match.then((m) => m.result)],
        ['mx-starttls', starttls.then((s) => s.result)],
        ['exchange', exchange],
      ];
    };

    const pending: [CheckName, Promise<CheckResult>][] = [];
    if (options.plannedPolicy) {
      pending.push(...mxChecks(Promise.resolve(options.plannedPolicy)));
    } else {
      const sts = checkStsRecord(domain, io.resolver, signal);
      const fetch = checkPolicyFetch(domain, io, signal, options.allowPendingCert);
      const parse = fetch.then(checkPolicyParse);
      const [match, starttlsResult, exchange] = mxChecks(parse.then((p) => p.policy));
      pending.push(
        ['sts-record', sts.then((s) => s.result)],
        ['policy-fetch', fetch.then((f) => f.result)],
        ['policy-parse', parse.then((p) => p.result)],
        match,
        starttlsResult,
        ['tlsrpt', checkTlsRpt(domain, io.resolver, signal)],
      );
      const config = options.config;
      if (config) pending.push(['config', Promise.all([fetch, sts]).then(([f, s]) => checkConfig(domain, config, f.body, s.id))]);
      pending.push(exchange);
    }

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
