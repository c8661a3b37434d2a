// Every file this program writes for the user (the config, the JUnit report, the evidence file, the pipeline
// YAML, the change journal) is written to a temp file beside it, then renamed: a crash or a full disk never leaves half a file.
// A symbolic link is written through (its target changes, the link stays), the file keeps its mode and, as far
// as the user may, its owner, and the file and its folder are fsynced so a power cut cannot undo the rename.
import { randomBytes } from 'node:crypto';
import { link, lstat, open, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isRunning } from './process.ts';

// Bounds a chain of links (a loop ends in ELOOP-like failure rather than spinning).
const MAX_LINKS = 40;

/** The file a write to `path` must replace: `path` itself, or the end of its chain of symbolic links. */
export async function writeTarget(path: string): Promise<string> {
  let current = resolve(path);
  for (let i = 0; i < MAX_LINKS; i++) {
    const info = await lstat(current).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (!info?.isSymbolicLink()) return current;
    current = resolve(dirname(current), await readlink(current));
  }
  throw Object.assign(new Error(`too many levels of symbolic links at ${path}`), { code: 'ELOOP' });
}

/**
 * Writes `content` to the new file `staged` (which must not exist) with the mode and owner of `target` when it
 * exists, and fsyncs it. `staged` must be in the folder of `target`, so the rename that follows is atomic.
 */
export async function stageFile(target: string, staged: string, content: string): Promise<void> {
  const current = await stat(target).catch(() => undefined);
  const handle = await open(staged, 'wx', current ? current.mode & 0o7777 : 0o666);
  try {
    await handle.writeFile(content);
    if (current) {
      await handle.chmod(current.mode & 0o7777); // open() applied the umask
      await keepOwner(handle, current.uid, current.gid);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// Only root may give a file away; a member of the file's group may still keep its group.
async function keepOwner(handle: import('node:fs/promises').FileHandle, uid: number, gid: number): Promise<void> {
  const mine = await handle.stat();
  if (mine.uid === uid && mine.gid === gid) return;
  try {
    await handle.chown(uid, gid);
  } catch {
    await handle.chown(mine.uid, gid).catch(() => undefined);
  }
}

/** fsyncs a folder, so the renames in it survive a power cut (some file systems refuse; that is no error). */
export async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // EINVAL/EISDIR on file systems that cannot sync a folder
  } finally {
    await handle.close();
  }
}

/**
 * The temp file a write to `target` goes through: `.NAME.PID-RANDOM.tmp` beside it. The pid tells a later
 * command (sweepTemps) whether a temp file is a leftover of a process that was killed.
 */
function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

/** Removes the temp files of writes to `target` whose process no longer runs (killed mid-write); returns them. */
export async function sweepTemps(target: string): Promise<string[]> {
  const prefix = `.${basename(target)}.`;
  const names = await readdir(dirname(target)).catch(() => [] as string[]);
  const gone: string[] = [];
  for (const name of names) {
    const pid = name.startsWith(prefix) ? /^(\d+)-[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length))?.[1] : undefined;
    if (pid === undefined || isRunning(Number(pid))) continue;
    await rm(join(dirname(target), name), { force: true });
    gone.push(name);
  }
  return gone;
}

/** Writes `content` to `path` atomically; on failure the temp file is removed and `path` is untouched. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const target = await writeTarget(path);
  const temp = tempName(target);
  try {
    await stageFile(target, temp, content);
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  await syncFolder(dirname(target));
}

/**
 * Creates `path` with `content` only if it does not exist, complete or not at all: the text is written and
 * fsynced under a temp name, then hard-linked to `path` (link(2) fails when `path` exists, atomically, even
 * between processes). False when `path` already exists.
 */
export async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = tempName(path);
  try {
    await stageFile(path, temp, content);
    await link(temp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(temp, { force: true });
  }
  await syncFolder(dirname(path));
  return true;
}
