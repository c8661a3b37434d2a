// Check 1, the `_mta-sts` TXT record (RFC 8461 §3.1), and check 6, the `_smtp._tls` record (RFC 8460 §3).
import { formatDiagnostic } from '../rfc/diagnostic.ts';
import { selectStsRecord } from '../rfc/sts-record.ts';
import { selectTlsRptRecord } from '../rfc/tlsrpt-record.ts';
import { lookup, resolveTxtFollowingCnames } from './dns.ts';
import type { Resolver } from './io.ts';
import { combine, type CheckResult, type Finding, type LiveState } from './result.ts';


export async function checkStsRecord(
  domain: string,
  resolver: Resolver,
  signal: AbortSignal,
): Promise<{ result: CheckResult; id?: string }> {
  const name = `_mta-sts.${domain}`;
  const { chain, result } = await resolveTxtFollowingCnames(resolver, name, signal);
  const evidence: Record<string, unknown> = { name };
  if (chain.length > 1) evidence.cnameChain = chain;
  const findings: Finding[] = [];

  if (!result.ok && !result.missing) return { result: combine('sts-record', [result.finding], evidence) };
  const rrset = result.ok ? result.value : [];
  evidence.records = rrset.map((rr) => rr.join(''));
  const selected = selectStsRecord(rrset);

  for (const e of selected.errors) {
    if (e.code === 'no-sts-record') {
      const seen = rrset.length > 0 ? `: ${e.message}` : '';
      findings.push({ status: 'fail', code: 'sts-record-missing', message: `no MTA-STS record at ${name}${seen}; publish "v=STSv1; id=<id>;" there` });
    } else if (e.code === 'multiple-sts-records') {
      findings.push({ status: 'fail', code: 'sts-record-multiple', message: `${name}: ${e.message}` });
    } else {
      findings.push({ status: 'fail', code: 'sts-record-invalid', message: `${name}: ${formatDiagnostic(e)}` });
    }
  }
  for (const w of selected.warnings) {
    const code = w.code === 'spf-at-mta-sts' ? 'sts-record-spf' : 'sts-record-warning';
    // With no STS record at all, an SPF answer is the explanation, so it is the failure's headline.
    findings.push({ status: selected.ok ? 'warn' : 'fail', code, message: `${name}: ${formatDiagnostic(w)}` });
  }
  if (findings.some((f) => f.code === 'sts-record-spf')) findings.sort((a, b) => Number(b.code === 'sts-record-spf') - Number(a.code === 'sts-record-spf'));

  if (!selected.ok && findings.some((f) => f.code === 'sts-record-missing')) {
    // A classic mistake: the record published at the domain itself instead of at _mta-sts.
    const apex = await lookup(domain, signal, () => resolver.resolveTxt(domain), 'TXT');
    if (apex.ok && apex.value.some((rr) => rr.join('').startsWith('v=STSv1'))) {
      evidence.apexRecords = apex.value.map((rr) => rr.join('')).filter((r) => r.startsWith('v=STSv1'));
      findings.unshift({ status: 'fail', code: 'sts-record-at-apex', message: `the v=STSv1 record is published at ${domain}; move it to ${name}` });
    }
  }

  if (selected.ok) {
    evidence.id = selected.id;
    findings.push({ status: 'pass', code: 'sts-record-ok', message: `${name} has id=${selected.id}` });
  }
  return { result: combine('sts-record', findings, evidence), id: selected.id };
}

/**
 * Whether `_mta-sts.<domain>` holds any record that begins with v=STSv1, valid or not, for the promotion
 * gate: such a record, even a broken one or one of two, may be how senders got the policy they still cache.
 * Compared without regard to case or spacing, so that more counts as published, never less.
 */
export async function stsRecordState(domain: string, resolver: Resolver, signal: AbortSignal): Promise<LiveState['record']> {
  const { result } = await resolveTxtFollowingCnames(resolver, `_mta-sts.${domain}`, signal);
  if (!result.ok) return result.missing ? { state: 'absent' } : { state: 'unknown', why: result.finding.message };
  return result.value.some((rr) => /^\s*v\s*=\s*stsv1/i.test(rr.join(''))) ? { state: 'published' } : { state: 'absent' };
}

export async function checkTlsRpt(domain: string, resolver: Resolver, signal: AbortSignal): Promise<CheckResult> {
  const name = `_smtp._tls.${domain}`;
  const { chain, result } = await resolveTxtFollowingCnames(resolver, name, signal);
  const evidence: Record<string, unknown> = { name };
  if (chain.length > 1) evidence.cnameChain = chain;
  if (!result.ok && !result.missing) return combine('tlsrpt', [result.finding], evidence);
  const rrset = result.ok ? result.value : [];
  evidence.records = rrset.map((rr) => rr.join(''));
  const selected = selectTlsRptRecord(rrset);
  const findings: Finding[] = [];
  for (const e of selected.errors) {
    if (e.code === 'no-tlsrpt-record') {
      // RFC 8460 is optional, but without it nobody tells the admin that senders fail.
      findings.push({ status: 'warn', code: 'tlsrpt-missing', message: `no TLS-RPT record at ${name}; publish "v=TLSRPTv1; rua=mailto:…" so senders report TLS failures (recommended)` });
    } else if (e.code === 'multiple-tlsrpt-records') {
      findings.push({ status: 'fail', code: 'tlsrpt-multiple', message: `${name}: ${e.message}` });
    } else {
      findings.push({ status: 'fail', code: 'tlsrpt-invalid', message: `${name}: ${formatDiagnostic(e)}` });
    }
  }
  for (const w of selected.warnings) findings.push({ status: 'warn', code: 'tlsrpt-warning', message: `${name}: ${formatDiagnostic(w)}` });
  if (selected.ok) {
    evidence.rua = selected.rua;
    findings.push({ status: 'pass', code: 'tlsrpt-ok', message: `reports go to ${(selected.rua ?? []).join(', ')}` });
  }
  return combine('tlsrpt', findings, evidence);
}
