// The config's policy as senders will download it (its exact bytes) and the TXT id that names it: the
// mapping the site renderer, the DNS records and the checker all share.
import { createHash } from 'node:crypto';
import type { Config } from './config.ts';
import { serializePolicy, type Policy } from '../rfc/policy.ts';

/** The policy the config describes. */
export function configPolicy(config: Config): Policy {
  return { version: 'STSv1', mode: config.policy.mode, mx: config.policy.mx, maxAge: config.policy.max_age, extensions: {} };
}

export function policyText(config: Config): string {
  return serializePolicy(configPolicy(config));
}

// RFC 8461 §3.1: id is 1*32(ALPHA / DIGIT) and must change whenever the policy does.
// Hashing the served bytes makes that automatic: same bytes, same id; any edit, a new id.
export function policyId(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

/** The id to publish: the config's explicit `policy.id` when set, else the one derived from the bytes. */
export function effectiveId(config: Config): string {
  return config.policy.id ?? policyId(policyText(config));
}
