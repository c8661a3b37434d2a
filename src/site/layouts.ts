// What each built folder holds (its layout), apart from how it is rendered: light to load (no Vite), so the
// sweep that runs before every command can tell a build's leftovers from anything else.
import { basename, dirname } from 'node:path';
import { FolderError, repairFolder, type FolderLayout } from '../files/folder.ts';
import { ChangeError, withProjectLock } from '../files/change.ts';
import { changeablePaths, FOLDER_NAMES, type FolderRole } from '../project/outputs.ts';
import { POLICY_PATH } from '../rfc/policy.ts';
import { readdir } from 'node:fs/promises';

const POLICY_FILE = POLICY_PATH.slice(1); // `.well-known/mta-sts.txt`, relative to the folder
const SOURCE_FILES = ['handler.js', 'index.js'];

export const FOLDER_LAYOUTS: Readonly<Record<FolderRole, FolderLayout>> = {
  site: {
    files: new Set(['index.html', 'staticwebapp.config.json']),
    dirs: new Map<string, (name: string) => boolean>([
      [dirname(POLICY_FILE), (name) => name === basename(POLICY_FILE)],
      ['assets', (name) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)], // Vite's hashed file names
    ]),
    complete: POLICY_FILE,
    suggestion: FOLDER_NAMES.site,
  },
  functions: {
    files: new Set(['host.json', 'package.json', 'package-lock.json']),
    dirs: new Map([['src', (name: string) => SOURCE_FILES.includes(name) || name === 'content.js']]),
    complete: 'src/content.js',
    suggestion: FOLDER_NAMES.functions,
    // The Deploy stage runs npm ci in the package before zipping it; a later build or --check must not trip on that.
    ignored: new Set(['node_modules']),
  },
};

/** The handler files copied from function-app/ into functions/src/. */
export const HANDLER_FILES: readonly string[] = SOURCE_FILES;

/**
 * Finishes or removes what a killed build or change left beside the project's built folders (`.home.new`,
 * `.home.old`, `.home.build-PID-…`), under the project's lock so no running build is disturbed. Run before every
 * command; nothing to do is the common case and costs one listing of the config's folder.
 */
export async function sweepBuiltFolders(configPath: string): Promise<void> {
  const { folders } = changeablePaths(configPath);
  const names = await readdir(dirname(configPath)).catch(() => [] as string[]);
  const left = folders.filter((f) => names.some((n) => n.startsWith(`.${basename(f)}.`)));
  if (left.length === 0) return;
  try {
    await withProjectLock(configPath, 'build', async () => {
      for (const out of left) {
        const role = (Object.keys(FOLDER_NAMES) as FolderRole[]).find((r) => FOLDER_NAMES[r] === basename(out))!;
        await repairFolder(out, FOLDER_LAYOUTS[role]).catch((e: unknown) => {
          if (!(e instanceof FolderError)) throw e; // something not ours is in the way: the next build names it
        });
      }
    });
  } catch (e) {
    if (!(e instanceof ChangeError || typeof (e as NodeJS.ErrnoException).code === 'string')) throw e; // busy, or a folder we cannot write
  }
}
