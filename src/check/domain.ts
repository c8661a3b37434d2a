// All eight checks of one domain, run as concurrently as their dependencies allow, under one deadline.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/config.ts';
import type { Policy } from '../rfc/policy.ts';
import { checkCaa, withFinding } from './caa.ts';
import { checkConfig } from './config-check.ts';
import { checkExchange } from './exchange-check.ts';
import type { CheckIO, DomainIO } from './io.ts';
import { checkMxMatch, checkMxStarttls, lookupMx, skippedStarttls } from './mx-checks.ts';
import { checkPolicyFetch, checkPolicyParse, type FetchOutcome } from './policy-checks.ts';
import { checkStsRecord, checkTlsRpt, stsRecordState } from './record-checks.ts';
import { worst, type CheckName, type CheckResult, type DomainReport, type LiveState } from './result.ts';

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
  /**
   * With plannedPolicy: the promotion gate, called with what is live (the `_mta-sts` TXT and the policy, or
   * why either could not be read). Its result is the `evidence` check.
   */
  promotionGate?: (live: LiveState) => CheckResult;
  /** Per-domain overall deadline. */
  timeoutMs: number;
  /** How long after the deadline a check may take to wind down before it is reported as timed out. */
  graceMs?: number;
}

export async function checkDomain(domain: string, run: CheckIO, options: DomainOptions): Promise<DomainReport> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const signal = controller.signal;
  // Every lookup, connection and wait of the domain listens to this one signal: some 30 at once for a
  // domain with 10 MX hosts, more than Node's default of 10 before it suspects a leak.
  setMaxListeners(100, signal);
  const deadline = performance.now() + options.timeoutMs;
  const io: DomainIO = { resolver: run.dns.forDomain(signal), deadline, fetcher: run.fetcher, smtp: run.smtp, now: run.now };
  let late: (() => void) | undefined;
  try {
    const mx = lookupMx(domain, io, signal);
    const starttls = options.skipStarttls
      ? mx.then((m) => skippedStarttls(domain, m, options.plannedPolicy?.mode === 'enforce'))
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
    let fetchOutcome: Promise<FetchOutcome | undefined> | undefined;
    if (options.plannedPolicy) {
      pending.push(...mxChecks(Promise.resolve(options.plannedPolicy)));
      const gate = options.promotionGate;
      if (gate) {
        const record = stsRecordState(domain, io.resolver, signal);
        const policy = checkPolicyFetch(domain, io, signal, false).then((f): LiveState['policy'] => {
          const parsed = checkPolicyParse(f);
          if (parsed.policy) return { ok: true, policy: parsed.policy };
          return { ok: false, why: f.result.status === 'fail' ? f.result.message : parsed.result.message };
        }, (e: unknown): LiveState['policy'] => ({ ok: false, why: e instanceof Error ? e.message : String(e) }));
        pending.push(['evidence', Promise.all([record, policy]).then(([r, p]) => gate({ record: r, policy: p }))]);
      }
    } else {
      const sts = checkStsRecord(domain, io.resolver, signal);
      // The fetch's verdict with the CAA finding (RFC 8659) of an Azure-served host folded in: a CAA set that
      // forbids DigiCert keeps the certificate from ever being issued.
      const fetch = Promise.all([checkPolicyFetch(domain, io, signal, options.allowPendingCert), checkCaa(domain, io.resolver, signal)])
        .then(([f, caa]) => ({ ...f, result: withFinding(f.result, caa.finding, caa.evidence) }));
      fetchOutcome = fetch.catch(() => undefined);
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
    // A domain that does not exist fails every check for that one reason: say it once (issue 21).
    const mxLookup = await Promise.race([mx, backstop]);
    if (mxLookup !== 'late' && !mxLookup.ok && mxLookup.nxdomain) return domainNotFound(domain);
    // Already settled when its check finished; the backstop covers a fetch that was cut off.
    const outcome = fetchOutcome ? await Promise.race([fetchOutcome, backstop]) : undefined;
    const certPending = options.allowPendingCert && typeof outcome === 'object' && outcome.certPending === true;
    const settled = certPending ? checks.map(awaitingCertificate) : checks;
    return { domain, status: worst(settled.map((c) => c.status)), checks: settled };
  } finally {
    clearTimeout(timer);
    if (late) signal.removeEventListener('abort', late);
    controller.abort(); // releases any socket still open and cancels any lookup still in flight
  }
}

function domainNotFound(domain: string): DomainReport {
  return {
    domain,
    status: 'fail',
    checks: [{
      check: 'domain', status: 'fail', code: 'domain-not-found',
      message: `${domain} does not exist in DNS (NXDOMAIN): check its spelling, and that it is registered and its zone delegated; no other check can run`,
      evidence: { name: domain, rcode: 'NXDOMAIN' },
    }],
  };
}

// Checks that can only pass once the managed certificate is issued: the policy is not live yet, and the
// pipeline holds the TXT id back until it is (RFC 8461 §8.1).
const NEEDS_LIVE_POLICY: readonly CheckName[] = ['sts-record', 'policy-fetch', 'policy-parse', 'mx-match', 'config'];

/** With --allow-pending-cert, a first deployment waiting for its certificate warns instead of failing. */
function awaitingCertificate(check: CheckResult): CheckResult {
  if (check.status !== 'fail' || !NEEDS_LIVE_POLICY.includes(check.check)) return check;
  if (check.code === 'caa-blocks-certificate') return check; // the certificate will never come: no excuse

  return { ...check, status: 'warn', message: `${check.message} (expected while the certificate is pending)` };
}
