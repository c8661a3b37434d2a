// The Function App package (hosting.kind: function-app) as `mta-sts build` writes it, and its one handler called
// through @azure/functions' own HttpRequest and HttpResponse classes: every route, host, method and header, and
// the policy bytes equal to home/'s. The package is built inside the project (test-results/, ignored by git) so
// its `import '@azure/functions'` resolves the template's own install, as the deployed app resolves its own.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.ts';
import { buildSite } from '../../src/site/build.ts';
import { buildFunctionApp, staleFunctionApp } from '../../src/site/function-app.ts';
import { defaultConfig } from './fixtures.ts';

// Issue 18's tenant: twelve accepted domains on one app.
const DOMAINS = Array.from({ length: 12 }, (_, i) => `d${i + 1}.example`);
const config = (overrides: Partial<Config['policy']> = {}): Config => ({
  ...defaultConfig(overrides),
  domains: DOMAINS,
  hosting: { kind: 'function-app', plan: 'standard', default_hostname: 'mta-sts-contoso.azurewebsites.net' },
});

type Handler = (request: HttpRequest) => Promise<HttpResponseInit>;
let work: string;
let functions: string;
let home: string;
let handler: Handler;
let registration: { methods: string[]; authLevel: string; route: string; handler: Handler };

beforeAll(async () => {
  await mkdir('test-results', { recursive: true });
  work = await mkdtemp(resolve('test-results', 'function-app-'));
  functions = join(work, 'functions');
  home = join(work, 'home');
  await buildSite(config(), home);
  expect(await buildFunctionApp(config(), functions)).toBe(true);
  handler = ((await import(pathToFileURL(join(functions, 'src/handler.js')).href)) as { mtaSts: Handler }).mtaSts;
  registration = ((await import(pathToFileURL(join(functions, 'src/index.js')).href)) as { registration: typeof registration }).registration;
}, 60_000);
afterAll(() => rm(work, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.WEBSITE_HOSTNAME;
});

async function call(method: string, url: string, headers: Record<string, string> = {}) {
  const host = new URL(url).host;
  const request = new HttpRequest({ method, url, headers: { host, ...headers } });
  const response = new HttpResponse(await registration.handler(request));
  const bytes = Buffer.from(await response.arrayBuffer());
  return { response, bytes };
}

describe('the Function App package', () => {
  it('has host.json with an empty routePrefix, so routes answer at the root (the article\'s option 2)', async () => {
    const host = JSON.parse(await readFile(join(functions, 'host.json'), 'utf8'));
    expect(host.version).toBe('2.0');
    expect(host.extensions.http.routePrefix).toBe('');
  });

  it('has a package.json whose main registers the function, pinned to the @azure/functions the tests ran', async () => {
    const pkg = JSON.parse(await readFile(join(functions, 'package.json'), 'utf8'));
    const installed = JSON.parse(await readFile('node_modules/@azure/functions/package.json', 'utf8'));
    expect(pkg.main).toBe('src/index.js');
    expect(pkg.type).toBe('module');
    expect(pkg.dependencies).toEqual({ '@azure/functions': installed.version });
  });

  it('registers one anonymous catch-all HTTP function on the v4 model whose handler is the handler module\'s', () => {
    expect(registration.authLevel).toBe('anonymous');
    expect(registration.route).toBe('{*path}');
    expect(registration.methods).toEqual(expect.arrayContaining(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']));
    expect(registration.handler).toBe(handler);
  });

  it('reads nothing at run time: the policy bytes are in src/content.js', async () => {
    const content = await readFile(join(functions, 'src/content.js'), 'utf8');
    expect(content).toContain(JSON.stringify(await readFile(join(home, '.well-known/mta-sts.txt'), 'ascii')));
    for (const file of ['handler.js', 'index.js', 'content.js']) {
      const code = await readFile(join(functions, 'src', file), 'utf8');
      expect(code, file).not.toMatch(/readFile|from 'node:|import\(|require\(/);
    }
  });
});

describe('the handler', () => {
  it('serves exactly home/\'s policy bytes on every configured mta-sts host, GET and HEAD, as text/plain', async () => {
    const policy = await readFile(join(home, '.well-known/mta-sts.txt'));
    for (const domain of DOMAINS) {
      const { response, bytes } = await call('GET', `https://mta-sts.${domain}/.well-known/mta-sts.txt`);
      expect(response.status).toBe(200);
      expect(bytes.equals(policy), domain).toBe(true);
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(response.headers.get('content-length')).toBe(String(policy.length));
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('set-cookie')).toBeNull();
      expect(response.cookies).toEqual([]);
      const head = await call('HEAD', `https://mta-sts.${domain}/.well-known/mta-sts.txt`);
      expect(head.response.status).toBe(200);
      expect(head.bytes.length).toBe(0);
      expect(head.response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    }
  });

  it('sends the site\'s headers: the policy route\'s cache lifetime and the global security headers', async () => {
    const swa = JSON.parse(await readFile(join(home, 'staticwebapp.config.json'), 'utf8'));
    const { response } = await call('GET', 'https://mta-sts.d1.example/.well-known/mta-sts.txt');
    expect(response.headers.get('cache-control')).toBe(swa.routes[0].headers['Cache-Control']);
    expect(response.headers.get('strict-transport-security')).toBe(swa.globalHeaders['Strict-Transport-Security']);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('takes the host as senders may write it: any case, with a port or a trailing dot', async () => {
    for (const host of ['MTA-STS.D7.Example', 'mta-sts.d7.example:443', 'mta-sts.d7.example.']) {
      const { response } = await call('GET', 'https://mta-sts.d7.example/.well-known/mta-sts.txt', { host });
      expect(response.status, host).toBe(200);
    }
  });

  it('serves the app\'s default host: hosting.default_hostname and Azure\'s WEBSITE_HOSTNAME', async () => {
    expect((await call('GET', 'https://mta-sts-contoso.azurewebsites.net/.well-known/mta-sts.txt')).response.status).toBe(200);
    expect((await call('GET', 'https://other-app.azurewebsites.net/.well-known/mta-sts.txt')).response.status).toBe(404);
    process.env.WEBSITE_HOSTNAME = 'other-app.azurewebsites.net';
    expect((await call('GET', 'https://other-app.azurewebsites.net/.well-known/mta-sts.txt')).response.status).toBe(200);
  });

  it('answers 404 for any other host, including a domain\'s own name and an unconfigured mta-sts host', async () => {
    for (const host of ['d1.example', 'mta-sts.d13.example', 'mta-sts.d1.example.evil.example', 'www.d1.example']) {
      const { response, bytes } = await call('GET', `https://${host}/.well-known/mta-sts.txt`);
      expect(response.status, host).toBe(404);
      expect(bytes.toString()).not.toContain('STSv1');
      expect(response.headers.get('location')).toBeNull();
    }
  });

  it('gives the page at /, with its stylesheet, and 404 for any other path', async () => {
    const page = await call('GET', 'https://mta-sts.d3.example/');
    expect(page.response.status).toBe(200);
    expect(page.response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // The host's own domain and no other: one app may serve many customers' domains (issue 25).
    const text = page.bytes.toString();
    expect(text).toContain('data-testid="domain">d3.example<');
    expect([...new Set(text.match(/\bd\d+\.example\b/g))]).toEqual(['d3.example']);
    // Apart from that sentence it is home/'s page; the app's own host gets home/'s page, which names no domain.
    const sameTime = (t: string) => t.replace(/(datetime=")[^"]+(">)[^<]+/, '$1T$2T');
    const shared = await readFile(join(home, 'index.html'), 'utf8');
    expect(sameTime(text.replace(/<p data-testid="domain-line">.*?<\/p>/, ''))).toBe(sameTime(shared.replace(/<p data-testid="domain-line">.*?<\/p>/, '')));
    const own = await call('GET', 'https://mta-sts-contoso.azurewebsites.net/');
    expect(sameTime(own.bytes.toString())).toBe(sameTime(shared));
    expect(shared).not.toMatch(/\bd\d+\.example\b/);
    expect(page.response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const css = /href="(\/assets\/[^"]+\.css)"/.exec(page.bytes.toString())![1]!;
    const style = await call('GET', `https://mta-sts.d3.example${css}`);
    expect(style.response.status).toBe(200);
    expect(style.response.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(style.bytes.equals(await readFile(join(home, css)))).toBe(true);
    for (const path of ['/.well-known/mta-sts.txt/', '/.well-known/', '/mta-sts.txt', '/staticwebapp.config.json', '/api/.well-known/mta-sts.txt', '/index.htm']) {
      expect((await call('GET', `https://mta-sts.d3.example${path}`)).response.status, path).toBe(404);
    }
  });

  it('ignores a query string', async () => {
    expect((await call('GET', 'https://mta-sts.d2.example/.well-known/mta-sts.txt?x=1')).response.status).toBe(200);
  });

  it('answers 405 with Allow for any method but GET and HEAD, on the policy and on the page', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      for (const path of ['/.well-known/mta-sts.txt', '/']) {
        const { response, bytes } = await call(method, `https://mta-sts.d2.example${path}`);
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.get('allow')).toBe('GET, HEAD');
        expect(bytes.toString()).not.toContain('STSv1');
      }
    }
  });
});

describe('buildFunctionApp', () => {
  it('leaves a current package alone and lists what a config change makes stale', async () => {
    const built = JSON.parse((await readFile(join(functions, 'src/content.js'), 'utf8')).match(/^export const BUILT = (.+);$/m)![1]!) as { built: string };
    expect(built.built).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await new Promise((r) => setTimeout(r, 1100)); // a rebuild a second later keeps the policy's build time
    expect(await staleFunctionApp(config(), functions)).toEqual([]);
    expect(await buildFunctionApp(config(), functions)).toBe(false);
    expect(await staleFunctionApp(config({ mode: 'enforce' }), functions)).toEqual(['src/content.js']);
  });

  it('has a lock cut from the template\'s own, so the Deploy stage installs the tested versions with npm ci', async () => {
    const lock = JSON.parse(await readFile(join(functions, 'package-lock.json'), 'utf8'));
    const root = JSON.parse(await readFile('package-lock.json', 'utf8'));
    expect(lock.lockfileVersion).toBe(3);
    expect(lock.packages[''].dependencies).toEqual(JSON.parse(await readFile(join(functions, 'package.json'), 'utf8')).dependencies);
    const paths = Object.keys(lock.packages).filter((k) => k !== '');
    expect(paths).toContain('node_modules/@azure/functions');
    for (const path of paths) {
      expect(lock.packages[path].integrity, path).toBe(root.packages[path].integrity);
      expect(lock.packages[path].version, path).toBe(root.packages[path].version);
      expect(lock.packages[path].resolved, path).toMatch(/^https:\/\/registry\.npmjs\.org\/.+\.tgz$/);
    }
    // Every dependency of every locked package is locked too.
    for (const path of paths) for (const dep of Object.keys(lock.packages[path].dependencies ?? {})) expect(paths, `${path} needs ${dep}`).toContain(`node_modules/${dep}`);
  });

  it('ignores the node_modules an install adds: still current, and a rebuild drops it', async () => {
    await mkdir(join(functions, 'node_modules/cookie'), { recursive: true });
    await writeFile(join(functions, 'node_modules/cookie/index.js'), '');
    expect(await staleFunctionApp(config(), functions)).toEqual([]);
    expect(await buildFunctionApp(config({ max_age: 86400 * 8 }), functions)).toBe(true);
    await expect(readFile(join(functions, 'node_modules/cookie/index.js'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses to replace a folder that is not a previous package, touching nothing', async () => {
    const other = join(work, 'not-a-package');
    await mkdir(other);
    await writeFile(join(other, 'notes.txt'), 'mine');
    await expect(buildFunctionApp(config(), other)).rejects.toThrow(/is not a previous build.*notes\.txt.*the default is functions/);
    expect(await readFile(join(other, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
