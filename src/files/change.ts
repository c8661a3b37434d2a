// The one way commands change the user's project (the config, the built folders, the evidence file; the list is
// src/project/outputs.ts): under a journal that is also the lock.
//
// The journal `.mta-sts.change.json` beside the config is created exclusively (createExclusive: complete or not
// at all, and only if absent), with the holder's pid and start time, before the command reads what it changes;
// so two commands never interleave (build, promote, retire and setup's writes all take it). A change then runs:
//   journal "preparing" → stage each file (.NAME.change-new) and folder (.home.new) → journal "switching"
//   (the commit point) → rename each staged file over its target, remove what goes → swap the folders → remove
//   the journal.
// Whichever command runs next first looks for a journal whose holder no longer runs (recoverChange):
// "preparing" is undone (nothing had changed yet), "switching" is finished (every new file was complete before
// the commit), unless a target was edited since the change began: that edit is never overwritten.
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { changeablePaths, JOURNAL_FILE } from '../project/outputs.ts';
import { createExclusive, stageFile, sweepTemps, syncFolder, writeFileAtomic, writeTarget } from './atomic.ts';
import type { BuildHook, BuildStep } from './folder.ts';
import { stillRuns, thisProcess, type ProcessId } from './process.ts';
import { exists, siblings, switchStaged, type SwapStep } from './swap.ts';

export { JOURNAL_FILE };

/** The points between the steps of a change, in order (a test kills the process at each). */
export type ChangeStep = 'journal-preparing' | 'file-staged' | Exclude<BuildStep, 'staged' | SwapStep> | 'site-staged'
  | 'journal-switching' | 'file-switched' | SwapStep | 'journal-removed';
export type ChangeHook = (step: ChangeStep, path: string) => void | Promise<void>;

/** One file of a change: its new text, or null to remove it. */
export interface FileChange { path: string; content: string | null }

export interface ChangePlan {
  files: FileChange[];
  /** The built folders to rebuild: each stages its new version beside itself (`.out.new`) and says whether there was anything to stage. */
  folders: { out: string; stage: (hook?: BuildHook) => Promise<boolean> }[];
}

interface JournalFile {
  target: string;
  /** Where its new text waits, or null: the target is removed. */
  staged: string | null;
  /** sha256 of the target before the change (null: it did not exist) and of its new text (null: removed). */
  before: string | null;
  after: string | null;
}

interface Journal {
  version: 2;
  command: string;
  /** "locked": held, nothing prepared yet (a build, or a change reading its input). */
  state: 'locked' | 'preparing' | 'switching';
  started: string;
  /** The process holding it: while it runs, the journal is its lock, not an interrupted change. */
  holder: ProcessId;
  files: JournalFile[];
  /** `staged`: whether `.out.new` holds the folder's new version; `before`: treeHash of the folder before the change. */
  folders: JournalFolder[];
}

interface JournalFolder { out: string; staged: boolean; before?: string | null }

/** A change could not be made, finished or undone; the message says what to do. */
export class ChangeError extends Error {
  /** True once the change is committed: it is recorded and the next command finishes it. */
  committed = false;
  /** True when another running command holds the lock. */
  busy = false;
}

// The journals this process holds now: a journal naming this process but not held (a change that failed after
// its commit point, in a long-lived process such as a test) is an interrupted change like any other.
const held = new Set<string>();

/** Whether the journal's holder is at work on it now. */
function holds(journal: string, record: Journal): boolean {
  return record.holder.pid === process.pid ? held.has(journal) : stillRuns(record.holder);
}

/** The lock on one project's files, held from lockProject until release. */
export interface ProjectLock {
  /** Makes the change, or throws with every target untouched (before the commit point) or recorded to finish. */
  apply(plan: ChangePlan, hook?: ChangeHook): Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the lock on the project of `configPath` for `command`, or throws a ChangeError naming who holds it.
 * Leftovers of killed commands (a journal being written, temp files of atomic writes) are removed first.
 */
export async function lockProject(configPath: string, command: string): Promise<ProjectLock> {
  const journal = journalOf(configPath);
  const record: Journal = {
    version: 2, command, state: 'locked', started: new Date().toISOString(), holder: thisProcess(), files: [], folders: [],
  };
  if (!(await createExclusive(journal, text(record)))) {
    const current = await readJournal(configPath).catch(() => undefined);
    if (current && holds(journal, current)) throw busy(current);
    throw new ChangeError(`${journal} records an unfinished change; run any mta-sts command to finish it first`);
  }
  held.add(journal);
  await sweepLeftovers(configPath, true);
  let released = false;
  return {
    apply: (plan, hook) => applyChange(configPath, record, plan, hook),
    async release() {
      if (released) return;
      released = true;
      held.delete(journal);
      // A change that failed after its commit point keeps its journal: the next command must finish it.
      if (record.state === 'switching') return;
      await rm(journal, { force: true });
      await syncFolder(dirname(journal));
    },
  };
}

/** Runs `work` under the project's lock (build, setup's writes): refused while another command holds it. */
export async function withProjectLock<T>(configPath: string, command: string, work: (lock: ProjectLock) => Promise<T>): Promise<T> {
  const lock = await lockProject(configPath, command);
  try {
    return await work(lock);
  } finally {
    await lock.release();
  }
}

function busy(held: Journal): ChangeError {
  const error = new ChangeError(`another mta-sts ${held.command} (process ${held.holder.pid}) is changing these files right now; run this again when it has finished`);
  error.busy = true;
  return error;
}

const text = (record: Journal) => `${JSON.stringify(record, null, 2)}\n`;
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * sha256 over a folder's tree (each entry's relative path, kind and content or link text, in sorted order);
 * null when it does not exist. Lets recovery tell a hand edit inside home/ from the state the change began with.
 */
async function treeHash(folder: string): Promise<string | null> {
  if (!(await exists(folder))) return null;
  const hash = createHash('sha256');
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const names = entries.map((e) => relative(folder, join(e.parentPath, e.name))).sort();
  for (const name of names) hash.update(`${name}\0${(await hashOf(join(folder, name), true)) ?? ''}\0`);
  return hash.digest('hex');
}

/** sha256 of what `path` holds (of its link text when it is a symbolic link); null when it does not exist. */
async function hashOf(path: string, inTree = false): Promise<string | null> {
  try {
    const kind = await lstat(path);
    if (inTree && kind.isDirectory()) return 'folder';
    return sha256(kind.isSymbolicLink() ? `link:${await readlink(path)}` : await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function journalOf(configPath: string): string {
  return join(dirname(configPath), JOURNAL_FILE);
}

const stagedName = (target: string) => join(dirname(target), `.${basename(target)}.change-new`);

async function applyChange(configPath: string, record: Journal, plan: ChangePlan, hook?: ChangeHook): Promise<void> {
  const journal = journalOf(configPath);
  const folder = dirname(journal);
  const files = await Promise.all(plan.files.map(async (f): Promise<JournalFile & { content: string | null }> => {
    // A file is written through its link (the link stays); a file that goes is removed as itself: a link to
    // it is removed, never what it points to.
    const target = f.content === null ? f.path : await writeTarget(f.path);
    if (!inside(folder, target)) {
      throw new ChangeError(`${f.path} is a link to ${target}, outside ${folder}; ${record.command} changes files only in the config's folder, so link the folder rather than the file`);
    }
    // Checked before anything is written: after the commit point every rename must succeed.
    const kind = await lstat(target).catch(() => undefined);
    if (kind && !kind.isFile() && !(f.content === null && kind.isSymbolicLink())) {
      throw new ChangeError(`${relative(folder, target)} is ${kind.isDirectory() ? 'a folder' : 'not a regular file'}, where ${record.command} writes a file; move it away and run ${record.command} again`);
    }
    const before = await hashOf(target);
    return { target, staged: f.content === null ? null : stagedName(target), before, after: f.content === null ? null : sha256(f.content), content: f.content };
  }));
  record.state = 'preparing';
  record.files = files.map(({ target, staged, before, after }) => ({ target, staged, before, after }));
  record.folders = await Promise.all(plan.folders.map(async (f) => ({ out: f.out, staged: false, before: await treeHash(f.out) })));
  await writeFileAtomic(journal, text(record));
  await hook?.('journal-preparing', journal);
  try {
    for (const f of files) {
      if (f.staged === null) continue;
      await rm(f.staged, { force: true }); // a leftover of an attempt that was undone
      await stageFile(f.target, f.staged, f.content!);
      await hook?.('file-staged', f.staged);
    }
    for (const [i, f] of plan.folders.entries()) {
      record.folders[i]!.staged = await f.stage(hook && ((step, path) => (step === 'staging-created' || step === 'rendered' ? hook(step, path) : undefined)));
      await hook?.('site-staged', siblings(f.out).fresh);
    }
  } catch (e) {
    await undo(record);
    record.state = 'locked';
    record.files = [];
    record.folders = [];
    await writeFileAtomic(journal, text(record));
    throw e;
  }
  record.state = 'switching';
  await writeFileAtomic(journal, text(record));
  await hook?.('journal-switching', journal);
  try {
    await finish(record, journal, hook);
  } catch (e) {
    const error = new ChangeError(
      `${record.command} stopped after its change was recorded (${describe(e)}): the change is kept in ${JOURNAL_FILE} and the next mta-sts command finishes it`,
      { cause: e },
    );
    error.committed = true;
    throw error;
  }
}

const describe = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

async function undo(record: Journal): Promise<void> {
  for (const f of record.files) if (f.staged) await rm(f.staged, { force: true });
  // Named in the journal before it was made: only this change can have put it there.
  for (const folder of record.folders) await rm(siblings(folder.out).fresh, { recursive: true, force: true });
}

// Idempotent, so it can be run again after a kill at any point: a staged file that is gone was renamed already.
async function finish(record: Journal, journal: string, hook?: ChangeHook): Promise<void> {
  for (const f of record.files) {
    if (f.staged === null) await rm(f.target, { force: true });
    else if (await exists(f.staged)) await rename(f.staged, f.target);
    else if (!(await exists(f.target))) throw new ChangeError(`${f.staged} is missing, so ${f.target} cannot be finished`);
    await syncFolder(dirname(f.target));
    await hook?.('file-switched', f.target);
  }
  for (const folder of record.folders) if (folder.staged) await switchStaged(folder.out, false, hook);
  await rm(journal, { force: true });
  await syncFolder(dirname(journal));
  await hook?.('journal-removed', journal);
}

/**
 * Files and folders a recovery would overwrite or remove although they changed after the change began (a hand
 * edit): a target not yet switched must still hold what it held before.
 */
async function editedSince(record: Journal): Promise<{ path: string; staged: string | null }[]> {
  const edited: { path: string; staged: string | null }[] = [];
  for (const f of record.files) {
    const pending = f.staged === null ? await exists(f.target) : await exists(f.staged);
    if (!pending) continue;
    const now = await hashOf(f.target);
    if (now !== f.before && now !== f.after) edited.push({ path: f.target, staged: f.staged });
  }
  for (const f of record.folders) {
    const { fresh, old } = siblings(f.out);
    if (!f.staged || f.before === undefined || !(await exists(fresh))) continue;
    // Killed mid-swap, the old site waits at `.out.old` and `out` is gone for a moment.
    const now = await treeHash((await exists(f.out)) ? f.out : old);
    if (now !== f.before) edited.push({ path: f.out, staged: fresh });
  }
  return edited;
}

export interface Recovery {
  action: 'finished' | 'undone';
  command: string;
  started: string;
  /** The files and folders the change covered, absolute. */
  paths: string[];
}

/**
 * Finishes or undoes a change that was interrupted in the project of `configPath`; undefined when there was
 * none (a lock left by a killed build is just removed). Leftover temp files are removed either way.
 */
export async function recoverChange(configPath: string): Promise<Recovery | undefined> {
  const journal = journalOf(configPath);
  const record = await readJournal(configPath);
  if (!record) {
    await sweepLeftovers(configPath, false);
    return undefined;
  }
  if (holds(journal, record)) throw busy(record);
  const paths = [...record.files.map((f) => f.target), ...record.folders.map((f) => f.out)];
  const started = record.started;
  if (record.state !== 'switching') {
    await undo(record);
    await rm(journal, { force: true });
    await syncFolder(dirname(journal));
    await sweepLeftovers(configPath, false);
    return record.state === 'locked' ? undefined : { action: 'undone', command: record.command, started, paths };
  }
  const edited = await editedSince(record);
  if (edited.length > 0) {
    const name = (p: string) => relative(dirname(journal), p);
    const names = edited.map((e) => name(e.path)).join(', ');
    const staged = edited.flatMap((e) => (e.staged ? [name(e.staged)] : []));
    throw new ChangeError(
      `the ${record.command} started ${started} was interrupted after its commit point, and ${names} changed since (edited by hand?), so it was not overwritten. ` +
        (staged.length > 0 ? `The ${record.command}'s version is in ${staged.join(', ')}: merge what you need by hand, then ` : 'Check it, then ') +
        `remove ${[...staged, JOURNAL_FILE].join(' and ')} and run ${record.command} again`,
    );
  }
  await finish(record, journal);
  await sweepLeftovers(configPath, false);
  return { action: 'finished', command: record.command, started, paths };
}

/** The journal of the project, undefined when there is none; a ChangeError when it is not one this program wrote. */
async function readJournal(configPath: string): Promise<Journal | undefined> {
  const journal = journalOf(configPath);
  let content: string;
  try {
    content = await readFile(journal, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ChangeError(`cannot read ${journal} (${describe(e)})`);
  }
  const record = parseJournal(content, await knownPaths(configPath));
  if (!record) throw new ChangeError(`${journal} is not a change journal this program wrote; move it away and run the command again`);
  return record;
}

/** The only paths a journal may name: the project's outputs (and the config's own target, through its link). */
async function knownPaths(configPath: string): Promise<{ files: Set<string>; folders: Set<string> }> {
  const { files, folders } = changeablePaths(configPath);
  const targets = await Promise.all(files.map((f) => writeTarget(f).catch(() => f)));
  return { files: new Set([...files, ...targets]), folders: new Set(folders) };
}

function parseJournal(content: string, known: { files: Set<string>; folders: Set<string> }): Journal | undefined {
  let value: Partial<Journal>;
  try {
    value = JSON.parse(content) as Partial<Journal>;
  } catch {
    return undefined;
  }
  // A journal is a file in the user's repository: only the outputs this program writes there are accepted,
  // so a planted one cannot make recovery rename or remove anything else (README.md, .git, …).
  const hash = (h: unknown) => h === null || (typeof h === 'string' && /^[0-9a-f]{64}$/.test(h));
  const ok = value?.version === 2 && typeof value.command === 'string' && typeof value.started === 'string' &&
    Number.isSafeInteger(value.holder?.pid) && (value.holder?.start === undefined || typeof value.holder.start === 'string') &&
    (value.state === 'locked' || value.state === 'preparing' || value.state === 'switching') && Array.isArray(value.files) &&
    value.files.every((f) => typeof f?.target === 'string' && known.files.has(f.target) &&
      (f.staged === null || f.staged === stagedName(f.target)) && hash(f.before) && hash(f.after)) &&
    Array.isArray(value.folders) && value.folders.every((f) => typeof f?.out === 'string' && known.folders.has(f.out) && typeof f.staged === 'boolean' &&
      (f.before === undefined || hash(f.before)));
  return ok ? (value as Journal) : undefined;
}

/**
 * Removes what killed commands leave beside the project's files: temp files of atomic writes (the journal's
 * included) whose process is gone, and, under the lock (`locked`), staged files no change of ours names.
 */
async function sweepLeftovers(configPath: string, locked: boolean): Promise<void> {
  const { files } = changeablePaths(configPath);
  const targets = await Promise.all(files.map((f) => writeTarget(f).catch(() => f)));
  for (const path of new Set([...targets, journalOf(configPath)])) await sweepTemps(path);
  if (locked) for (const target of new Set(targets)) await rm(stagedName(target), { force: true });
}

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
