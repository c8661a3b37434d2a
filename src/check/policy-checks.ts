// Check 2, fetching https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461 §3.3), and check 3, parsing
// what came back (RFC 8461 §3.2).
import { performance } from 'node:perf_hooks';
import { formatDiagnostic } from '../rfc/diagnostic.ts';
import { parsePolicy, policyUrl, MAX_POLICY_BYTES, POLICY_PATH, type Policy } from '../rfc/policy.ts';
import { certificateProblem } from './certificate.ts';
import { resolveAddresses } from './dns.ts';
import { isLocalNetworkError, tryInTurn, type Attempt } from './attempts.ts';
import type { DomainIO, FetchError, FetchResult, TlsInfo } from './io.ts';
import { combine, type CheckResult, type Finding } from './result.ts';

/** What the fetch produced for the later checks: the body only when a sender would have read one. */
export interface FetchOutcome {
  result: CheckResult;
  body?: Buffer;
  contentType?: string;
  /** The host still has no managed certificate: the policy, and so the TXT id, cannot be live yet. */
  certPending?: boolean;
  /** The host's addresses could not be looked up: 'missing' (NXDOMAIN/NODATA) or 'failed' (SERVFAIL, timeout). */
  hostLookup?: 'missing' | 'failed';
}

// RFC 9110 §15.4: the redirecting 3xx codes. 304 Not Modified (and 300, 305, 306) redirect nowhere.
const REDIRECTS = [301, 302, 303, 307, 308];

/**
 * What the fetch needs of a domain's I/O (the azure commands reuse it without an SMTP probe). Without a
 * `deadline` (the azure commands only pass a signal), the addresses share DEFAULT_FETCH_BUDGET_MS.
 */
export type PolicyFetchIO = Pick<DomainIO, 'resolver' | 'fetcher'> & { deadline?: number };
const DEFAULT_FETCH_BUDGET_MS = 20_000;

/**
 * Azure answers for a custom domain with the platform's default certificate until the host's managed one is
 * issued and bound: Static Web Apps with *.azurestaticapps.net, App Service (a Function App) with *.azurewebsites.net.
 */
const AZURE_DEFAULT_CERTS = ['*.azurestaticapps.net', '*.azurewebsites.net'];

export async function checkPolicyFetch(domain: string, io: PolicyFetchIO, signal: AbortSignal, allowPendingCert: boolean): Promise<FetchOutcome> {
  const host = `mta-sts.${domain}`;
  const evidence: Record<string, unknown> = { url: policyUrl(host, io.fetcher.port) };
  const addresses = await resolveAddresses(io.resolver, host, signal);
  if (!addresses.ok) {
    const f = addresses.finding;
    const hint = addresses.missing ? `; point mta-sts.${domain} at the app that serves the policy with a CNAME (mta-sts records prints it)` : '';
    return {
      result: combine('policy-fetch', [{ ...f, code: 'policy-host-unresolved', message: `${f.message}${hint}` }], evidence),
      hostLookup: addresses.missing ? 'missing' : 'failed',
    };
  }
  evidence.addresses = addresses.value;
  const list = addresses.value.slice(0, MAX_ADDRESS_ATTEMPTS);
  // Like an HTTP client, the next address only when this one cannot be reached.
  const deadline = io.deadline ?? performance.now() + DEFAULT_FETCH_BUDGET_MS;
  const attempts = await tryInTurn(list, signal, deadline, (address, s) => io.fetcher.fetch({ host, address, signal: s }), (r) => !unreachable(r));
  const final = attempts[attempts.length - 1] ?? { address: list[0]!, result: deadlinePassed(), cutShort: false };
  const { address, result: fetched } = final;
  if (attempts.length > 1) evidence.attempts = attempts.map((a) => ({ address: a.address, ...(a.result.error ? { error: attemptError(a) } : {}) }));
  Object.assign(evidence, fetchEvidence(fetched));

  const findings: Finding[] = [];
  const failedBefore = attempts.slice(0, -1);
  if (!unreachable(fetched)) {
    // Reached at last: the addresses before it cost senders time, or the policy when they try only one.
    for (const a of failedBefore.filter((a) => !isLocalNetworkError(a.result.error?.code))) {
      findings.push({
        status: 'warn',
        code: 'policy-address-unreachable',
        message: `${host} (${a.address}): ${attemptError(a).message}; it answered at ${address}, but senders that try ${a.address} first wait or give up — fix or remove that address`,
      });
    }
  }
  const pending = (why: string): Finding => ({
    status: allowPendingCert ? 'warn' : 'fail',
    code: 'policy-cert-pending',
    message:
      `certificate not issued yet for ${host}: ${why}; Azure issues the managed certificate minutes to hours after the custom domain is added` +
      (allowPendingCert ? '' : ' (pass --allow-pending-cert to report this as a warning)'),
  });

  if (fetched.tls) {
    const problem = certificateProblem(fetched.tls, host);
    const platform = AZURE_DEFAULT_CERTS.find((name) => fetched.tls!.certificate?.dnsNames.includes(name));
    if (problem?.code === 'wrong-host' && platform) {
      findings.push(pending(`the server still presents the default ${platform} certificate`));
    } else if (problem) {
      findings.push({ status: 'fail', code: `policy-cert-${problem.code}`, message: `${host}: ${problem.message}` });
    }
  }

  const error = fetched.error;
  if (error) {
    const where = `${host} (${address})`;
    if (error.stage === 'connect' && attempts.length > 1) {
      const each = attempts.map((a) => `${a.address}: ${attemptError(a).code}`).join('; ');
      findings.push({ status: 'fail', code: 'policy-connect-failed', message: `cannot reach ${host} at any of its addresses (${each})` });
    } else if (error.stage === 'connect') {
      findings.push({ status: 'fail', code: 'policy-connect-failed', message: `cannot connect to ${where}: ${error.code}` });
    } else if (error.stage === 'tls' && /unrecognized.name/i.test(error.message)) {
      findings.push(pending('the TLS handshake fails on the name'));
    } else if (error.stage === 'tls' && /protocol version|unsupported protocol|wrong version number/i.test(error.message)) {
      findings.push({ status: 'fail', code: 'policy-tls-version', message: `${where} does not offer TLS 1.2 or newer (${error.message}); RFC 8461 §3.3 requires it` });
    } else if (error.stage === 'tls') {
      findings.push({ status: 'fail', code: 'policy-tls-failed', message: `TLS handshake with ${where} failed: ${error.message}` });
    } else if (error.stage === 'timeout') {
      const got = fetched.status !== undefined ? ` (HTTP ${fetched.status}, ${fetched.body?.length ?? 0} bytes received so far)` : '';
      const others = failedBefore.length > 0 ? ` (and before it: ${failedBefore.map((a) => `${a.address}: ${attemptError(a).message}`).join('; ')})` : '';
      findings.push({ status: 'fail', code: 'policy-timeout', message: `${where}: ${error.message}${got}${others}; senders give up after about a minute` });
    } else {
      const code = error.code === 'HPE_HEADER_OVERFLOW' ? 'policy-headers-too-large' : 'policy-response-failed';
      findings.push({ status: 'fail', code, message: `${where}: the TLS handshake succeeded, then the HTTP response failed: ${error.message}` });
    }
  }

  const status = fetched.status;
  const contentType = headerValue(fetched.headers?.['content-type']);
  if (status !== undefined && !error) {
    if (REDIRECTS.includes(status)) {
      const location = headerValue(fetched.headers?.location) ?? '(no Location header)';
      findings.push({
        status: 'fail',
        code: 'policy-redirect',
        message: `HTTP ${status} redirect to ${location}; senders never follow redirects for the policy (RFC 8461 §3.3), so they see no policy — serve the file itself at ${POLICY_PATH}`,
      });
    } else if (status !== 200) {
      findings.push({ status: 'fail', code: 'policy-http-status', message: `HTTP ${status} for ${POLICY_PATH}; only 200 is a valid answer (RFC 8461 §3.3)` });
    } else if (mediaType(contentType) !== 'text/plain') {
      findings.push({ status: 'fail', code: 'policy-content-type', message: `Content-Type is ${contentType ? `"${contentType}"` : 'missing'}; the policy must be served as text/plain (RFC 8461 §3.2)` });
    }
    if (fetched.truncated) {
      findings.push({ status: 'fail', code: 'policy-too-large', message: `the body is larger than ${MAX_POLICY_BYTES / 1024} KiB; reading stopped there (RFC 8461 §3.3)` });
    }
    // Senders ignore cookies, but a policy host needs none; App Service's ARR affinity adds one unless turned off.
    const cookies = fetched.headers?.['set-cookie'] ?? [];
    if (status === 200 && cookies.length > 0) {
      const names = [...new Set(cookies.map((c) => c.split('=')[0]!.trim().slice(0, 64)))].join(', ');
      findings.push({
        status: 'warn', code: 'policy-sets-cookie',
        message: `${host} sets a cookie with the policy (${names}); a policy host needs none. On a Function App, turn off ARR affinity: az functionapp update --name <app> --resource-group <group> --set clientAffinityEnabled=false`,
      });
    }
  }

  if (findings.length === 0) {
    const cert = fetched.tls?.certificate;
    findings.push({
      status: 'pass',
      code: 'policy-fetch-ok',
      message: `200 ${contentType}, ${fetched.body?.length ?? 0} bytes in ${fetched.elapsedMs} ms over ${fetched.tls?.protocol}, certificate valid until ${cert?.validTo.slice(0, 10)}`,
    });
  }
  const readable = status === 200 && !error && !fetched.truncated;
  const certPending = findings.some((f) => f.code === 'policy-cert-pending');
  return { result: combine('policy-fetch', findings, evidence), body: readable ? fetched.body : undefined, contentType, certPending };
}

/** More addresses than this are not tried: a zone cannot make one check open unbounded connections. */
const MAX_ADDRESS_ATTEMPTS = 10;

/** Nothing answered at this address: no connection, or no response before its time ran out. */
function unreachable(r: FetchResult): boolean {
  return r.error !== undefined && (r.error.stage === 'connect' || (r.error.stage === 'timeout' && !r.tls && r.status === undefined));
}

function deadlinePassed(): FetchResult {
  return { elapsedMs: 0, error: { stage: 'timeout', code: 'timeout', message: 'the check deadline passed' } };
}

/** An attempt's error, saying so when it was this address's share of the deadline that ran out. */
function attemptError(a: Attempt<FetchResult>): FetchError {
  const error = a.result.error ?? { stage: 'response', code: 'none', message: 'no error' };
  if (!a.cutShort) return error;
  return { ...error, message: `no answer within ${(a.shareMs ?? 0) / 1000} s, its share of the deadline` };
}

function fetchEvidence(fetched: FetchResult): Record<string, unknown> {
  const headers = fetched.headers ?? {};
  const pick = ['content-type', 'content-length', 'location', 'cache-control', 'strict-transport-security'];
  return {
    elapsedMs: fetched.elapsedMs,
    ...(fetched.status !== undefined ? { status: fetched.status } : {}),
    ...(fetched.headers ? { headers: Object.fromEntries(pick.filter((h) => headers[h] !== undefined).map((h) => [h, headers[h]])) } : {}),
    ...(fetched.body ? { bytes: fetched.body.length } : {}),
    ...(fetched.truncated ? { truncated: true } : {}),
    ...(fetched.tls ? { tls: tlsEvidence(fetched.tls) } : {}),
    ...(fetched.error ? { error: fetched.error } : {}),
  };
}

export function tlsEvidence(tls: TlsInfo): Record<string, unknown> {
  return { protocol: tls.protocol, chainTrusted: tls.chainTrusted, ...(tls.chainError ? { chainError: tls.chainError } : {}), certificate: tls.certificate };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

// RFC 9110 §8.3.1: type/subtype, case-insensitive, parameters after ";".
function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

export function checkPolicyParse(fetch: FetchOutcome): { result: CheckResult; policy?: Policy } {
  const body = fetch.body;
  if (!body) {
    return { result: combine('policy-parse', [{ status: 'fail', code: 'policy-unavailable', message: 'no policy to parse: the fetch did not return one (see policy-fetch)' }]) };
  }
  const text = body.toString('utf8');
  const parsed = parsePolicy(text);
  if (mediaType(fetch.contentType) === 'text/html' || parsed.errors.some((e) => e.code === 'policy-is-html')) {
    return {
      result: combine('policy-parse', [
        {
          status: 'fail',
          code: 'policy-html',
          message: `your host served a web page, likely a fallback (an SPA navigation fallback or a custom 404 page); ${POLICY_PATH} must be the plain-text policy file`,
        },
      ], { start: text.slice(0, 120) }),
    };
  }
  const findings: Finding[] = parsed.errors.map((e) => ({ status: 'fail' as const, code: 'policy-invalid', message: formatDiagnostic(e) }));
  findings.push(...parsed.warnings.map((w) => ({ status: 'warn' as const, code: 'policy-warning', message: formatDiagnostic(w) })));
  const policy = parsed.ok ? parsed.policy : undefined;
  if (policy?.mode === 'none') {
    findings.push({ status: 'warn', code: 'policy-mode-none', message: 'mode is none: senders treat the domain as having no MTA-STS policy' });
  }
  if (policy) {
    const mode = policy.mode === 'testing' ? 'testing (failures are reported, mail is still delivered)' : policy.mode;
    findings.push({ status: 'pass', code: 'policy-ok', message: `mode ${mode}, mx ${policy.mx.join(', ') || '(none)'}, max_age ${policy.maxAge}` });
  }
  return { result: combine('policy-parse', findings, policy ? { policy } : { text: text.slice(0, 2048) }), policy };
}
