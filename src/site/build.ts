// Renders the deployed folder: the policy file, the human page (Vite) and the SWA config. It is written
// through src/files/folder.ts (a temp folder beside it, swapped in by rename), so a failed build never
// leaves a half-written folder behind.
import { printable } from '../printable.ts';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as viteBuild, type Plugin } from 'vite';
import type { Config } from '../config/config.ts';
import { POLICY_PATH } from '../rfc/policy.ts';
import { effectiveId, policyText } from '../config/policy.ts';
import { buildFolder, FolderError as SiteError, stageFolder, staleInFolder, type BuildHook, type FolderLayout } from '../files/folder.ts';
import { FOLDER_LAYOUTS } from './layouts.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SITE_DIR = join(PROJECT_ROOT, 'site');
export const SWA_CONFIG_SOURCE = join(PROJECT_ROOT, 'staticwebapp.config.json');

const MODE_MEANING = {
  testing: 'senders deliver as before and report TLS problems to the domain (RFC 8460), so nothing bounces yet.',
  enforce: 'senders refuse to deliver unless the connection to a listed MX host is encrypted and its certificate is valid.',
  none: 'the policy is being withdrawn; senders treat these domains as having no MTA-STS policy.',
} as const;

/** Thrown for problems the user can fix (e.g. an unreadable staticwebapp.config.json); no stack trace. */
export { SiteError };
export { buildFolder, stageFolder, staleInFolder };
export type { BuildHook, BuildStep, FolderLayout, Render } from '../files/folder.ts';

const ASSETS_DIR = 'assets';
const POLICY_FILE = POLICY_PATH.slice(1); // `.well-known/mta-sts.txt`, relative to the folder
export const SITE_LAYOUT: FolderLayout = FOLDER_LAYOUTS.site;


/**
 * Writes the site to `outDir`; returns false when it was already up to date (then nothing is touched).
 * `outDir` must be missing, empty or a previous build; anything else is refused with a SiteError.
 */
export async function buildSite(config: Config, outDir: string, swaConfig = SWA_CONFIG_SOURCE, hook?: BuildHook): Promise<boolean> {
  const out = resolve(outDir);
  return buildFolder(SITE_LAYOUT, out, (staging) => renderSite(config, staging, out, swaConfig), hook);
}

/** Lists the files whose bytes differ between a fresh build and `outDir` (empty when up to date). */
export async function staleFiles(config: Config, outDir: string, swaConfig = SWA_CONFIG_SOURCE): Promise<string[]> {
  const out = resolve(outDir);
  return staleInFolder(SITE_LAYOUT, out, (staging) => renderSite(config, staging, out, swaConfig));
}

/**
 * For a journalled change of several files (src/files/change.ts): renders the site into `.out.new` beside
 * `outDir` and stops there; switchStaged (swap.ts) moves it in once the change is committed. False when
 * `outDir` is already up to date (nothing is staged).
 */
export async function stageSite(config: Config, outDir: string, hook?: BuildHook): Promise<boolean> {
  const out = resolve(outDir);
  return stageFolder(SITE_LAYOUT, out, (staging) => renderSite(config, staging, out), hook);
}

/**
 * Writes the site's files (policy, page, SWA config) into the empty folder `into`; `out` names the
 * destination in messages. The Function App package is made from the same files (src/site/function-app.ts).
 */
export async function renderSite(config: Config, into: string, out: string, swaConfig = SWA_CONFIG_SOURCE): Promise<void> {
  // serializePolicy re-parses its output, so these bytes are valid RFC 8461 §3.2 (ASCII, < 64 KiB).
  const policy = policyText(config);
  try {
    await viteBuild({
      root: SITE_DIR,
      configFile: false,
      logLevel: 'silent',
      base: '/',
      publicDir: false,
      plugins: [pageData(config, policy)],
      build: { outDir: into, assetsDir: ASSETS_DIR, emptyOutDir: false, assetsInlineLimit: 0 },
    });
  } catch (e) {
    throw viteError(e, out);
  }
  await mkdir(join(into, dirname(POLICY_FILE)));
  await writeFile(join(into, POLICY_FILE), policy, 'ascii');
  await writeFile(join(into, 'staticwebapp.config.json'), await readSwaConfig(swaConfig));
}

// Vite (rolldown) reports a failed write (a full disk) as one long message with a Rust backtrace and
// no error code; keep only the operating system's cause, worded like every other write failure. Other
// errors are bugs in the template and keep their stack.
function viteError(e: unknown, out: string): unknown {
  const text = String((e as Error | undefined)?.message ?? e).replace(/\x1b\[[0-9;]*m/g, '').split(/\n\s*Stack backtrace:/)[0]!;
  if ((e as NodeJS.ErrnoException).code || !/Failed to write file|\(os error \d+\)/.test(text)) return e;
  const cause = /Caused by:\s*\n\s*(.+)/.exec(text)?.[1]?.trim() ?? 'the page could not be written';
  return new SiteError(`cannot write ${out}: ${printable(cause)}`);
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
