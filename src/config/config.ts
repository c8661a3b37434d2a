// The one file users edit: parse the YAML, check it against mta-sts.schema.json, then the semantic rules.
import type { ValidateFunction } from 'ajv';
import { isPair, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { formatDiagnostic as formatAny } from '../rfc/diagnostic.ts';
import { readRegularFile } from '../files/read.ts';
import { SourcePositions } from './positions.ts';
import { configShapeProblem } from './shape.ts';
import type { RawConfig } from './raw-config.ts';
import type { Config, ConfigDiagnostic } from './types.ts';
import { applyRules } from './rules.ts';
import { schemaDiagnostics } from './schema-errors.ts';
import { configSchema } from './schema.generated.ts';
import validateRaw from './validate.generated.ts';

export { AZURE_HOSTING_KEYS, type AzureHostingKey, type HostingPlan, type RawConfig } from './raw-config.ts';

export type { Config, ConfigDiagnostic, Rollout } from './types.ts';

export type LoadResult =
  | { ok: true; config: Config; warnings: ConfigDiagnostic[] }
  | { ok: false; errors: ConfigDiagnostic[]; warnings: ConfigDiagnostic[] };

export { DEFAULT_CONFIG_FILE } from './file-name.ts';

/** A real config is a few hundred bytes; anything this large is the wrong file, refused before parsing. */
export const MAX_CONFIG_BYTES = 256 * 1024;

function tooLarge(file: string, bytes?: number): ConfigDiagnostic {
  const size = bytes === undefined ? 'over' : `${bytes} bytes, over`;
  return {
    file, code: 'config-too-large',
    message: `${file} is ${size} the ${MAX_CONFIG_BYTES / 1024} KiB (${MAX_CONFIG_BYTES} bytes) a config may have; check that it is the right file`,
  };
}

// Compiled from configSchema by `npm run schema` with generate-schema.ts's AJV_OPTIONS (every error at once, defaults filled).
const validate = validateRaw as ValidateFunction<RawConfig>;

const byPosition = (a: ConfigDiagnostic, b: ConfigDiagnostic) =>
  (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);

/** Checks config text; `file` is the name used in diagnostics. Never throws for a user's mistake. */
export function parseConfig(text: string, file: string): LoadResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) return { ok: false, errors: [tooLarge(file, bytes)], warnings: [] };
  const shape = configShapeProblem(text);
  if (shape) return { ok: false, errors: [{ file, line: shape.line, column: shape.column, code: shape.code, message: shape.message }], warnings: [] };
  const lineCounter = new LineCounter();
  // uniqueKeys off: the yaml library compares every key with every other (a file of 40,000 keys took
  // half a minute); duplicateKeys() finds the same duplicates with a Set.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const positions = new SourcePositions(doc, lineCounter);
  const warnings: ConfigDiagnostic[] = doc.warnings.map((w) => ({
    file, ...positions.at(w.pos[0]), code: 'yaml-warning', message: `YAML: ${w.message}`,
  }));
  const syntax = [...doc.errors.map((e) => ({ offset: e.pos[0], message: e.message })), ...duplicateKeys(doc)];
  if (syntax.length > 0) {
    const errors = syntax.sort((a, b) => a.offset - b.offset).map((e): ConfigDiagnostic => ({
      file, ...positions.at(e.offset), code: 'yaml-syntax', message: `YAML syntax error: ${e.message}`,
    }));
    return { ok: false, errors, warnings };
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    // Aliases are resolved only here: an undefined anchor or an alias bomb throws.
    const errors = unresolvedAliases(doc, text, file, positions);
    if (errors.length > 0) return { ok: false, errors, warnings };
    let alias: Node | undefined;
    visit(doc, { Alias: (_, node) => { alias ??= node; } });
    const where = alias?.range ? positions.at(alias.range[0]) : { line: 1, column: 1 };
    return { ok: false, errors: [{ file, ...where, code: 'yaml-syntax', message: `YAML error: ${(e as Error).message}` }], warnings };
  }
  if (!validate(data)) {
    const errors = schemaDiagnostics(validate.errors ?? [], data, configSchema, positions, file).sort(byPosition);
    return { ok: false, errors, warnings };
  }
  const result = applyRules(data, positions, file);
  warnings.push(...result.warnings);
  warnings.sort(byPosition);
  if (result.errors.length > 0) return { ok: false, errors: result.errors.sort(byPosition), warnings };
  return { ok: true, config: result.config, warnings };
}

// YAML reads an unquoted value that starts with `*` (`- *.mail.protection.outlook.com`) as an alias
// of an anchor that does not exist; say so, and how to write it instead.
function unresolvedAliases(doc: Document, text: string, file: string, positions: SourcePositions): ConfigDiagnostic[] {
  const found: ConfigDiagnostic[] = [];
  visit(doc, {
    Alias: (_, alias, path) => {
      if (alias.resolve(doc) !== undefined || !alias.range) return;
      const written = text.slice(alias.range[0], alias.range[1]);
      const field = path.filter(isPair).map((p) => String(isScalar(p.key) ? p.key.value : '?')).join('.');
      found.push({
        file, ...positions.at(alias.range[0]), code: 'yaml-unquoted-star', ...(field ? { field } : {}),
        message: `${field ? `${field}: ` : ''}YAML reads ${written} as an alias of an anchor that does not exist ("Unresolved alias"); ` +
          `quote values that start with *, like "${written}"`,
      });
    },
  });
  return found;
}

// The second and later uses of a key in one map (YAML 1.2 §3.2.1.1: keys are unique), by position.
function duplicateKeys(doc: Document): { offset: number; message: string }[] {
  const found: { offset: number; message: string }[] = [];
  visit(doc, {
    Map: (_, map) => {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = pair.key;
        if (!isScalar(key)) continue;
        const id = `${typeof key.value}:${String(key.value)}`;
        if (seen.has(id)) found.push({ offset: key.range?.[0] ?? 0, message: 'Map keys must be unique' });
        seen.add(id);
      }
    },
  });
  return found;
}

/**
 * Reads and checks the config at `path`. Diagnostics name the file as `display` (default: `path` as
 * given), so a CLI can read an absolute path yet print what the user typed.
 */
export async function loadConfig(path: string, display: string = path): Promise<LoadResult> {
  // Regular files only, at most one byte past the limit: a FIFO named like the config must not hang a command.
  const read = await readRegularFile(path, MAX_CONFIG_BYTES);
  if (!read.ok) {
    const reason = read.code === 'ENOENT' ? 'no such file; create it from the template (docs/configuration.md: "Edit the config")' : read.reason;
    return { ok: false, errors: [{ file: display, code: 'config-unreadable', message: `cannot read ${display}: ${reason}` }], warnings: [] };
  }
  if (read.tooLarge) return { ok: false, errors: [tooLarge(display, read.size > MAX_CONFIG_BYTES + 1 ? read.size : undefined)], warnings: [] };
  const text = read.bytes.toString('utf8');
  return parseConfig(text, display);
}

/**
 * `FILE:LINE:COL: MESSAGE`, with `warning: ` before the message for warnings. A finding about the file as a
 * whole has no position, and its message names the file already.
 */
export function formatDiagnostic(d: ConfigDiagnostic, severity: 'error' | 'warning' = 'error'): string {
  return formatAny({ ...d, column: d.line === undefined ? undefined : d.column ?? 1 }, { file: d.line === undefined ? undefined : d.file, severity });
}
