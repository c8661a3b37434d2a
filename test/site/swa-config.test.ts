// staticwebapp.config.json is the one part of the deploy that the emulator and Azure may read differently,
// so its shape is pinned here against the schema the SWA CLI ships (an invalid file is silently ignored).
import { readFileSync } from 'node:fs';
import ajvDraft04 from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { routeMatches, swaConfigProblems } from '../../src/site/swa-config.ts';

const schema = JSON.parse(readFileSync('node_modules/@azure/static-web-apps-cli/schema/staticwebapp.config.json', 'utf8'));
const config = JSON.parse(readFileSync('staticwebapp.config.json', 'utf8'));
// A CommonJS module whose class is both module.exports and its `.default`; TypeScript types only the latter.
const AjvDraft04 = ajvDraft04.default;

interface Route { route: string; redirect?: string; rewrite?: string; statusCode?: number; allowedRoles?: string[]; headers?: Record<string, string> }

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

// What `mta-sts verify` (the pipelines' Build) says of a staticwebapp.config.json: nothing for the shipped one,
// and one problem, naming the key, for each way a fork's edit could stop the policy being served right.
describe('swaConfigProblems', () => {
  const text = readFileSync('staticwebapp.config.json', 'utf8');
  const edit = (change: (c: Record<string, any>) => void): string => {
    const c = JSON.parse(text);
    change(c);
    return JSON.stringify(c);
  };

  it('finds nothing wrong with the shipped file', () => {
    expect(swaConfigProblems(text)).toEqual([]);
  });

  it.each<[string, (c: Record<string, any>) => void, RegExp]>([
    ['a redirect of the policy', (c) => { c.routes[0].redirect = '/x'; }, /must not set redirect: .*never follow a redirect/],
    ['a rewrite of the policy', (c) => { c.routes[0].rewrite = '/x'; }, /must not set rewrite/],
    ['roles on the policy', (c) => { c.routes[0].allowedRoles = ['authenticated']; }, /must not set allowedRoles/],
    ['another status', (c) => { c.routes[0].statusCode = 404; }, /must not set statusCode 404/],
    ['a wildcard route that redirects', (c) => { c.routes.push({ route: '/.well-known/*', redirect: '/' }); }, /the route "\/\.well-known\/\*" must not set redirect/],
    ['no route for the policy', (c) => { c.routes = []; }, /needs a route for \/\.well-known\/mta-sts\.txt/],
    ['another Content-Type', (c) => { c.routes[0].headers['Content-Type'] = 'text/html'; }, /must set headers\."Content-Type" to "text\/plain; charset=utf-8" \(RFC 8461 §3\.2\)/],
    ['a fallback over .well-known', (c) => { c.navigationFallback.exclude = ['/*.css']; }, /navigationFallback\.exclude must contain "\/\.well-known\/\*"/],
    ['a response override', (c) => { c.responseOverrides = { 404: { redirect: '/' } }; }, /must not set responseOverrides/],
    ['trailingSlash', (c) => { c.trailingSlash = 'always'; }, /must not set trailingSlash/],
    ['.txt as another type', (c) => { c.mimeTypes['.txt'] = 'application/octet-stream'; }, /mimeTypes\."\.txt" must be text\/plain/],
  ])('names %s', (_what, change, message) => {
    expect(swaConfigProblems(edit(change))).toEqual([expect.stringMatching(message)]);
  });

  it('names a file that is not JSON, or not an object', () => {
    expect(swaConfigProblems('{ "routes": [')).toEqual([expect.stringMatching(/^is not JSON \(.*\); Azure would ignore it/)]);
    expect(swaConfigProblems('[]')).toEqual(['must be a JSON object']);
  });
});
