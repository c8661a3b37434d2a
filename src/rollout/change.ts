// The one way promote and retire change the user's files: the config, home/ and mta-sts.evidence.json change
// as one. Every new file is prepared beside its target, the intended change is recorded in a journal, and
// only then are the files switched:
//   journal "preparing" → stage each file (.NAME.change-new) and the site (.home.new) → journal "switching"
//   (the commit point) → rename each staged file over its target, remove what goes → swap home/ → remove journal.
// Whichever command runs next first looks for the journal (recoverChange): "preparing" is undone (nothing
// had changed yet), "switching" is finished (every new file was complete before the commit).
import { lstat, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { BuildHook, BuildStep } from '../site/build.ts';
import { exists, isRunning, siblings, switchStaged, type SwapStep } from '../site/swap.ts';
import { stageFile, syncFolder, writeFileAtomic, writeTarget } from '../write-file-atomic.ts';

export const JOURNAL_FILE = '.mta-sts.change.json';

/** The points between the steps of a change, in order (a test kills the process at each). */
export type ChangeStep = 'journal-preparing' | 'file-staged' | Exclude<BuildStep, 'staged' | SwapStep> | 'site-staged'
  | 'journal-switching' | 'file-switched' | SwapStep | 'journal-removed';
export type ChangeHook = (step: ChangeStep, path: string) => void | Promise<void>;

/** One file of a change: its new text, or null to remove it. */
export interface FileChange { path: string; content: string | null }

export interface ChangePlan {
  /** What the change is, for messages: "promote", "retire". */
  command: string;
  /** The folder the journal goes in: the config's. */
  folder: string;
  files: FileChange[];
  /** The built folders to rebuild from the changed config (src/project/outputs.ts): each stages its new
   * version beside itself (`.out.new`) and says whether there was anything to stage. */
  folders: { out: string; stage: (hook?: BuildHook) => Promise<boolean> }[];
}

interface Journal {
  version: 2;
  command: string;
  state: 'preparing' | 'switching';
  started: string;
  /** The process making the change: while it runs, the journal is its own, not an interrupted change. */
  pid: number;
  /** Absolute paths; `staged: null` means the target is removed. */
  files: { target: string; staged: string | null }[];
  /** The built folders; `staged`: whether `.out.new` holds the folder's new version. */
  folders: { out: string; staged: boolean }[];
}

/** A change could not be made, finished or undone; the message says what to do. */
export class ChangeError extends Error {}

export function journalPath(folder: string): string {
  return join(folder, JOURNAL_FILE);
}

/** Makes the change, or throws with every target untouched (before the commit point) or recorded to finish. */
export async function applyChange(plan: ChangePlan, hook?: ChangeHook): Promise<void> {
  const journal = journalPath(plan.folder);
  if (await exists(journal)) throw new ChangeError(`${journal} records an unfinished change; run any mta-sts command to finish it first`);
  const files = await Promise.all(plan.files.map(async (f) => {
    const target = await writeTarget(f.path);
    if (!inside(plan.folder, target)) {
      throw new ChangeError(`${f.path} is a link to ${target}, outside ${plan.folder}; ${plan.command} changes files only in the config's folder, so link the folder rather than the file`);
    }
    // Checked before anything is written: after the commit point every rename must succeed.
    const kind = await lstat(target).catch(() => undefined);
    if (kind && !kind.isFile()) {
      throw new ChangeError(`${relative(plan.folder, target)} is ${kind.isDirectory() ? 'a folder' : 'not a regular file'}, where ${plan.command} writes a file; move it away and run ${plan.command} again`);
    }
    return { target, staged: f.content === null ? null : join(dirname(target), `.${basename(target)}.change-new`), content: f.content };
  }));
  const record: Journal = {
    version: 2, command: plan.command, state: 'preparing', started: new Date().toISOString(), pid: process.pid,
    files: files.map(({ target, staged }) => ({ target, staged })), folders: plan.folders.map((f) => ({ out: f.out, staged: false })),
  };
  await writeFileAtomic(journal, `${JSON.stringify(record, null, 2)}\n`);
  await hook?.('journal-preparing', journal);
  try {
    for (const f of files) {
      if (f.staged === null) continue;
      await rm(f.staged, { force: true }); // a leftover of an attempt that was undone
      await stageFile(f.target, f.staged, f.content!);
      await hook?.('file-staged', f.staged);
    }
    for (const [i, folder] of plan.folders.entries()) {
      record.folders[i]!.staged = await folder.stage(hook && ((step, path) => (step === 'staging-created' || step === 'rendered' ? hook(step, path) : undefined)));
      await hook?.('site-staged', siblings(folder.out).fresh);
    }
  } catch (e) {
    await undo(record, journal);
    throw e;
  }
  record.state = 'switching';
  await writeFileAtomic(journal, `${JSON.stringify(record, null, 2)}\n`);
  await hook?.('journal-switching', journal);
  await finish(record, journal, hook);
}

async function undo(record: Journal, journal: string): Promise<void> {
  for (const f of record.files) if (f.staged) await rm(f.staged, { force: true });
  // Named in the journal before it was made: only this change can have put it there.
  for (const folder of record.folders) await rm(siblings(folder.out).fresh, { recursive: true, force: true });
  await rm(journal, { force: true });
  await syncFolder(dirname(journal));
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

export interface Recovery {
  action: 'finished' | 'undone';
  command: string;
  started: string;
  /** The files and folder the change covered, absolute. */
  paths: string[];
}

/** Finishes or undoes a change that was interrupted in `folder`; undefined when there was none. */
export async function recoverChange(folder: string): Promise<Recovery | undefined> {
  const journal = journalPath(folder);
  let text: string;
  try {
    text = await readFile(journal, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ChangeError(`cannot read ${journal} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const record = parseJournal(text, folder);
  if (!record) throw new ChangeError(`${journal} is not a change journal this program wrote; move it away and run the command again`);
  if (record.pid !== process.pid && isRunning(record.pid)) {
    throw new ChangeError(`another mta-sts ${record.command} (process ${record.pid}) is changing these files right now; run this again when it has finished`);
  }
  const paths = [...record.files.map((f) => f.target), ...record.folders.map((f) => f.out)];
  if (record.state === 'preparing') {
    await undo(record, journal);
    return { action: 'undone', command: record.command, started: record.started, paths };
  }
  await finish(record, journal);
  return { action: 'finished', command: record.command, started: record.started, paths };
}

function parseJournal(text: string, folder: string): Journal | undefined {
  let value: Partial<Journal>;
  try {
    value = JSON.parse(text) as Partial<Journal>;
  } catch {
    return undefined;
  }
  // A journal is a file in the user's repository: only paths this program would have written there are
  // accepted, so a planted one cannot make recovery rename or remove anything else.
  const mine = (p: unknown): p is string => typeof p === 'string' && isAbsolute(p) && inside(folder, p);
  const ok = value?.version === 2 && typeof value.command === 'string' && typeof value.started === 'string' && Number.isSafeInteger(value.pid) &&
    (value.state === 'preparing' || value.state === 'switching') && Array.isArray(value.files) &&
    value.files.every((f) => mine(f?.target) && (f.staged === null || f.staged === join(dirname(f.target), `.${basename(f.target)}.change-new`))) &&
    Array.isArray(value.folders) && value.folders.every((f) => mine(f?.out) && typeof f?.staged === 'boolean');
  return ok ? (value as Journal) : undefined;
}

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
