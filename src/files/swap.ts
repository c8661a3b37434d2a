// The one way a built folder replaces the deployed one. Node has no atomic exchange of two folders, so the
// renames go through fixed names and at every instant one complete site is at `out`, `.out.new` or `.out.old`:
//   staging → .out.new;  out → .out.old;  .out.new → out;  remove .out.old
// A build finishes or undoes an interrupted swap (folder.ts, repair); a journalled change
// (change.ts) stages `.out.new` first and always finishes the swap once it is committed.
import { lstat, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The points of a swap a test may hook; `path` is the folder just made or moved. */
export type SwapStep = 'moved-aside' | 'swapped';
export type SwapHook = (step: SwapStep, path: string) => void | Promise<void>;

/** The fixed sibling names of `out`, so an interrupted swap can be found and repaired. */
export function siblings(out: string) {
  const prefix = join(dirname(out), `.${basename(out)}`);
  return { fresh: `${prefix}.new`, old: `${prefix}.old`, staging: `${prefix}.build-` };
}

export async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

/**
 * Moves the complete site in `.out.new` to `out`, from wherever an earlier attempt stopped (it may be run
 * again after a kill at any point). On a failure, `undo` puts the old site back and drops `.out.new` (a
 * build); without it `.out.new` is kept for the next attempt (a committed rollout change must finish).
 */
export async function switchStaged(out: string, undo: boolean, hook?: SwapHook): Promise<void> {
  const { fresh, old } = siblings(out);
  if (await exists(fresh)) {
    let movedAside = false;
    if (await exists(out)) {
      try {
        await rm(old, { recursive: true, force: true }); // an earlier attempt's leftover; `out` is the live site
        await rename(out, old);
        movedAside = true;
      } catch (e) {
        if (undo) await rm(fresh, { recursive: true, force: true });
        throw e;
      }
    }
    try {
      await hook?.('moved-aside', old);
      await rename(fresh, out);
    } catch (e) {
      if (undo) {
        if (movedAside) await rename(old, out);
        await rm(fresh, { recursive: true, force: true });
      }
      throw e;
    }
    await hook?.('swapped', out);
  }
  if (await exists(out)) await rm(old, { recursive: true, force: true });
}
