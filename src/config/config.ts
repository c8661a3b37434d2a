// The one file users edit: parse the YAML, check it against mta-sts.schema.json, then the semantic rules.
import { readFile } from 'node:fs/promises';
import type { ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, visit, type Node } from 'yaml';
import { formatDiagnostic as formatAny, type Diagnostic } from '../rfc/diagnostic.ts';
import type { PolicyMode } from '../rfc/policy.ts';
import { SourcePositions } from './positions.ts';
import type { AzureHostingKey, HostingPlan, RawConfig } from './raw-config.ts';
import { applyRules } from './rules.ts';
import { schemaDiagnostics } from './schema-errors.ts';
import { configSchema } from './schema.generated.ts';
import validateRaw from './validate.generated.ts';

export { AZURE_HOSTING_KEYS, type AzureHostingKey, type HostingPlan, type RawConfig } from './raw-config.ts';

/** The config after checking: durations are seconds, names lower-case, defaults filled in. */
export interface Config {
  domains: string[];
  policy: { mode: PolicyMode; mx: string[]; max_age: number; id?: string };
  tlsrpt?: { rua: string[] };
  hosting: { plan: HostingPlan; default_hostname?: string } & Partial<Record<AzureHostingKey, string>>;
}

/**
 * A finding in a config file. `message` reads on its own and names the field; `line`/`column` are
 * 1-based and absent only for problems with the file as a whole (whose message names the file).
 */
export interface ConfigDiagnostic extends Diagnostic { file: string; field?: string }

export type LoadResult =
  | { ok: true; config: Config; warnings: ConfigDiagnostic[] }
  | { ok: false; errors: ConfigDiagnostic[]; warnings: ConfigDiagnostic[] };

export { DEFAULT_CONFIG_FILE } from './file-name.ts';

// Compiled from configSchema by `npm run schema` with generate-schema.ts's AJV_OPTIONS (every error at once, defaults filled).
const validate = validateRaw as ValidateFunction<RawConfig>;

const byPosition = (a: ConfigDiagnostic, b: ConfigDiagnostic) =>
  (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);

/** Checks config text; `file` is the name used in diagnostics. Never throws for a user's mistake. */
export function parseConfig(text: string, file: string): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const positions = new SourcePositions(doc, lineCounter);
  const warnings: ConfigDiagnostic[] = doc.warnings.map((w) => ({
    file, ...positions.at(w.pos[0]), code: 'yaml-warning', message: `YAML: ${w.message}`,
  }));
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e): ConfigDiagnostic => ({
      file, ...positions.at(e.pos[0]), code: 'yaml-syntax', message: `YAML syntax error: ${e.message}`,
    }));
    return { ok: false, errors, warnings };
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    // Aliases are resolved only here: an undefined anchor or an alias bomb throws.
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

/**
 * Reads and checks the config at `path`. Diagnostics name the file as `display` (default: `path` as
 * given), so a CLI can read an absolute path yet print what the user typed.
 */
export async function loadConfig(path: string, display: string = path): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT'
      ? 'no such file (create it from the template, see README)'
      : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    return { ok: false, errors: [{ file: display, code: 'config-unreadable', message: `cannot read ${display}: ${reason}` }], warnings: [] };
  }
  return parseConfig(text, display);
}

/**
 * `FILE:LINE:COL: MESSAGE`, with `warning: ` before the message for warnings. A finding about the file as a
 * whole has no position, and its message names the file already.
 */
export function formatDiagnostic(d: ConfigDiagnostic, severity: 'error' | 'warning' = 'error'): string {
  return formatAny({ ...d, column: d.line === undefined ? undefined : d.column ?? 1 }, { file: d.line === undefined ? undefined : d.file, severity });
}
