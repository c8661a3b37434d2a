// CAA (RFC 8659) for a policy host served by Azure: Azure's managed certificates come from DigiCert, so a CAA set
// that does not allow digicert.com means the certificate is never issued and the host keeps Azure's default one.
import type { Resolver } from './io.ts';
import { lookup } from './dns.ts';
import { worst, type CheckResult, type Finding } from './result.ts';

/** The CA behind the managed certificates of Static Web Apps and App Service. */
export const AZURE_CA = 'digicert.com';

/** Host names of Azure's hosting services; a policy host whose CNAME points under one is served by Azure. */
const AZURE_HOSTING = /\.(azurestaticapps\.net|azurewebsites\.net)$/i;

/** One CAA record as node:dns gives it: `critical` is the flags octet, the tag is the other key. */
export type CaaRecord = { critical: number } & Partial<Record<string, string | number>>;

// RFC 8659 §4 and the IANA "Certification Authority Restriction Properties" registry: tags a CA understands.
const KNOWN_TAGS = new Set(['issue', 'issuewild', 'iodef', 'contactemail', 'contactphone', 'issuemail', 'issuevmc']);

// node:dns adds `type: 'CAA'` on some versions; the property tag is the remaining key.
const tagOf = (r: CaaRecord): string => Object.keys(r).find((k) => k !== 'critical' && k !== 'type') ?? '';

/** RFC 8659 §3: the relevant CAA set is the first non-empty one climbing from the name towards the root. */
export async function relevantCaa(resolver: Required<Pick<Resolver, 'resolveCaa'>>, name: string, signal: AbortSignal):
  Promise<{ ok: true; at?: string; records: CaaRecord[] } | { ok: false; finding: Finding }> {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.');
  for (let i = 0; i < labels.length; i++) {
    const node = labels.slice(i).join('.');
    const answer = await lookup(node, signal, () => resolver.resolveCaa(node), 'CAA');
    if (!answer.ok) {
      if (answer.missing) continue;
      // RFC 8659 §3: a CA that cannot read the set must not issue, so a failed lookup blocks the certificate too.
      return { ok: false, finding: { status: 'warn', code: 'caa-lookup-failed', message: `${answer.finding.message}; a CA that cannot read CAA does not issue, so Azure's certificate may be held back` } };
    }
    if (answer.value.length > 0) return { ok: true, at: node, records: answer.value as CaaRecord[] };
  }
  return { ok: true, records: [] };
}

/** RFC 8659 §4.2 for a non-wildcard name: whether `ca` may issue under this set, and if not, why. */
export function caaAllows(records: CaaRecord[], ca: string): { allowed: true } | { allowed: false; why: string } {
  // §4.1: a critical property the CA does not understand forbids issuance outright.
  const unknownCritical = records.find((r) => (Number(r.critical) & 128) !== 0 && !KNOWN_TAGS.has(tagOf(r).toLowerCase()));
  if (unknownCritical) return { allowed: false, why: `it has a critical "${tagOf(unknownCritical)}" property no CA understands` };
  const issue = records.filter((r) => tagOf(r).toLowerCase() === 'issue');
  if (issue.length === 0) return { allowed: true }; // no issue property: issue is not restricted
  // issue-value = [issuer-domain-name] *(";" parameter) (§4.2); an empty issuer forbids every CA.
  const issuers = issue.map((r) => String(r[tagOf(r)] ?? '').split(';')[0]!.trim().toLowerCase().replace(/\.$/, ''));
  if (issuers.includes(ca)) return { allowed: true };
  const named = issuers.filter(Boolean);
  return { allowed: false, why: named.length > 0 ? `it allows only ${[...new Set(named)].join(', ')}` : 'it forbids every CA (issue ";")' };
}

/**
 * The CAA finding for mta-sts.<domain> when Azure serves it (its CNAME points at Azure): fail when the relevant
 * set forbids DigiCert, naming the record to add; undefined when there is nothing to say or no CAA lookup.
 */
export async function checkCaa(domain: string, resolver: Resolver, signal: AbortSignal): Promise<{ finding?: Finding; evidence?: Record<string, unknown> }> {
  const resolveCaa = resolver.resolveCaa?.bind(resolver);
  if (!resolveCaa) return {};
  const host = `mta-sts.${domain}`;
  const cname = await lookup(host, signal, () => resolver.resolveCname(host), 'CNAME');
  const target = cname.ok ? cname.value[0]?.replace(/\.$/, '') : undefined;
  if (!target || !AZURE_HOSTING.test(target)) return {};
  const set = await relevantCaa({ resolveCaa }, host, signal);
  if (!set.ok) return { finding: set.finding };
  const evidence = { caa: { at: set.at ?? null, records: set.records.map((r) => ({ flags: Number(r.critical), tag: tagOf(r), value: String(r[tagOf(r)] ?? '') })) } };
  const verdict = caaAllows(set.records, AZURE_CA);
  if (verdict.allowed) return { evidence };
  return {
    evidence,
    finding: {
      status: 'fail',
      code: 'caa-blocks-certificate',
      message: `the CAA records at ${set.at} forbid ${AZURE_CA} (${verdict.why}), which issues Azure's managed certificate for ${host} (served by ${target}): add ${set.at}. CAA 0 issue "${AZURE_CA}" (RFC 8659 §4.2), or the host keeps Azure's default certificate`,
    },
  };
}

/** A check's result with one more finding: the worse of the two decides status and code; both are said. */
export function withFinding(result: CheckResult, finding: Finding | undefined, evidence?: Record<string, unknown>): CheckResult {
  const merged = evidence ? { ...result, evidence: { ...result.evidence, ...evidence } } : result;
  if (!finding || finding.status === 'pass') return merged;
  const status = worst([result.status, finding.status]);
  const first = result.status === 'pass' ? [] : [result.message];
  const message = finding.status === status ? [finding.message, ...first] : [...first, finding.message];
  return { ...merged, status, code: finding.status === status ? finding.code : result.code, message: message.join('; ') };
}
