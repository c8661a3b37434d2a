// The config file exactly as written (before durations are converted and names normalized).
// Its shape is checked against mta-sts.schema.json by tsc through schema.generated.ts.
import type { PolicyMode } from '../rfc/policy.ts';

import type { HostingKind, HostingPlan } from '../hosting/adapter.ts';

export type { HostingKind, HostingPlan };

/** The `hosting:` keys naming the Azure resources (flags of `mta-sts azure …` override them). */
export const AZURE_HOSTING_KEYS = ['app', 'resource_group', 'subscription', 'dns_resource_group'] as const;
export type AzureHostingKey = (typeof AZURE_HOSTING_KEYS)[number];

export interface RawConfig {
  domains: string[];
  policy: {
    mode: PolicyMode;
    /** `mx:` with no list parses as null. */
    mx?: string[] | null;
    /** Seconds, or a duration such as `7d`. */
    max_age: number | string;
    id?: string | null;
  };
  tlsrpt?: { rua: string[] } | null;
  site?: { contact?: string | null } | null;
  hosting?: {
    kind?: HostingKind | null;
    plan?: HostingPlan | null;
    default_hostname?: string | null;
    /** Where `mta-sts azure bind` and `publish-dns` find the app and the DNS zones. */
    app?: string | null;
    resource_group?: string | null;
    subscription?: string | null;
    dns_resource_group?: string | null;
  } | null;
  rollout?: RawRollout | null;
}

/** How much TLS-RPT evidence `mta-sts promote` needs (src/rollout/verdict.ts). */
export interface RawRollout {
  window_days?: number | null;
  min_report_days?: number | null;
  min_organizations?: number | null;
  min_sessions?: number | null;
  recent_days?: number | null;
  max_fetch_error_days?: number | null;
}
