// Renders the deployed folder: the policy file, the human page (Vite) and the SWA config.
// Everything is written to a sibling temp dir and swapped in by rename, so a failed build
// never leaves a half-written `home/` behind.
import { chmod, mkdtemp, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as viteBuild, type Plugin } from 'vite';
import type { Config } from '../config/config.ts';
import { POLICY_PATH } from '../rfc/policy.ts';
import { effectiveId, policyText } from '../config/policy.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SITE_DIR = join(PROJECT_ROOT, 'site');
export const SWA_CONFIG_SOURCE = join(PROJECT_ROOT, 'staticwebapp.config.json');

const MODE_MEANING = {
  testing: 'senders deliver as before and report TLS problems to the domain (RFC 8460), so nothing bounces yet.',
  enforce: 'senders refuse to deliver unless the connection to a listed MX host is encrypted and its certificate is valid.',
  none: 'the policy is being withdrawn; senders treat these domains as having no MTA-STS policy.',
} as const;

/** Thrown for problems the user can fix (e.g. an unreadable staticwebapp.config.json); no stack trace. */
export class SiteError extends Error {}

/** Writes the site to `outDir`; returns false when it was already up to date (then nothing is touched). */
export async function buildSite(config: Config, outDir: string, swaConfig = SWA_CONFIG_SOURCE): Promise<boolean> {
  const out = resolve(outDir);
  return withStaging(config, out, swaConfig, async (staging) => {
    // An up-to-date folder is left alone, so rebuilding never disturbs a server that is serving it.
    if ((await differences(staging, out)).length === 0) return false;
    await swapIn(staging, out);
    return true;
  });
}

/** Lists the files whose bytes differ between a fresh build and `outDir` (empty when up to date). */
export async function staleFiles(config: Config, outDir: string, swaConfig = SWA_CONFIG_SOURCE): Promise<string[]> {
  const out = resolve(outDir);
  return withStaging(config, out, swaConfig, (staging) => differences(staging, out));
}

// Renders into a temp folder beside `out`, runs `use`, and always removes what is left of the temp folder.
// File-system failures (a read-only folder, `--out` naming a file) become SiteErrors: the user's to fix.
async function withStaging<T>(config: Config, out: string, swaConfig: string, use: (staging: string) => Promise<T>): Promise<T> {
  let staging: string | undefined;
  try {
    const kind = await stat(out).catch(() => undefined);
    if (kind && !kind.isDirectory()) throw new SiteError(`${out} exists and is not a folder; choose another --out`);
    staging = await renderToTemp(config, out, swaConfig);
    return await use(staging);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof SiteError || typeof code !== 'string') throw e;
    throw new SiteError(`cannot write ${out}: ${(e as Error).message}`);
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

async function differences(fresh: string, current: string): Promise<string[]> {
  const [a, b] = await Promise.all([readTree(fresh), readTree(current)]);
  const names = new Set([...a.keys(), ...b.keys()]);
  const same = (n: string) => {
    const [x, y] = [a.get(n), b.get(n)];
    return x !== undefined && y !== undefined && x.equals(y);
  };
  return [...names].filter((n) => !same(n)).sort();
}

async function renderToTemp(config: Config, out: string, swaConfig: string): Promise<string> {
  await mkdir(dirname(out), { recursive: true });
  // Same parent as the output, so the final rename never crosses a file system.
  const staging = await mkdtemp(join(dirname(out), `.${basename(out)}.build-`));
  try {
    await chmod(staging, 0o755); // mkdtemp makes it private; the result is a normal, world-readable folder
    // serializePolicy re-parses its output, so these bytes are valid RFC 8461 §3.2 (ASCII, < 64 KiB).
    const policy = policyText(config);
    await viteBuild({
      root: SITE_DIR,
      configFile: false,
      logLevel: 'silent',
      base: '/',
      publicDir: false,
      plugins: [pageData(config, policy)],
      build: { outDir: staging, emptyOutDir: false, assetsInlineLimit: 0 },
    });
    await mkdir(join(staging, '.well-known'));
    await writeFile(join(staging, POLICY_PATH), policy, 'ascii');
    await writeFile(join(staging, 'staticwebapp.config.json'), await readSwaConfig(swaConfig));
    return staging;
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
}

async function readSwaConfig(path: string): Promise<string> {
  const name = relative(process.cwd(), path) || path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SiteError(`cannot read ${name} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); restore it from the template`);
  }
  try {
    JSON.parse(text);
  } catch (e) {
    throw new SiteError(`${name}: not valid JSON: ${(e as Error).message}`);
  }
  return text;
}

function pageData(config: Config, policy: string): Plugin {
  const values: Record<string, string> = {
    DOMAINS: config.domains.join(', '),
    MODE: config.policy.mode,
    MODE_MEANING: MODE_MEANING[config.policy.mode],
    POLICY: policy.replace(/\r\n/g, '\n').trimEnd(),
    POLICY_ID: effectiveId(config),
  };
  return {
    name: 'mta-sts-page-data',
    // `{{KEY}}`, not Vite's own `%KEY%`, which Vite would fill from its env (`%MODE%` is "production").
    transformIndexHtml: {
      order: 'pre',
      handler: (html) => html.replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => (key in values ? escapeHtml(values[key]) : whole)),
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Replace `out` with `staging`: the old tree is moved aside first, put back if the swap fails, and
// removed only after it succeeded.
async function swapIn(staging: string, out: string): Promise<void> {
  const old = `${staging}.old`;
  let hadOld = true;
  try {
    await rename(out, old);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    hadOld = false;
  }
  try {
    await rename(staging, out);
  } catch (e) {
    if (hadOld) await rename(old, out);
    throw e;
  }
  if (hadOld) await rm(old, { recursive: true, force: true });
}

async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw e;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), await readFile(path));
  }
  return files;
}
