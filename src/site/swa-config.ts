// What the site needs of staticwebapp.config.json: the policy served as it is, as text/plain, never redirected,
// rewritten, restricted or replaced by the page. Azure ignores an invalid file silently, so this is checked
// before every deploy (mta-sts verify), not only in the template's own tests.
import { POLICY_PATH } from '../rfc/policy.ts';

interface Route { route?: unknown; redirect?: unknown; rewrite?: unknown; statusCode?: unknown; allowedRoles?: unknown; headers?: Record<string, unknown> }

// SWA route patterns: exact paths, or a trailing `*` wildcard (the only form SWA's schema allows).
export function routeMatches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : pattern === path;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every way `text` (the file's contents) would not serve the policy right; empty when it would. */
export function swaConfigProblems(text: string): string[] {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    return [`is not JSON (${(e as Error).message}); Azure would ignore it and serve the policy without its headers`];
  }
  if (!isObject(config)) return ['must be a JSON object'];
  const problems: string[] = [];
  const routes = (Array.isArray(config.routes) ? config.routes : []).filter(isObject) as Route[];
  const policyRoutes = routes.filter((r) => typeof r.route === 'string' && routeMatches(r.route, POLICY_PATH));
  if (policyRoutes.length === 0) problems.push(`needs a route for ${POLICY_PATH} that sets its Content-Type to text/plain`);
  for (const r of policyRoutes) {
    // RFC 8461 §3.3: senders never follow redirects, and need a 200 with the policy itself.
    for (const key of ['redirect', 'rewrite', 'allowedRoles'] as const) {
      if (r[key] !== undefined) problems.push(`the route "${String(r.route)}" must not set ${key}: senders fetch ${POLICY_PATH} anonymously, take only a 200 and never follow a redirect`);
    }
    if (r.statusCode !== undefined && r.statusCode !== 200) problems.push(`the route "${String(r.route)}" must not set statusCode ${String(r.statusCode)}: senders take only a 200`);
  }
  const first = policyRoutes[0];
  const type = first?.headers?.['Content-Type'];
  if (first && !(typeof type === 'string' && /^text\/plain(;|$)/.test(type))) {
    problems.push(`the route "${String(first.route)}" must set headers."Content-Type" to "text/plain; charset=utf-8" (RFC 8461 §3.2)`);
  }
  const fallback = config.navigationFallback;
  if (isObject(fallback) && !(Array.isArray(fallback.exclude) && fallback.exclude.includes('/.well-known/*'))) {
    problems.push('navigationFallback.exclude must contain "/.well-known/*", or a missing policy is answered with the page and status 200');
  }
  if (isObject(config.responseOverrides) && Object.keys(config.responseOverrides).length > 0) {
    problems.push('must not set responseOverrides: they can turn the policy\'s answer into a redirect or another page');
  }
  if (config.trailingSlash !== undefined) problems.push(`must not set trailingSlash: it can redirect ${POLICY_PATH}`);
  const mime = isObject(config.mimeTypes) ? config.mimeTypes['.txt'] : undefined;
  if (mime !== undefined && !(typeof mime === 'string' && /^text\/plain(;|$)/.test(mime))) {
    problems.push('mimeTypes.".txt" must be text/plain');
  }
  return problems;
}
