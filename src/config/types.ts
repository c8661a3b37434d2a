// The checked config's shape and its diagnostics, apart from the loader so the rule modules can name them.
import type { Diagnostic } from '../rfc/diagnostic.ts';
import type { PolicyMode } from '../rfc/policy.ts';
import type { AzureHostingKey, HostingKind, HostingPlan } from './raw-config.ts';

/** The config after checking: durations are seconds, names lower-case, defaults filled in. */
export interface Config {
  domains: string[];
  policy: { mode: PolicyMode; mx: string[]; max_age: number; id?: string };
  tlsrpt?: { rua: string[] };
  /** What the policy host's page shows besides the policy. */
  site?: { contact?: string };
  hosting: { kind: HostingKind; plan: HostingPlan; default_hostname?: string } & Partial<Record<AzureHostingKey, string>>;
  /** Present when the file has a rollout section (defaults filled in); effectiveRollout() gives the defaults otherwise. */
  rollout?: Rollout;
}

/** The evidence rules of `mta-sts promote`, defaults filled in (see mta-sts.schema.json). */
export interface Rollout {
  window_days: number;
  min_report_days: number;
  min_organizations: number;
  min_sessions: number;
  recent_days: number;
  max_fetch_error_days: number;
}

/**
 * A finding in a config file. `message` reads on its own and names the field; `line`/`column` are
 * 1-based and absent only for problems with the file as a whole (whose message names the file).
 */
export interface ConfigDiagnostic extends Diagnostic { file: string; field?: string }
