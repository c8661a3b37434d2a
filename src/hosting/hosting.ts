// What serves the policy, as one adapter per hosting kind (config `hosting.kind`). Code elsewhere asks the
// adapter (`hostingOf(config)`) rather than branching on the kind, so a kind's facts live in one file each.
import type { Config } from '../config/config.ts';
import type { HostingKind } from '../config/raw-config.ts';
import type { Hosting } from './adapter.ts';
import { FUNCTION_APP } from './function-app.ts';
import { STATIC_WEB_APP } from './static-web-app.ts';

export type { FolderRole, Hosting } from './adapter.ts';

const ADAPTERS: Record<HostingKind, Hosting> = { 'static-web-app': STATIC_WEB_APP, 'function-app': FUNCTION_APP };

export function hostingOf(config: Pick<Config, 'hosting'>): Hosting {
  return ADAPTERS[config.hosting.kind];
}
