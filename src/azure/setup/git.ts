// The git side of `mta-sts azure setup`: which of its files have changes git has not committed, and the commit of
// the files it changed (the user pushes). Git is the only program setup runs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Of `files` (files or folders), those git reports as changed; none outside a git work tree. */
export async function uncommittedFiles(cwd: string, files: string[]): Promise<string[]> {
  try {
    const { stdout } = await run('git', ['status', '--porcelain', '--', ...files], { cwd });
    return files.filter((f) => stdout.split('\n').some((l) => {
      const path = l.slice(3);
      return path === f || path.startsWith(`${f}/`);
    }));
  } catch {
    return [];
  }
}

/** Commits `files` with `message`; says what happened (nothing to commit, not a repository, committed). */
export async function commitFiles(cwd: string, files: string[], message: string): Promise<string> {
  if (files.length === 0) return 'no file changed';
  const git = (...args: string[]) => run('git', args, { cwd });
  try {
    await git('rev-parse', '--is-inside-work-tree');
  } catch {
    return `not a git repository: commit and push ${files.join(', ')} yourself`;
  }
  await git('add', '--', ...files);
  const staged = await git('diff', '--cached', '--name-only', '--', ...files);
  if (staged.stdout.trim() === '') return 'already committed';
  await git('commit', '-q', '-m', message, '--', ...files);
  return `committed ${files.join(', ')}; push it`;
}
