// Reading report files and folders: one file at a time (bounded memory however many there are), in path
// order, so "the first of two copies" is well defined. Parsing itself is in parser.ts.
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { InflateBudget, MAX_FILE_BYTES, decodeReport } from './parser.ts';
import { ReportSet } from './summary.ts';
import { readRegularFile } from '../files/read.ts';

/** Every file under `paths`: files as given, folders recursively, in path order (code points). */
export async function* reportFiles(paths: string[], cwd: string): AsyncGenerator<{ path: string; display: string } | { missing: string; reason: string }> {
  for (const given of paths) {
    const path = resolve(cwd, given);
    const kind = await stat(path).catch((e: NodeJS.ErrnoException) => e);
    if (kind instanceof Error) {
      yield { missing: given, reason: kind.code === 'ENOENT' ? 'no such file or folder' : `cannot read it (${kind.code ?? kind.message})` };
    } else if (kind.isDirectory()) {
      yield* walk(path, given);
    } else {
      yield { path, display: given };
    }
  }
}

// Folders no one keeps reports in, which can hold many thousands of files.
const NOT_REPORT_FOLDERS = new Set(['node_modules']);

async function* walk(dir: string, display: string): AsyncGenerator<{ path: string; display: string } | { missing: string; reason: string }> {
  let entries;
  try {
    // Sorted as full paths sort (a folder's name followed by "/"), so "path order" means the same thing
    // however the files are spread over folders.
    const key = (e: Dirent) => (e.isDirectory() ? `${e.name}/` : e.name);
    entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  } catch (e) {
    yield { missing: display, reason: `cannot read the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const shown = join(display, entry.name);
    // Symbolic links to folders are not followed, so a link loop cannot make the walk endless; hidden
    // folders (.git) and node_modules are not reports.
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !NOT_REPORT_FOLDERS.has(entry.name)) yield* walk(path, shown);
    } else {
      yield { path, display: shown }; // FIFOs, sockets and devices too: readBounded lists them as skipped, unopened
    }
  }
}

/** The paths among `paths` that do not exist, as given (a typo must not give a partial summary). */
export async function missingPaths(paths: string[], cwd: string): Promise<string[]> {
  const missing: string[] = [];
  for (const p of paths) {
    if (await stat(resolve(cwd, p)).then(() => false, () => true)) missing.push(p);
  }
  return missing;
}

/** Reads every report under `paths` into a ReportSet; files that are no report are listed in `skipped`. */
export async function readReports(paths: string[], cwd: string, into: ReportSet = new ReportSet(), budget = new InflateBudget()): Promise<ReportSet> {
  for await (const item of reportFiles(paths, cwd)) {
    if ('missing' in item) {
      into.skip(item.missing, item.reason);
      continue;
    }
    const bytes = await readBounded(item.path);
    if (typeof bytes === 'string') {
      into.skip(item.display, bytes);
      continue;
    }
    const outcome = await decodeReport(bytes, { fileName: basename(item.path), budget: budget.nextFile() });
    if (!outcome.ok) into.skip(item.display, outcome.reason);
    else into.add(outcome.report, item.display, createHash('sha256').update(bytes).digest('hex'));
  }
  return into;
}

// Reads at most MAX_FILE_BYTES + 1 bytes of a regular file (files/read.ts: a FIFO or device is listed as skipped, unopened).
async function readBounded(path: string): Promise<Uint8Array | string> {
  const read = await readRegularFile(path, MAX_FILE_BYTES);
  if (!read.ok) return read.code === 'NOTREGULAR' ? read.reason : `cannot read it (${read.code})`;
  if (read.tooLarge) return `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB (the limit); not read`;
  return read.bytes;
}
