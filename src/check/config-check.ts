// Check 7: is what is live what `mta-sts build` produces from mta-sts.config.yaml? When not, say which
// step of the RFC 8461 §8.1 order is missing: new policy live first, then the TXT id.
import type { Config } from '../config/config.ts';
import { effectiveId, policyText } from '../config/policy.ts';
import { combine, type CheckResult, type Finding } from './result.ts';

export function checkConfig(domain: string, config: Config, liveBody: Buffer | undefined, liveId: string | undefined): CheckResult {
  const expected = policyText(config);
  const expectedId = effectiveId(config);
  const evidence: Record<string, unknown> = { expectedId, liveId: liveId ?? null, expectedPolicy: expected };
  if (!config.domains.includes(domain)) {
    return combine('config', [{ status: 'warn', code: 'config-domain-unknown', message: `${domain} is not in the config's domains, so it was not compared` }], evidence);
  }
  if (!liveBody) {
    return combine('config', [{ status: 'fail', code: 'config-policy-unavailable', message: 'the live policy could not be read, so it cannot be compared with the config' }], evidence);
  }
  const live = liveBody.toString('utf8');
  evidence.livePolicy = live.slice(0, 4096);
  const policySame = liveBody.equals(Buffer.from(expected, 'utf8'));
  const idSame = liveId === expectedId;
  if (!policySame) evidence.firstDifference = firstDifference(expected, live);
  const findings: Finding[] = [];
  if (!policySame && idSame) {
    findings.push({
      status: 'fail',
      code: 'config-id-before-policy',
      message: `the TXT id is already ${expectedId} but the live policy is not the built one: senders may cache the old policy under the new id. RFC 8461 §8.1: deploy the new policy first, then change the TXT id`,
    });
  } else if (!policySame) {
    findings.push({
      status: 'fail',
      code: 'config-policy-differs',
      message: `the live policy differs from the build (${String(evidence.firstDifference)}). RFC 8461 §8.1 order: deploy the new policy first, then change _mta-sts.${domain} to id=${expectedId}`,
    });
  } else if (!idSame) {
    findings.push({
      status: 'fail',
      code: 'config-id-differs',
      message: `the new policy is live; now publish _mta-sts.${domain} TXT "v=STSv1; id=${expectedId};" (live id is ${liveId ?? 'missing'}; RFC 8461 §8.1: policy first, then the id)`,
    });
  } else {
    findings.push({ status: 'pass', code: 'config-ok', message: `live policy and id=${expectedId} match the config` });
  }
  return combine('config', findings, evidence);
}

function firstDifference(expected: string, live: string): string {
  const a = expected.split('\n');
  const b = live.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: expected ${JSON.stringify(a[i] ?? '(end)')}, live ${JSON.stringify(b[i] ?? '(end)')}`;
  }
  return 'same lines, different bytes';
}
