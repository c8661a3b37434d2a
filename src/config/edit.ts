// Programs that change the user's config (setup, promote, retire) edit it through the yaml Document API, so
// comments, key order and layout survive; the result is re-checked and written to a temp file, then renamed.
import { readFile } from 'node:fs/promises';
import { isAlias, isMap, isScalar, parseDocument, Scalar, stringify, type Document } from 'yaml';
import { writeFileAtomic } from '../files/atomic.ts';
import { formatDiagnostic, parseConfig } from './config.ts';

/** Sets `path` to `value`; `value: undefined` removes the key. */
export interface ConfigEdit { path: string[]; value: unknown }

/** The config could not be edited; nothing was written. */
export class ConfigEditError extends Error {}

/** Applies the edits to config text; throws ConfigEditError when the text or the result is not a valid config. */
export function editConfigText(text: string, edits: ConfigEdit[], file: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    throw new ConfigEditError(`${file}: not a valid config (run npx --no mta-sts build to see why); it was not changed`);
  }
  refuseAnchors(doc, edits, file);
  const result = spliceScalars(text, doc, edits) ?? applyToDocument(doc, edits);
  const check = parseConfig(result, file);
  if (!check.ok) {
    const why = check.errors.map((e) => formatDiagnostic(e)).join('; ');
    throw new ConfigEditError(`${file}: the change would make the config invalid (${why}); it was not changed`);
  }
  return result;
}

// An anchored value (`mode: &m testing`) may be used elsewhere (`app: *m`): changing it would silently change
// that too, and changing an alias would cut it loose. Either is the user's decision, so it is refused.
function refuseAnchors(doc: Document, edits: ConfigEdit[], file: string): void {
  for (const { path } of edits) {
    const node = doc.getIn(path, true);
    const key = path.join('.');
    if (isAlias(node)) {
      throw new ConfigEditError(`${file}: ${key} is the alias *${node.source}, so changing it here would cut it loose from &${node.source}; write the value of ${key} by hand and run again; it was not changed`);
    }
    if (isScalar(node) && node.anchor) {
      throw new ConfigEditError(`${file}: ${key} carries the anchor &${node.anchor}, so changing it would also change every *${node.anchor} that refers to it; remove the anchor (write the values out) and run again; it was not changed`);
    }
  }
}

function applyToDocument(doc: Document, edits: ConfigEdit[]): string {
  for (const { path, value } of edits) {
    if (value === undefined) doc.deleteIn(path);
    else if (doc.getIn(path) !== value) doc.setIn(path, value);
  }
  return doc.toString();
}

/**
 * When every edit replaces an existing plain value with another (mode: testing → enforce), the new values
 * are spliced into the text, so every other byte (the spacing before a comment included) stays as written;
 * the yaml printer would re-flow it. Undefined when an edit adds or removes a key, or changes a structure.
 */
function spliceScalars(text: string, doc: Document, edits: ConfigEdit[]): string | undefined {
  const splices: { start: number; end: number; text: string }[] = [];
  for (const { path, value } of edits) {
    const node = doc.getIn(path, true);
    if (!isScalar(node) || !node.range || !['string', 'number', 'boolean'].includes(typeof value)) return undefined;
    if (node.value === value) continue;
    const rendered = stringify(value).trimEnd();
    if (rendered.includes('\n')) return undefined;
    splices.push({ start: node.range[0], end: node.range[1], text: isBlock(node) ? blockText(text.slice(node.range[0], node.range[1]), rendered) : rendered });
  }
  splices.sort((a, b) => b.start - a.start);
  return splices.reduce((out, s) => out.slice(0, s.start) + s.text + out.slice(s.end), text);
}

function isBlock(node: Scalar): boolean {
  return node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL;
}

// `>-  # note\n    testing\n` → `>-  # note\n    enforce\n`: the header (style, chomping, comment) and the
// indentation stay; only the one content line changes. A one-word value reads the same in either block style.
function blockText(original: string, value: string): string {
  const header = original.slice(0, original.indexOf('\n') + 1);
  const body = original.slice(header.length);
  const indent = /^[ ]*/.exec(body.split('\n').find((l) => l.trim() !== '') ?? '')?.[0] || '  ';
  const trailing = /\n*$/.exec(body)?.[0] ?? '';
  return `${header}${indent}${value}${trailing || '\n'}`;
}

/** Edits the config file in place, atomically. Returns false when the file already said so (nothing written). */
export async function editConfigFile(path: string, edits: ConfigEdit[], display: string = path): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigEditError(`cannot read ${display}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const next = editConfigText(text, edits, display);
  if (next === text) return false;
  try {
    await writeFileAtomic(path, next);
  } catch (e) {
    throw new ConfigEditError(`cannot write ${display}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; it was not changed`);
  }
  return true;
}
