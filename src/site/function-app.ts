// The Function App package (hosting.kind: function-app): host.json, package.json and the one HTTP function,
// written to functions/ beside home/ by the same staging and swap as the site. The handler's source is the
// hand-written function-app/ folder, copied as it is; src/content.js carries the bytes of a fresh site build
// (policy, page, headers), so the deployed app serves exactly what home/ holds and never reads the config.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.ts';
import { FOLDER_NAMES } from '../project/outputs.ts';
import { FOLDER_LAYOUTS, HANDLER_FILES } from './layouts.ts';
import { POLICY_PATH } from '../rfc/policy.ts';
import { buildFolder, builtOf, domainLine, keptOrNow, renderSite, siteDomainLine, stageFolder, staleInFolder, SiteError, SWA_CONFIG_SOURCE, type BuildHook, type FolderLayout, type PreviousBuild } from './build.ts';
import { effectiveId } from '../config/policy.ts';
import { routeMatches } from './swa-config.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const HANDLER_SOURCE_DIR = join(PROJECT_ROOT, 'function-app');
export const FUNCTIONS_DIR = FOLDER_NAMES.functions;
const SOURCE_FILES = HANDLER_FILES;

export const FUNCTION_APP_LAYOUT: FolderLayout = FOLDER_LAYOUTS.functions;

// Extensions a Vite build of site/ can emit, with the type each is served as.
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Writes the Function App package to `outDir` (see buildFolder); false when it was already current. */
export async function buildFunctionApp(config: Config, outDir: string, swaConfig = SWA_CONFIG_SOURCE, hook?: BuildHook): Promise<boolean> {
  const out = resolve(outDir);
  return buildFolder(FUNCTION_APP_LAYOUT, out, (staging) => renderFunctionApp(config, staging, out, swaConfig), hook);
}

/** For a journalled change (src/files/change.ts): the package goes to `.functions.new` beside `outDir`; false when current. */
export async function stageFunctionApp(config: Config, outDir: string, hook?: BuildHook): Promise<boolean> {
  const out = resolve(outDir);
  return stageFolder(FUNCTION_APP_LAYOUT, out, (staging) => renderFunctionApp(config, staging, out, SWA_CONFIG_SOURCE), hook);
}

/** The files of `outDir` that differ from a fresh Function App package (empty when current). */
export async function staleFunctionApp(config: Config, outDir: string, swaConfig = SWA_CONFIG_SOURCE): Promise<string[]> {
  const out = resolve(outDir);
  return staleInFolder(FUNCTION_APP_LAYOUT, out, (staging) => renderFunctionApp(config, staging, out, swaConfig));
}

async function renderFunctionApp(config: Config, into: string, out: string, swaConfig: string): Promise<void> {
  // The site is rendered aside (not read from home/), so a stale home/ can never leak into the package.
  const site = await mkdtemp(join(tmpdir(), 'mta-sts-site-'));
  try {
    await renderSite(config, site, out, swaConfig, keptOrNow(await previousBuild(out), effectiveId(config)));
    const content = await contentModule(config, site);
    await writeFile(join(into, 'host.json'), `${JSON.stringify(HOST_JSON, null, 2)}\n`);
    const pkg = packageJson();
    await writeFile(join(into, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    await writeFile(join(into, 'package-lock.json'), `${JSON.stringify(await packageLock(pkg), null, 2)}\n`);
    await mkdir(join(into, 'src'));
    for (const name of SOURCE_FILES) await writeFile(join(into, 'src', name), await readFile(join(HANDLER_SOURCE_DIR, name)));
    await writeFile(join(into, 'src', 'content.js'), content);
  } finally {
    await rm(site, { recursive: true, force: true });
  }
}

// routePrefix "": routes answer at the root, as the article's option 2 sets it, so /.well-known/mta-sts.txt is not /api/….
const HOST_JSON = {
  version: '2.0',
  extensions: { http: { routePrefix: '' } },
  logging: { logLevel: { default: 'Warning' } },
};

function packageJson(): Record<string, unknown> {
  return {
    name: 'mta-sts-function-app',
    private: true,
    description: 'Written by `mta-sts build` (hosting.kind: function-app); edit mta-sts.config.yaml, not this folder.',
    type: 'module',
    main: 'src/index.js',
    engines: { node: '>=22' },
    // The exact version the template's tests ran the handler with.
    dependencies: { '@azure/functions': functionsVersion() },
  };
}

interface LockEntry { version?: string; dependencies?: Record<string, string>; [key: string]: unknown }

/**
 * The package's lock, cut from the template's own package-lock.json: @azure/functions and what it needs, at the
 * versions and integrity hashes the template installed and tested. So the Deploy stage installs the package with
 * `npm ci`, reproducibly, and from the npm cache its own install just filled.
 */
async function packageLock(pkg: Record<string, unknown>): Promise<Record<string, unknown>> {
  const rootLock = join(PROJECT_ROOT, 'package-lock.json');
  let packages: Record<string, LockEntry>;
  try {
    packages = (JSON.parse(await readFile(rootLock, 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  } catch (e) {
    throw new SiteError(`cannot read the template's package-lock.json (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); restore it from the template`);
  }
  const picked: Record<string, LockEntry> = {};
  // npm's lookup: a dependency of the package at `from` is in from/node_modules/NAME, else one folder up, … else node_modules/NAME.
  const visit = (from: string, name: string): void => {
    for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const path = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      const entry = packages[path];
      if (entry) {
        if (picked[path]) return;
        const { dev: _dev, devOptional: _optional, peer: _peer, ...kept } = entry;
        // The template's lock leaves out registry URLs; npm ci offline needs them to take the tarball from its cache.
        const bare = name.split('/').pop()!;
        picked[path] = { ...kept, resolved: entry.resolved ?? `https://registry.npmjs.org/${name}/-/${bare}-${entry.version}.tgz` };
        for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep);
        return;
      }
      if (!dir) throw new SiteError(`the template's package-lock.json has no ${name}: run npm install, then build again`);
    }
  };
  const dependencies = pkg.dependencies as Record<string, string>;
  for (const name of Object.keys(dependencies)) visit('', name);
  const sorted = Object.fromEntries(Object.keys(picked).sort().map((k) => [k, picked[k]!]));
  return { name: pkg.name, lockfileVersion: 3, requires: true, packages: { '': { name: pkg.name, engines: pkg.engines, dependencies }, ...sorted } };
}

function functionsVersion(): string {
  const require = createRequire(import.meta.url);
  try {
    return (require('@azure/functions/package.json') as { version: string }).version;
  } catch {
    throw new SiteError('@azure/functions is not installed; run npm ci (it is one of the template\'s dependencies)');
  }
}

interface SwaConfig { globalHeaders?: Record<string, string>; routes?: { route?: unknown; headers?: Record<string, string> }[] }

async function contentModule(config: Config, site: string): Promise<string> {
  const swa = JSON.parse(await readFile(join(site, 'staticwebapp.config.json'), 'utf8')) as SwaConfig;
  const policyRoute = (swa.routes ?? []).find((r) => typeof r.route === 'string' && routeMatches(r.route, POLICY_PATH));
  const files: Record<string, { type: string; base64: string }> = {};
  for (const path of await pagePaths(site)) {
    const type = TYPES[extname(path)];
    if (!type) throw new SiteError(`the page build wrote ${path}, a kind of file the Function App does not serve; keep site/ to ${Object.keys(TYPES).join(' ')} files`);
    files[path] = { type, base64: (await readFile(join(site, path))).toString('base64') };
  }
  const hosts = [...config.domains.map((d) => `mta-sts.${d}`), ...(config.hosting.default_hostname ? [config.hosting.default_hostname] : [])];
  const policy = await readFile(join(site, POLICY_PATH), 'ascii');
  // Each mta-sts.<domain> gets a page naming its own domain only: one app may serve many customers' domains,
  // and a stranger looking at one must not learn the others.
  const page = files['/index.html'];
  if (!page) throw new SiteError('the page build wrote no index.html');
  const html = Buffer.from(page.base64, 'base64').toString('utf8');
  const shared = siteDomainLine(config);
  if (html.split(shared).length !== 2) throw new SiteError('site/index.html must hold {{{DOMAIN_LINE}}} exactly once');
  const pages = Object.fromEntries(config.domains.map((d) => [`mta-sts.${d}`, Buffer.from(html.replace(shared, () => domainLine(d))).toString('base64')]));
  const { 'Content-Type': _type, ...policyHeaders } = policyRoute?.headers ?? {};
  return [
    '// Written by `mta-sts build` from mta-sts.config.yaml (hosting.kind: function-app); do not edit.',
    `export const HOSTS = ${JSON.stringify(hosts, null, 2)};`,
    `export const POLICY = ${JSON.stringify(policy)};`,
    `export const POLICY_HEADERS = ${JSON.stringify(policyHeaders, null, 2)};`,
    `export const HEADERS = ${JSON.stringify(swa.globalHeaders ?? {}, null, 2)};`,
    `export const FILES = ${JSON.stringify(files, null, 2)};`,
    `export const PAGES = ${JSON.stringify(pages, null, 2)};`,
    `export const BUILT = ${JSON.stringify(builtOf(html) ?? {})};`,
    '',
  ].join('\n');
}

/** The policy id and build time of the package already in `out`, so a rebuild of the same policy keeps its time. */
async function previousBuild(out: string): Promise<PreviousBuild | undefined> {
  const content = await readFile(join(out, 'src', 'content.js'), 'utf8').catch(() => '');
  const line = /^export const BUILT = (\{.*\});$/m.exec(content)?.[1];
  if (!line) return undefined;
  const { id, built } = JSON.parse(line) as Partial<PreviousBuild>;
  return typeof id === 'string' && typeof built === 'string' ? { id, built } : undefined;
}

// The page's files as URL paths (/index.html, /assets/…): everything the site build wrote but the policy and the SWA config.
async function pagePaths(site: string): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of await readdir(site, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = `/${join(entry.parentPath, entry.name).slice(site.length + 1).split('\\').join('/')}`;
    if (path !== POLICY_PATH && path !== '/staticwebapp.config.json') paths.push(path);
  }
  return paths.sort();
}
