// staticwebapp.config.json is the one part of the deploy that the emulator and Azure may read differently,
// so its shape is pinned here against the schema the SWA CLI ships (an invalid file is silently ignored).
import { readFileSync } from 'node:fs';
import ajvDraft04 from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';

const schema = JSON.parse(readFileSync('node_modules/@azure/static-web-apps-cli/schema/staticwebapp.config.json', 'utf8'));
const config = JSON.parse(readFileSync('staticwebapp.config.json', 'utf8'));
// A CommonJS module whose class is both module.exports and its `.default`; TypeScript types only the latter.
const AjvDraft04 = ajvDraft04.default;

interface Route { route: string; redirect?: string; rewrite?: string; statusCode?: number; allowedRoles?: string[]; headers?: Record<string, string> }

// SWA route patterns: exact paths, or a trailing `*` wildcard (the only form the schema allows).
function routeMatches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : pattern === path;
}

const POLICY = '/.well-known/mta-sts.txt';

describe('staticwebapp.config.json', () => {
  it('is valid against the SWA CLI schema (draft-04)', () => {
    const ajv = new AjvDraft04({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
  });

  it('never redirects, rewrites or restricts the policy', () => {
    const routes = (config.routes as Route[]).filter((r) => routeMatches(r.route, POLICY));
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) {
      expect(r).not.toHaveProperty('redirect');
      expect(r).not.toHaveProperty('rewrite');
      expect(r).not.toHaveProperty('allowedRoles');
      expect(r.statusCode ?? 200).toBe(200);
    }
    expect(config.responseOverrides ?? {}).toEqual({});
    expect(config).not.toHaveProperty('trailingSlash');
  });

  it('serves the policy as text/plain with a short cache', () => {
    const route = (config.routes as Route[]).find((r) => routeMatches(r.route, POLICY))!;
    expect(route.headers?.['Content-Type']).toMatch(/^text\/plain(;|$)/);
    const maxAge = Number(/max-age=(\d+)/.exec(route.headers?.['Cache-Control'] ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(3600);
    expect(config.mimeTypes['.txt']).toMatch(/^text\/plain/);
  });

  it('excludes /.well-known/* from the navigation fallback, so a missing file is a real 404', () => {
    expect(config.navigationFallback.exclude).toContain('/.well-known/*');
  });

  it('sets HSTS, nosniff and a strict CSP that forbids framing', () => {
    const h = config.globalHeaders;
    expect(h['Strict-Transport-Security']).toMatch(/max-age=\d{7,}/);
    expect(h['X-Content-Type-Options']).toBe('nosniff');
    expect(h['Content-Security-Policy']).toMatch(/^default-src 'none';/);
    expect(h['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    expect(h['Content-Security-Policy']).not.toMatch(/unsafe-|\*|https?:/);
  });
});
