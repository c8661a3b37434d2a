// The shape of a hosting adapter: everything that differs between the kinds of app that can serve the policy.

/** What serves the policy (config hosting.kind): a Static Web App (the default) or a Function App (one app for up to 500 domains). */
export type HostingKind = 'static-web-app' | 'function-app';
/** A Static Web App's plan (config hosting.plan). */
export type HostingPlan = 'free' | 'standard';

/** The folders a build can write: the site (policy, page, SWA config) and the Function App package. */
export type FolderRole = 'site' | 'functions';

export interface DnsRecord {
  /** The mail domain the record belongs to, so scripts can pick the DNS zone. */
  domain: string;
  /** Fully qualified, without the trailing dot. */
  name: string;
  type: 'TXT' | 'CNAME';
  ttl: number;
  /** Unquoted record data; `<name>` when it is not known yet (then `placeholder` says how to find it). */
  value: string;
  /** Present when `value` is a named placeholder: how to fill it in. */
  placeholder?: string;
}

// One hour, as Microsoft's guide recommends: short enough that a new id reaches senders the same day.
export const RECORD_TTL = 3600;

/** What is known of the app: from the config, or read from Azure by the azure commands. */
export interface HostFacts {
  /** The app's default host name, the CNAME's target (hosting.default_hostname, or Azure's answer). */
  defaultHostname?: string | undefined;
  /** A Function App's customDomainVerificationId, the asuid TXT's value (only Azure knows it). */
  verificationId?: string | undefined;
  /** hosting.app, for the commands that look the values up. */
  app?: string | undefined;
  resourceGroup?: string | undefined;
}

export interface Hosting {
  kind: HostingKind;
  /** What the app is called in messages: "Static Web App", "Function App". */
  name: string;
  /** The folders `build` writes for this kind, in build order (src/project/outputs.ts says where each goes). */
  folders: readonly FolderRole[];
  /** The folder the pipeline deploys. */
  deployed: FolderRole;
  /** Every default host name of this kind ends so (the CNAME's target). */
  hostSuffix: string;
  /** How many mail domains (custom domains mta-sts.<domain>) one app takes. */
  domainQuota(plan: HostingPlan): number;
  /** Why `count` domains do not fit one app of this kind and plan, and the ways out. */
  quotaMessage(count: number, plan: HostingPlan): string;
  /** What a host serves until its own certificate is issued, for "certificate pending" messages. */
  pendingCertificate: string;
  /** The Azure regions an app of this kind can be created in (`azure setup --region`); undefined: any. */
  regions?: readonly string[];
  /** Whether the pipeline's deploy step needs hosting.app (it deploys through the service connection by name). */
  deployNeedsApp: boolean;
  /** The records mta-sts.<domain> needs at the domain's DNS host for this kind (RFC 8461 §3.2: a host of its own). */
  hostRecords(domain: string, facts: HostFacts): DnsRecord[];
}
