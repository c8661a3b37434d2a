// Check 8: the mistakes Exchange Online admins make with MTA-STS, and the one that bounces mail.
import { BROAD_DANE_PATTERN, EXO_MX_PATTERN, danePatternFor, isDaneMx, isOnMicrosoftDomain } from '../exchange-online.ts';
import { mxMatches } from '../rfc/hostname.ts';
import type { Policy } from '../rfc/policy.ts';
import type { Lookup } from './dns.ts';
import { matchingPattern, mxHosts, type MxHost } from './mx-checks.ts';
import { combine, type CheckResult, type Finding } from './result.ts';

export interface MxFailures {
  /** MX hosts that match no pattern (check 4). */
  unmatched: string[];
  /** MX hosts that fail STARTTLS or the certificate (check 5). */
  failing: string[];
}

export function checkExchange(domain: string, policy: Policy | undefined, mx: Lookup<MxHost[]>, failures: MxFailures): CheckResult {
  const findings: Finding[] = [];
  const hosts = mxHosts(mx).map((m) => m.host);

  if (isOnMicrosoftDomain(domain)) {
    findings.push({ status: 'fail', code: 'exo-onmicrosoft', message: `${domain} is a Microsoft-managed onmicrosoft.com domain; MTA-STS cannot be published for it — use your own domains` });
  }

  if (policy) {
    for (const host of hosts) {
      if (matchingPattern(policy, host)) continue;
      if (mxMatches(EXO_MX_PATTERN, host)) {
        findings.push({ status: 'fail', code: 'exo-mx-pattern-missing', message: `MX ${host} is Exchange Online's, but the policy lacks "${EXO_MX_PATTERN}"` });
      } else if (isDaneMx(host)) {
        const pattern = danePatternFor(host);
        const broad = policy.mx.includes(BROAD_DANE_PATTERN);
        findings.push({
          status: 'fail',
          code: broad ? 'exo-dane-pattern' : 'exo-mx-pattern-missing',
          message: broad
            ? `"${BROAD_DANE_PATTERN}" does not match the DANE MX ${host} (a wildcard covers one label); use "${pattern}"`
            : `MX ${host} is Exchange Online's DANE MX, but the policy lacks "${pattern}"`,
        });
      }
    }
    if (policy.mx.includes(BROAD_DANE_PATTERN) && !findings.some((f) => f.code === 'exo-dane-pattern')) {
      findings.push({
        status: 'warn',
        code: 'exo-dane-pattern',
        message: `"${BROAD_DANE_PATTERN}" never matches Exchange Online's DANE MX names like x.<zone>-v1.mx.microsoft; use "*.<zone>-v1.mx.microsoft"`,
      });
    }

    // The loudest finding: in enforce mode, senders refuse to deliver to any MX that fails checks 4 or 5.
    const broken = [...new Set([...failures.unmatched, ...failures.failing])];
    if (policy.mode === 'enforce' && broken.length > 0) {
      const why = [
        failures.unmatched.length > 0 ? `${failures.unmatched.join(', ')} ${failures.unmatched.length === 1 ? 'matches' : 'match'} no policy pattern` : '',
        failures.failing.length > 0 ? `${failures.failing.join(', ')} ${failures.failing.length === 1 ? 'fails' : 'fail'} STARTTLS or the certificate check` : '',
      ].filter(Boolean).join('; ');
      findings.unshift({
        status: 'fail',
        code: 'enforce-would-bounce',
        message: `MAIL WOULD BOUNCE: the policy is in enforce mode and ${why}. Senders that honour MTA-STS will refuse to deliver to ${broken.length === hosts.length ? 'any of your MX hosts' : broken.join(', ')}. Fix the MX, or set policy.mode to testing and deploy (policy first, then the new id)`,
      });
    }
  }

  if (findings.length === 0) findings.push({ status: 'pass', code: 'exo-ok', message: 'no Exchange Online pitfalls found' });
  return combine('exchange', findings, { mx: hosts, patterns: policy?.mx ?? null, mode: policy?.mode ?? null });
}
