// The config file exactly as written (before durations are converted and names normalized).
// Its shape is checked against mta-sts.schema.json by tsc through schema.generated.ts.
import type { PolicyMode } from '../rfc/policy.ts';

export type HostingPlan = 'free' | 'standard';

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
  hosting?: { plan?: HostingPlan | null; default_hostname?: string | null } | null;
}
