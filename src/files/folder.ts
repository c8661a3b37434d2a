// The one way a built folder replaces the user's: render into a temp folder beside it, compare, and swap the
// complete result in by renames (swap.ts), so a failed or killed build never leaves a half-written folder.
// Only a folder that is missing, empty or a previous build of the same layout is ever replaced.
import type { Dirent } from 'node:fs';
import { chmod, lstat, mkdtemp, mkdir, opendir, readFile, readlink, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { printable } from '../printable.ts';
import { isRunning } from './process.ts';
import { exists, siblings, switchStaged } from './swap.ts';

/** Thrown for problems the user can fix (a folder in the way, a read-only disk); no stack trace. */
export class FolderError extends Error {}

/**
 * The points between the steps of a build, in order; `path` is the folder the step made or moved.
 * Tests hook them to break a build or to kill the process at a known point; the next build must then
 * repair what was left.
 */
export type BuildStep = 'staging-created' | 'rendered' | 'staged' | 'moved-aside' | 'swapped';
export type BuildHook = (step: BuildStep, path: string) => void | Promise<void>;

/**
 * What a build writes into its folder, and so the only things the folder may hold for a build to replace it.
 * The site (home/) and the Function App package (functions/) are two layouts through the same machinery.
 */
export interface FolderLayout {
  /** Files at the top of the folder. */
  files: ReadonlySet<string>;
  /** Folders at the top, each with the names of the files it may hold (one level deep). */
  dirs: ReadonlyMap<string, (name: string) => boolean>;
  /** The file every complete build holds: a non-empty folder without it is not a build. */
  complete: string;
  /** The default folder, named in messages (`such as home`). */
  suggestion: string;
  /** Top-level folders an install adds (functions/node_modules): never compared, never foreign, gone after a swap. */
  ignored?: ReadonlySet<string>;
}

/** Writes a fresh build into `staging` (an empty folder). */
export type Render = (staging: string) => Promise<void>;

// A build writes a handful of files; more than this many entries in one folder is not a build, and
// stops the inspection before it reads a large foreign tree.
const MAX_ENTRIES = 256;
// How many entries of the output's parent folder are searched for leftover temp folders.
const MAX_SIBLINGS = 10_000;

/** Finishes or undoes what an interrupted build left beside `out` (see repair); the caller holds the project's lock. */
export async function repairFolder(out: string, layout: FolderLayout): Promise<void> {
  return guarded(out, () => repair(out, layout));
}

/**
 * For a journalled change (change.ts): what `render` makes goes to `.out.new` beside `out` when it differs from
 * `out`, and stays there until the change is committed; false when `out` is current (nothing is staged).
 */
export function stageFolder(layout: FolderLayout, out: string, render: Render, hook?: BuildHook): Promise<boolean> {
  return renderIfChanged(layout, out, render, hook, (staging) => rename(staging, siblings(out).fresh));
}

/**
 * Writes what `render` makes to `out` (an absolute path) through a staging folder and an atomic swap;
 * returns false when `out` was already up to date (then nothing is touched). `out` must be missing,
 * empty or a previous build of `layout`; anything else is refused with a FolderError.
 */
export function buildFolder(layout: FolderLayout, out: string, render: Render, hook?: BuildHook): Promise<boolean> {
  return renderIfChanged(layout, out, render, hook, (staging) => swapIn(staging, out, hook));
}

/** Renders into a staging folder and hands it to `place` only when it differs from `out`; false when current. */
function renderIfChanged(layout: FolderLayout, out: string, render: Render, hook: BuildHook | undefined, place: (staging: string) => Promise<void>): Promise<boolean> {
  return guarded(out, async () => {
    await checkOutPath(out, layout);
    await repair(out, layout);
    await checkReplaceable(out, layout);
    return withStaging(out, render, hook, async (staging) => {
      // An up-to-date folder is left alone, so rebuilding never disturbs a server that is serving it.
      if ((await differences(staging, out, layout)).length === 0) return false;
      await place(staging);
      return true;
    });
  });
}

/** The files whose bytes differ between what `render` makes and `out` (empty when up to date). */
export async function staleInFolder(layout: FolderLayout, out: string, render: Render): Promise<string[]> {
  return guarded(out, async () => {
    await checkOutPath(out, layout);
    await checkReplaceable(out, layout);
    return withStaging(out, render, undefined, (staging) => differences(staging, out, layout));
  });
}

// File-system failures (a read-only folder, a full disk) become FolderErrors: the user's to fix.
async function guarded<T>(out: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof FolderError || typeof code !== 'string') throw e;
    throw new FolderError(`cannot write ${out}: ${(e as Error).message}`);
  }
}

async function checkOutPath(out: string, layout: FolderLayout): Promise<void> {
  if (dirname(out) === out) throw new FolderError(`${out} is the root folder; choose a folder of its own for --out, such as ${layout.suggestion}`);
  const cwd = process.cwd();
  if (cwd === out || cwd.startsWith(`${out}${sep}`)) {
    throw new FolderError(`${out} is the working folder or holds it; choose a folder of its own for --out, such as ${layout.suggestion}`);
  }
  const kind = await lstat(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  // Refused rather than followed: the swap renames folders, so it would replace the link with a folder.
  if (kind?.isSymbolicLink()) {
    const target = await readlink(out).catch(() => '?');
    throw new FolderError(`${out} is a symbolic link (to ${printable(target)}); give the folder itself as --out`);
  }
  if (kind && !kind.isDirectory()) throw new FolderError(`${out} exists and is not a folder; choose another --out`);
}

async function checkReplaceable(out: string, layout: FolderLayout): Promise<void> {
  const listing = await inspect(out, true, layout);
  if (listing && listing.foreign.length > 0) {
    const written = [...layout.dirs.keys()].map((d) => `${d}/`).concat(...layout.files).join(', ');
    throw new FolderError(
      `${out} is not a previous build, so it is not replaced: it holds ${listing.foreign.join(', ')}, and a build ` +
        `writes only ${written}. Nothing was touched; choose an empty or new folder for --out (the default is ${layout.suggestion})`,
    );
  }
}

interface Listing { files: string[]; foreign: string[] }

/**
 * What `dir` holds, as far as a build could have written it: `files` are relative paths, `foreign`
 * describes up to three entries a build never writes. Reads at most two levels and MAX_ENTRIES
 * entries per folder, never a whole foreign tree. `complete`: a previous build also holds the policy.
 * Undefined when `dir` does not exist.
 */
async function inspect(dir: string, complete: boolean, layout: FolderLayout): Promise<Listing | undefined> {
  const listing: Listing = { files: [], foreign: [] };
  const foreign = (what: string) => {
    if (listing.foreign.length < 3) listing.foreign.push(printable(what));
    else if (listing.foreign.length === 3) listing.foreign.push('…');
  };
  const top = await entries(dir);
  if (!top) return undefined;
  if (top.length > MAX_ENTRIES) foreign(`more than ${MAX_ENTRIES} entries`);
  for (const entry of top.slice(0, MAX_ENTRIES)) {
    if (entry.isDirectory() && layout.ignored?.has(entry.name)) continue;
    const allowed = layout.dirs.get(entry.name);
    if (entry.isFile() && layout.files.has(entry.name)) {
      listing.files.push(entry.name);
    } else if (entry.isDirectory() && allowed) {
      const inner = (await entries(join(dir, entry.name))) ?? [];
      if (inner.length > MAX_ENTRIES) foreign(`${entry.name}/ holds more than ${MAX_ENTRIES} entries`);
      for (const file of inner.slice(0, MAX_ENTRIES)) {
        const path = `${entry.name}/${file.name}`;
        if (file.isFile() && allowed(file.name)) listing.files.push(path);
        else foreign(file.isDirectory() ? `${path}/` : path);
      }
    } else {
      foreign(entry.isDirectory() ? `${entry.name}/` : entry.name);
    }
  }
  if (complete && top.length > 0 && listing.foreign.length === 0 && !listing.files.includes(layout.complete)) {
    foreign(`no ${layout.complete}`);
  }
  return listing;
}

// At most MAX_ENTRIES + 1 entries of `dir`, so a huge folder is never read whole; undefined if missing.
async function entries(dir: string): Promise<Dirent[] | undefined> {
  let handle;
  try {
    handle = await opendir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const list: Dirent[] = [];
  for await (const entry of handle) { // breaking out closes the handle
    list.push(entry);
    if (list.length > MAX_ENTRIES) break;
  }
  return list.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)); // stable messages
}

/**
 * Finishes or undoes what an interrupted build left beside `out` (see swapIn for the order of the
 * renames) and removes the temp folders of builds that are no longer running. Only folders that hold
 * nothing but build output are moved or removed; anything else is reported and left alone.
 */
async function repair(out: string, layout: FolderLayout): Promise<void> {
  const { fresh, old, staging } = siblings(out);
  const ours = async (dir: string) => {
    const listing = await inspect(dir, false, layout);
    if (listing && listing.foreign.length > 0) {
      throw new FolderError(`${dir} is in the way and is not a build (${listing.foreign.join(', ')}); move it away and build again`);
    }
    return listing !== undefined;
  };
  const [hasOut, hasFresh, hasOld] = [await exists(out), await ours(fresh), await ours(old)];
  if (!hasOut && hasFresh) await rename(fresh, out); // killed after moving the old site aside: the new one is complete
  else if (!hasOut && hasOld) await rename(old, out); // the swap failed and was not undone: put the old site back
  if (await exists(fresh)) await rm(fresh, { recursive: true, force: true }); // killed before the swap began
  if (await exists(old)) await rm(old, { recursive: true, force: true }); // killed before the old site was removed
  const parent = dirname(out);
  if (!(await exists(parent))) return;
  const leftovers: string[] = [];
  let seen = 0;
  // The parent may be any folder (the repo root, /tmp): stream it, and stop after a bounded count.
  for await (const entry of await opendir(parent)) {
    if (++seen > MAX_SIBLINGS) break;
    const path = join(parent, entry.name);
    if (entry.isDirectory() && path.startsWith(staging)) leftovers.push(path);
  }
  for (const path of leftovers) {
    // `.home.build-<pid>-XXXXXX`: leave those of a build that is still running.
    const pid = Number(/^(\d+)-/.exec(path.slice(staging.length))?.[1]);
    if (pid && isRunning(pid)) continue;
    if (await ours(path)) await rm(path, { recursive: true, force: true });
  }
}

// Renders into a temp folder beside `out`, runs `use`, and always removes what is left of the temp folder.
async function withStaging<T>(
  out: string, render: Render, hook: BuildHook | undefined, use: (staging: string) => Promise<T>,
): Promise<T> {
  let staging: string | undefined;
  try {
    staging = await renderToTemp(out, render, hook);
    return await use(staging);
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

async function differences(fresh: string, current: string, layout: FolderLayout): Promise<string[]> {
  const [a, b] = await Promise.all([inspect(fresh, false, layout), inspect(current, false, layout)]);
  const names = [...new Set([...(a?.files ?? []), ...(b?.files ?? [])])].sort();
  const differs = await Promise.all(names.map((n) => fileDiffers(join(fresh, n), join(current, n))));
  return names.filter((_, i) => differs[i]);
}

// Sizes first, so a large hand-made file is never read; equal sizes are small (a build's own files).
async function fileDiffers(fresh: string, current: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(fresh).catch(() => undefined), stat(current).catch(() => undefined)]);
  if (!x || !y || x.size !== y.size) return true;
  const [p, q] = await Promise.all([readFile(fresh), readFile(current)]);
  return !p.equals(q);
}

async function renderToTemp(out: string, render: Render, hook: BuildHook | undefined): Promise<string> {
  await mkdir(dirname(out), { recursive: true });
  // Same parent as the output, so the final rename never crosses a file system. The pid tells a later
  // build whether this one is still running (see repair).
  const staging = await mkdtemp(`${siblings(out).staging}${process.pid}-`);
  try {
    await chmod(staging, 0o755); // mkdtemp makes it private; the result is a normal, world-readable folder
    await hook?.('staging-created', staging);
    await render(staging);
    await hook?.('rendered', staging);
    return staging;
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
}

// Replace `out` with the complete site in `staging`, through the fixed names of swap.ts, from where
// repair() finishes or undoes the swap on the next run.
async function swapIn(staging: string, out: string, hook: BuildHook | undefined): Promise<void> {
  const { fresh } = siblings(out);
  await rename(staging, fresh);
  await hook?.('staged', fresh);
  await switchStaged(out, true, hook);
}
