// Renders the deployed folder: the policy file, the human page (Vite) and the SWA config. It is written
// through src/files/folder.ts (a temp folder beside it, swapped in by rename), so a failed build never
// leaves a half-written folder behind.
import { printable } from '../printable.ts';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import type { Config } from '../config/config.ts';
import { POLICY_PATH } from '../rfc/policy.ts';
import { effectiveId, policyText } from '../config/policy.ts';
import { buildFolder, FolderError as SiteError, stageFolder, staleInFolder, type BuildHook, type FolderLayout } from '../files/folder.ts';
import { FOLDER_LAYOUTS } from './layouts.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SITE_DIR = join(PROJECT_ROOT, 'site');
export const SWA_CONFIG_SOURCE = join(PROJECT_ROOT, 'staticwebapp.config.json');

const MODE_MEANING = {
  testing: 'senders deliver as before, so nothing bounces yet; the policy only tells them what to expect.',
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
export async function renderSite(config: Config, into: string, out: string, swaConfig = SWA_CONFIG_SOURCE, built?: string): Promise<void> {
  // serializePolicy re-parses its output, so these bytes are valid RFC 8461 §3.2 (ASCII, < 64 KiB).
  const policy = policyText(config);
  built ??= keptOrNow(builtOf(await readFile(join(out, 'index.html'), 'utf8').catch(() => '')), effectiveId(config));
  // Vite is loaded on the first render, not with this module: a promote or retire that stops before rendering
  // (a refusal, a lock held by another command) never pays for it.
  const { build: viteBuild } = await import('vite');
  try {
    await viteBuild({
      root: SITE_DIR,
      configFile: false,
      logLevel: 'silent',
      base: '/',
      publicDir: false,
      plugins: [pageData(config, policy, built)],
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

/** A previous build's policy id and build time, when it had both. */
export interface PreviousBuild { id: string; built: string }

/**
 * The policy's build time: kept from the previous build while the policy id is the same (so a rebuild, and
 * verify's fresh one, give the same bytes, and the page tells since when this policy is served), else now.
 */
export function keptOrNow(previous: PreviousBuild | undefined, id: string): string {
  return previous?.id === id ? previous.built : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The policy id and build time a built page shows (the site's index.html, or a Function App's copy of it). */
export function builtOf(page: string): PreviousBuild | undefined {
  const built = /<time data-testid="built" datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"/.exec(page)?.[1];
  const id = /<code data-testid="policy-id">([A-Za-z0-9]{1,32})<\/code>/.exec(page)?.[1];
  return built && id ? { id, built } : undefined;
}

/**
 * The sentence that names the domain. The site serves one page to every host, so with several domains it names
 * none (a stranger at mta-sts.contoso.com learns nothing of the others); the Function App gives each host its own
 * (function-app.ts replaces this sentence per host).
 */
export function domainLine(domain: string | undefined): string {
  const whose = domain ? `mail sent to <strong data-testid="domain">${escapeHtml(domain)}</strong>` : 'mail sent to the domain in this host\'s name (for mta-sts.example.com, example.com)';
  return `<p data-testid="domain-line">This host publishes the <a href="https://www.rfc-editor.org/rfc/rfc8461">MTA-STS</a> policy for ${whose}. ` +
    'Sending mail servers read it to learn that mail for this domain must travel over an encrypted, authenticated connection.</p>';
}

export function siteDomainLine(config: Config): string {
  return domainLine(config.domains.length === 1 ? config.domains[0] : undefined);
}

/** max_age in words: senders keep the policy this long (RFC 8461 §3.2). */
function maxAgeText(seconds: number): string {
  const units: [number, string][] = [[86_400, 'day'], [3_600, 'hour'], [60, 'minute']];
  const [size, name] = units.find(([n]) => seconds >= n && seconds % n === 0) ?? [1, 'second'];
  const n = seconds / size;
  return `${seconds} seconds${size > 1 ? ` (${n} ${name}${n === 1 ? '' : 's'})` : ''}: how long senders keep this policy before they fetch it again`;
}

function contactHtml(contact: string): string {
  const href = contact.startsWith('https://') ? contact : `mailto:${contact}`;
  return `<a href="${escapeHtml(href)}" data-testid="contact">${escapeHtml(contact)}</a>`;
}

function pageData(config: Config, policy: string, built: string): Plugin {
  const values: Record<string, string> = {
    MODE: config.policy.mode,
    MODE_MEANING: MODE_MEANING[config.policy.mode],
    MAX_AGE: maxAgeText(config.policy.max_age),
    POLICY: policy.replace(/\r\n/g, '\n').trimEnd(),
    POLICY_ID: effectiveId(config),
    BUILT: built,
    BUILT_TEXT: `${built.slice(0, 10)} ${built.slice(11, 16)} UTC`,
  };
  // Markup made here, each value escaped: shown only when configured, so the page never promises what is not set up.
  const raw: Record<string, string> = {
    DOMAIN_LINE: siteDomainLine(config),
    TLSRPT: config.tlsrpt
      ? `<dt>TLS reports</dt><dd data-testid="tlsrpt">Senders report TLS problems with mail to this domain to ${config.tlsrpt.rua.map((u) => `<code>${escapeHtml(u)}</code>`).join(', ')} (<a href="https://www.rfc-editor.org/rfc/rfc8460">RFC 8460</a>).</dd>`
      : '',
    CONTACT: config.site?.contact ? `<dt>Contact</dt><dd>${contactHtml(config.site.contact)}</dd>` : '',
  };
  return {
    name: 'mta-sts-page-data',
    // `{{KEY}}`, not Vite's own `%KEY%`, which Vite would fill from its env (`%MODE%` is "production"); `{{{KEY}}}` is markup.
    transformIndexHtml: {
      order: 'pre',
      handler: (html) => html
        .replace(/\{\{\{([A-Z_]+)\}\}\}/g, (whole, key: string) => raw[key] ?? whole)
        .replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => (key in values ? escapeHtml(values[key]!) : whole)),
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
