// What serves the policy, as one adapter per hosting kind (config `hosting.kind`). Code elsewhere asks the
// adapter (`hostingOf(config)`) rather than branching on the kind, so a kind's facts live in one file each.
import type { Hosting, HostingKind } from './adapter.ts';
import { FUNCTION_APP } from './function-app.ts';
import { STATIC_WEB_APP } from './static-web-app.ts';

export type { DnsRecord, FolderRole, HostFacts, Hosting, HostingKind, HostingPlan } from './adapter.ts';
export { RECORD_TTL } from './adapter.ts';
export { FUNCTION_APP_DOMAIN_QUOTA } from './function-app.ts';
export { CUSTOM_DOMAIN_QUOTA } from './static-web-app.ts';

const ADAPTERS: Record<HostingKind, Hosting> = { 'static-web-app': STATIC_WEB_APP, 'function-app': FUNCTION_APP };

/** The kind a config without hosting.kind gets. */
export const DEFAULT_HOSTING: Hosting = STATIC_WEB_APP;

/** Every kind, for usage messages and flags (`--expect-kind`). */
export const HOSTING_KINDS = Object.keys(ADAPTERS) as HostingKind[];

export function hostingOf(config: { hosting: { kind: HostingKind } }): Hosting {
  return ADAPTERS[config.hosting.kind];
}

/** The adapter of a kind as written in a config or flag (undefined for no kind: the default). */
export function hostingKind(kind: HostingKind | null | undefined): Hosting {
  return kind ? ADAPTERS[kind] : DEFAULT_HOSTING;
}
