// Check 4, MX hosts against the policy's patterns (RFC 8461 §4.1), and check 5, STARTTLS with a valid
// certificate on every MX host (RFC 8461 §4.2, RFC 3207).
import { EXO_MX_EXAMPLE, isExchangeOnlineMx } from '../exchange-online.ts';
import { isIP } from 'node:net';
import { mxMatches } from '../rfc/hostname.ts';
import type { Policy } from '../rfc/policy.ts';
import { certificateProblem } from './certificate.ts';
import { isLocalNetworkError, tryInTurn, type Attempt } from './attempts.ts';
import { lookup, resolveAddresses, type Lookup } from './dns.ts';
import type { DomainIO } from './io.ts';
import { tlsEvidence } from './policy-checks.ts';
import { combine, type CheckResult, type Finding } from './result.ts';

export interface MxHost {
  host: string;
  priority: number;
}

/** More MX hosts than this are not probed: a zone cannot make one check open unbounded connections. */
export const MAX_MX_PROBES = 10;
const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

export async function lookupMx(domain: string, io: DomainIO, signal: AbortSignal): Promise<Lookup<MxHost[]>> {
  const found = await lookup(domain, signal, () => io.resolver.resolveMx(domain), 'MX');
  if (!found.ok) return found;
  const hosts = found.value
    .map((r) => ({ host: r.exchange.replace(/\.$/, '').toLowerCase(), priority: r.priority }))
    .sort((a, b) => a.priority - b.priority || a.host.localeCompare(b.host));
  return { ok: true, value: hosts };
}

/** RFC 7505: an MX whose exchange is the root (".", which resolvers return as "") names no host. */
const isNullMx = (m: MxHost): boolean => m.host === '';

/** The MX hosts a sender would try: every MX but a null MX. */
export function mxHosts(mx: Lookup<MxHost[]>): MxHost[] {
  return mx.ok ? mx.value.filter((m) => !isNullMx(m)) : [];
}

/** An MX "host" that is an IP address: RFC 5321 §5.1 requires a name, and MTA-STS matches names only. */
const isAddress = (host: string): boolean => isIP(host) !== 0;

/**
 * RFC 7505 §3: "0 ." says the domain accepts no mail. No sender looks for an MTA-STS policy then, so there
 * is nothing to match or probe; it is worth a word, not a failure (and never a bounce).
 */
function nullMxFinding(domain: string, mx: Lookup<MxHost[]>): Finding | undefined {
  if (!mx.ok || mx.value.length === 0 || !mx.value.every(isNullMx)) return undefined;
  return {
    status: 'warn',
    code: 'mx-null',
    message: `${domain} publishes a null MX ("0 .", RFC 7505): it accepts no mail, so senders never apply its MTA-STS policy; publish its real MX records if it should receive mail`,
  };
}

function mxLookupFailure(domain: string, mx: Lookup<MxHost[]>): Finding | undefined {
  if (!mx.ok && !mx.missing) return mx.finding;
  const nullMx = nullMxFinding(domain, mx);
  if (nullMx) return nullMx;
  if (mx.ok && mx.value.length > 0) return undefined;
  return { status: 'fail', code: 'mx-none', message: `${domain} has no MX records; publish the Exchange Online MX (${EXO_MX_EXAMPLE})` };
}

/** RFC 7505 §3: a domain that publishes a null MX must publish no other MX. */
function mixedNullMx(mx: Lookup<MxHost[]>): Finding[] {
  if (!mx.ok || !mx.value.some(isNullMx)) return [];
  return [{ status: 'fail', code: 'mx-null-mixed', message: 'a null MX ("0 .") is published next to other MX records, which RFC 7505 §3 forbids; remove the null MX (or the others, if the domain should receive no mail)' }];
}

/** The narrowest pattern that covers an MX host: its parent with one wildcard label, e.g. "*.example.com". */
export function suggestPattern(host: string): string {
  const labels = host.replace(/\.$/, '').toLowerCase().split('.');
  return labels.length >= 3 ? `*.${labels.slice(1).join('.')}` : labels.join('.');
}

/** The policy pattern covering `host`; both sides compared as A-labels, as senders compare them. */
export function matchingPattern(policy: Policy, host: string): string | undefined {
  return policy.mx.find((p) => mxMatches(p, host));
}

export function checkMxMatch(domain: string, mx: Lookup<MxHost[]>, policy: Policy | undefined): { result: CheckResult; unmatched: string[] } {
  const failure = mxLookupFailure(domain, mx);
  if (failure || !mx.ok) return { result: combine('mx-match', [failure!]), unmatched: [] };
  const hosts = mxHosts(mx);
  const evidence: Record<string, unknown> = { mx: mx.value };
  if (!policy) {
    return { result: combine('mx-match', [{ status: 'fail', code: 'mx-no-policy', message: 'MX hosts cannot be checked without a valid policy' }], evidence), unmatched: [] };
  }
  const matches = hosts.map((h) => ({ ...h, pattern: matchingPattern(policy, h.host) ?? null }));
  evidence.mx = matches;
  const unmatched = matches.filter((m) => m.pattern === null).map((m) => m.host);
  // In mode none no MX is checked by senders, so an unmatched host is only worth a warning.
  const status = policy.mode === 'none' ? 'warn' : 'fail';
  const findings: Finding[] = mixedNullMx(mx);
  for (const host of unmatched) {
    findings.push(
      isAddress(host)
        ? {
            status,
            code: 'mx-ip-address',
            message: `MX ${host} is an IP address, not a host name (RFC 5321 §5.1); no policy mx pattern can match an address (RFC 8461 §4.1) — publish an MX host name with an A record and list that name in policy.mx`,
          }
        : { status, code: 'mx-not-in-policy', message: `MX ${host} matches no policy mx pattern; add "${suggestPattern(host)}" to policy.mx` },
    );
  }
  if (findings.length === 0) {
    findings.push({ status: 'pass', code: 'mx-match-ok', message: matches.map((m) => `${m.host} ~ ${m.pattern}`).join(', ') });
  }
  return { result: combine('mx-match', findings, evidence), unmatched };
}


/**
 * Check 5 when port 25 cannot be probed (--skip-starttls). A warning, except for an enforce policy about to be
 * deployed: then an MX host nobody verified could bounce mail, unless it is Exchange Online's own.
 */
export function skippedStarttls(domain: string, mx: Lookup<MxHost[]>, enforcing: boolean): { result: CheckResult; failing: string[] } {
  const skipped = 'STARTTLS on the MX hosts was not checked (--skip-starttls); check port 25 from a machine that can reach it';
  const nullMx = nullMxFinding(domain, mx);
  if (nullMx) return { result: combine('mx-starttls', [nullMx]), failing: [] };
  const unverified = enforcing ? mxHosts(mx).map((m) => m.host).filter((h) => !isExchangeOnlineMx(h)) : [];
  if (unverified.length === 0) {
    return { result: { check: 'mx-starttls', status: 'warn', code: 'mx-starttls-skipped', message: skipped }, failing: [] };
  }
  const findings: Finding[] = unverified.map((host) => ({
    status: 'fail',
    code: 'mx-starttls-unverified',
    message: `MX ${host} is not Exchange Online's and its STARTTLS was not checked (--skip-starttls); before enforcing, check it from a machine that can reach port 25 (in the pipeline: checkStarttls on a self-hosted agent)`,
  }));
  return { result: combine('mx-starttls', findings, { unverified }), failing: [] };
}

export async function checkMxStarttls(
  domain: string,
  mx: Lookup<MxHost[]>,
  io: DomainIO,
  signal: AbortSignal,
): Promise<{ result: CheckResult; failing: string[] }> {
  const failure = mxLookupFailure(domain, mx);
  if (failure || !mx.ok) return { result: combine('mx-starttls', [failure!]), failing: [] };
  const all = mxHosts(mx);
  const hosts = all.slice(0, MAX_MX_PROBES);
  const perHost = await Promise.all(hosts.map((h) => probeHost(h.host, io, signal)));
  const findings = perHost.flatMap((p) => p.findings);
  if (all.length > MAX_MX_PROBES) {
    findings.push({ status: 'warn', code: 'mx-too-many', message: `only the first ${MAX_MX_PROBES} of ${all.length} MX hosts were probed` });
  }
  if (findings.length === 0) {
    const summary = perHost
      .map((p) => `${p.host} (${String(p.evidence.protocol)}, certificate until ${String((p.evidence.certificate as { validTo: string }).validTo).slice(0, 10)})`)
      .join(', ');
    findings.push({ status: 'pass', code: 'mx-starttls-ok', message: `STARTTLS with a valid certificate on ${summary}` });
  }
  const failing = perHost.filter((p) => p.findings.some((f) => f.status === 'fail')).map((p) => p.host);
  return { result: combine('mx-starttls', findings, { hosts: perHost.map((p) => p.evidence) }), failing };
}

type HostProbe = { host: string; findings: Finding[]; evidence: Record<string, unknown> };
type AddressProbe = { findings: Finding[]; evidence: Record<string, unknown>; errorCode?: string };

/** More addresses of one MX than this are not tried (Postfix stops at 5 per delivery). */
const MAX_ADDRESS_PROBES = 10;

async function probeHost(host: string, io: DomainIO, signal: AbortSignal): Promise<HostProbe> {
  const evidence: Record<string, unknown> = { host };
  if (isAddress(host)) {
    // Senders look an MX up as a name (RFC 5321 §5.1), and no certificate can name an address for MTA-STS.
    return { host, evidence, findings: [{ status: 'fail', code: 'mx-ip-address', message: `MX ${host} is an IP address, not a host name; senders that apply MTA-STS cannot deliver to it` }] };
  }
  const addresses = await resolveAddresses(io.resolver, host, signal);
  if (!addresses.ok) {
    return { host, evidence, findings: [{ ...addresses.finding, code: 'mx-unresolved', message: `MX ${addresses.finding.message}` }] };
  }
  // A sender that fails at one address of an MX (no connection, a bad greeting, no STARTTLS, a certificate
  // it must refuse) tries the next (RFC 5321 §5.1), so the host delivers when any address passes.
  const list = addresses.value.slice(0, MAX_ADDRESS_PROBES);
  const label = (address: string): string => (list.length > 1 ? `MX ${host} at ${address}` : `MX ${host}`);
  const passes = (p: AddressProbe): boolean => !p.findings.some((f) => f.status === 'fail');
  const attempts = await tryInTurn(list, signal, io.deadline, (address, s) => probeAddress(host, address, label(address), io, s), passes);
  const cut = (a: Attempt<AddressProbe>): AddressProbe =>
    a.cutShort
      ? { ...a.result, findings: [{ status: 'fail', code: 'mx-timeout', message: `${label(a.address)}: no answer within ${(a.shareMs ?? 0) / 1000} s, its share of the deadline` }] }
      : a.result;
  const probes = attempts.map((a) => ({ address: a.address, ...cut(a) }));
  if (probes.length === 0) {
    return { host, evidence, findings: [{ status: 'fail', code: 'mx-timeout', message: `MX ${host}: the check deadline passed before it was probed` }] };
  }
  const good = probes.find(passes);
  const used = good ?? probes[probes.length - 1]!;
  Object.assign(evidence, used.evidence);
  if (list.length > 1) {
    evidence.addresses = addresses.value;
    evidence.attempts = probes.map((p) => ({ address: p.address, ...(passes(p) ? { ok: true } : { code: p.findings.find((f) => f.status === 'fail')?.code }) }));
  }
  if (!good) {
    const findings = probes.flatMap((p) => p.findings);
    // No address connected at all: most often this machine cannot reach port 25, not the MX being down.
    if (findings.every((f) => f.code === 'mx-connect-failed')) {
      const last = findings.pop()!;
      findings.push({ ...last, message: `${last.message}; where outbound port 25 is blocked (many clouds and ISPs), run the check from elsewhere` });
    }
    return { host, evidence, findings };
  }
  const findings: Finding[] = [];
  for (const p of probes.filter((p) => p !== good && !isLocalNetworkError(p.errorCode))) {
    const why = p.findings.find((f) => f.status === 'fail')!;
    findings.push({
      status: 'warn',
      code: 'mx-address-failed',
      message: `${why.message} [${why.code}]; senders deliver through ${good.address} after that failure, with a delay — fix or remove ${p.address}`,
    });
  }
  findings.push(...good.findings);
  return { host, evidence, findings };
}

async function probeAddress(host: string, address: string, label: string, io: DomainIO, signal: AbortSignal): Promise<AddressProbe> {
  const evidence: Record<string, unknown> = { address };
  const probe = await io.smtp.probe({ host, address, signal });
  evidence.elapsedMs = probe.elapsedMs;
  if (probe.greeting) evidence.greeting = probe.greeting;
  if (probe.extensions) evidence.extensions = probe.extensions;
  if (probe.tls) Object.assign(evidence, tlsEvidence(probe.tls));
  const fail = (code: string, message: string): AddressProbe => ({
    evidence,
    findings: [{ status: 'fail', code, message: `${label}: ${message}` }],
    errorCode: probe.error?.code,
  });

  const error = probe.error;
  if (error) {
    evidence.error = error;
    switch (error.stage) {
      case 'connect':
        return fail('mx-connect-failed', `cannot connect to ${address} on the SMTP port (${error.code})`);
      case 'timeout':
        return fail('mx-timeout', `no answer in time (${error.message})`);
      case 'starttls':
        return fail('mx-starttls-rejected', `STARTTLS was refused: ${error.message}`);
      case 'tls':
        return fail('mx-tls-failed', `TLS handshake after STARTTLS failed: ${error.message}`);
      default:
        return fail('mx-smtp-error', `SMTP ${error.stage} failed: ${error.message}`);
    }
  }
  if (!probe.starttlsOffered) {
    return fail('mx-no-starttls', 'does not offer STARTTLS; senders that apply the policy cannot deliver to it (RFC 8461 §4.2)');
  }
  if (!probe.tls) return fail('mx-tls-failed', 'no TLS session was established');
  const problem = certificateProblem(probe.tls, host);
  if (problem) return fail(`mx-cert-${problem.code}`, problem.message);

  const validTo = new Date(probe.tls.certificate!.validTo);
  const daysLeft = Math.floor((validTo.getTime() - io.now().getTime()) / DAY_MS);
  evidence.daysLeft = daysLeft;
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    return { evidence, findings: [{ status: 'warn', code: 'mx-cert-expiring', message: `${label}: certificate expires on ${validTo.toISOString().slice(0, 10)}, in ${daysLeft} days` }] };
  }
  return { evidence, findings: [] };
}
