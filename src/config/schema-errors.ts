// Turns ajv's schema errors into kind, positioned messages: what is wrong, where, and what would be right.
import { EXO_MX_PATTERN } from '../exchange-online.ts';
import type { ErrorObject } from 'ajv';
import { MAX_MAX_AGE } from '../rfc/policy.ts';
import { nearest } from './nearest.ts';
import type { SourcePositions } from './positions.ts';
import type { ConfigDiagnostic } from './types.ts';

/** Any JSON Schema node; only the keywords this module reads. */
interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  enum?: readonly unknown[];
  type?: string;
  minimum?: number;
  maximum?: number;
}

/** Unknown keys reported one by one; the rest are counted in one more line (90,000 would flood the terminal). */
export const MAX_UNKNOWN_KEY_ERRORS = 20;

/** What a valid value looks like, by path with `*` for list items. Object values are described from the schema. */
export const EXPECTED: Record<string, string> = {
  domains: 'a list of domain names, one "- contoso.com" line each',
  'domains.*': 'a domain name such as contoso.com',
  'policy.mx': `a list of MX host patterns, one "- '${EXO_MX_PATTERN}'" line each`,
  'policy.mx.*': `a host name pattern such as ${EXO_MX_PATTERN}`,
  'policy.max_age': 'a whole number of seconds or a duration like 7d; accepted units: s, m, h, d, w',
  'policy.id': '1 to 32 letters or digits',
  'tlsrpt.rua': 'a list of mailto: or https: URIs, one "- mailto:tlsrpt@contoso.com" line each',
  'tlsrpt.rua.*': 'a mailto: or https: URI such as mailto:tlsrpt@contoso.com, without spaces, commas or semicolons',
  'site.contact': 'an e-mail address such as postmaster@contoso.com or an https: URL, without spaces',
  'hosting.default_hostname': "the app's default host name, like example-name-0123456789.azurestaticapps.net (a Function App: <app>.azurewebsites.net)",
  'hosting.app': 'the Static Web App name: 1 to 40 letters, digits or hyphens, not starting or ending with a hyphen',
  'hosting.resource_group': 'a resource group name: up to 90 letters, digits, _ - . ( ), not ending with a period',
  'hosting.dns_resource_group': 'a resource group name: up to 90 letters, digits, _ - . ( ), not ending with a period',
  'hosting.subscription': 'a subscription ID like 00000000-0000-0000-0000-000000000000 (az account show --query id -o tsv)',
  'rollout.window_days': 'a whole number of days from 1 to 366, like 14',
  'rollout.min_report_days': 'a whole number of days from 1 to 366, like 10',
  'rollout.min_organizations': 'a whole number from 1 to 1000, like 2',
  'rollout.min_sessions': 'a whole number of sessions, like 100',
  'rollout.recent_days': 'a whole number of days from 1 to 366, like 7',
  'rollout.max_fetch_error_days': 'a whole number of days from 1 to 366, like 3',
};

/** How the value itself reads in a message: `"enforced"`, `5`, `a list`, `nothing`. */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length ? 'a list' : 'an empty list';
  if (typeof value === 'object') return 'a map';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 56)}…"` : text;
}

/** `policy.mx` for ['policy', 'mx']; list items are named by their list, the position says which. */
export function fieldName(path: readonly (string | number)[]): string {
  return path.filter((s) => typeof s === 'string').join('.');
}

function subject(path: readonly (string | number)[]): string {
  const field = fieldName(path);
  if (path.length === 0) return 'the config';
  return typeof path[path.length - 1] === 'number' ? `each ${field} entry` : field;
}

function pointerPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step = Array.isArray(node) ? Number(segment) : segment;
    path.push(step);
    node = (node as Record<string | number, unknown> | undefined)?.[step];
  }
  return path;
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((node, step) => (node as Record<string | number, unknown> | null | undefined)?.[step], data);
}

function schemaAt(schema: SchemaNode, path: readonly (string | number)[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const step of path) node = typeof step === 'number' ? node?.items : node?.properties?.[step];
  return node;
}

function expected(schema: SchemaNode, path: readonly (string | number)[]): string {
  const generic = path.map((s) => (typeof s === 'number' ? '*' : s)).join('.');
  if (EXPECTED[generic]) return EXPECTED[generic];
  const keys = Object.keys(schemaAt(schema, path)?.properties ?? {});
  return `a map with the keys ${keys.join(', ')}`;
}

/** Advice for a likely mistake in one field's value, appended to its message. */
const HINTS: Record<string, (value: unknown) => string | undefined> = {
  // RFC 8461 §3.2 caps max_age at 31557600 s; 52w (31449600 s) is the longest whole-week duration under it.
  'policy.max_age': (value) => (typeof value === 'string' && /^\s*\d*\s*(y|yr|yrs|years?)\s*$/i.test(value) ? '; for a year write 52w' : undefined),
};

/** The first-listed error kind decides the message when one value breaks several keywords. */
const VALUE_KEYWORDS = ['enum', 'minItems', 'minimum', 'maximum'];

export function schemaDiagnostics(
  errors: readonly ErrorObject[],
  data: unknown,
  jsonSchema: object,
  positions: SourcePositions,
  file: string,
): ConfigDiagnostic[] {
  const schema = jsonSchema as SchemaNode;
  const diagnostics: ConfigDiagnostic[] = [];
  const valueErrors = new Map<string, ErrorObject[]>();
  let unknownKeys = 0;
  let firstUnsaid: ConfigDiagnostic | undefined;
  for (const error of errors) {
    const path = pointerPath(error.instancePath, data);
    if (error.keyword === 'required') {
      const missing = [...path, (error.params as { missingProperty: string }).missingProperty];
      diagnostics.push({
        file, ...positions.key(path), code: 'missing-key', field: fieldName(missing),
        message: `${fieldName(missing)} is required`,
      });
    } else if (error.keyword === 'additionalProperties') {
      const unknown = (error.params as { additionalProperty: string }).additionalProperty;
      if (++unknownKeys > MAX_UNKNOWN_KEY_ERRORS) {
        firstUnsaid ??= { file, ...positions.key([...path, unknown]), code: 'unknown-key', message: '' };
        continue;
      }
      const known = Object.keys(schemaAt(schema, path)?.properties ?? {});
      const prefix = path.length ? `${fieldName(path)}.` : '';
      const suggestion = nearest(unknown, known);
      const hint = suggestion ? `did you mean "${prefix}${suggestion}"?` : `the keys here are ${known.join(', ')}`;
      diagnostics.push({
        file, ...positions.key([...path, unknown]), code: 'unknown-key', field: `${prefix}${unknown}`,
        message: `unknown key "${prefix}${unknown}"; ${hint}`,
      });
    } else {
      valueErrors.set(error.instancePath, [...(valueErrors.get(error.instancePath) ?? []), error]);
    }
  }
  for (const [pointer, group] of valueErrors) {
    const path = pointerPath(pointer, data);
    const value = valueAt(data, path);
    // JSON has no Infinity or NaN (`.inf`, `.nan`), so those are shown as written rather than as null.
    const odd = typeof value === 'number' && !Number.isFinite(value) ? (positions.written(path) ?? String(value)) : undefined;
    const main = VALUE_KEYWORDS.map((k) => group.find((e) => e.keyword === k)).find(Boolean);
    let requirement: string;
    if (main?.keyword === 'enum') {
      requirement = `must be one of ${(schemaAt(schema, path)?.enum ?? []).join(', ')}`;
    } else if (main?.keyword === 'minItems') {
      requirement = `must not be empty; it must be ${expected(schema, path)}`;
    } else if (main && typeof value === 'number' && Number.isInteger(value)) {
      // The limits of this very key, from the schema (or from the error when the node is not found).
      const node = schemaAt(schema, path);
      const limit = (keyword: string) => (group.find((e) => e.keyword === keyword)?.params as { limit?: number } | undefined)?.limit;
      const maxAge = fieldName(path) === 'policy.max_age'; // a duration or seconds: its limits are RFC 8461's
      const lo = node?.minimum ?? limit('minimum') ?? (maxAge ? 0 : undefined);
      const hi = node?.maximum ?? limit('maximum') ?? (maxAge ? MAX_MAX_AGE : undefined);
      const unit = maxAge ? ` seconds${hi === MAX_MAX_AGE ? ' (one year)' : ''}` : '';
      requirement = lo !== undefined && hi !== undefined ? `must be between ${lo} and ${hi}${unit}`
        : lo !== undefined ? `must be at least ${lo}${unit}` : `must be at most ${hi}${unit}`;
    } else {
      requirement = `must be ${expected(schema, path)}`;
      // YAML reads an all-digit value such as an id as a number.
      if (typeof value === 'number' && !odd && schemaAt(schema, path)?.type === 'string') requirement += `, written in quotes like "${value}"`;
    }
    requirement += HINTS[fieldName(path)]?.(value) ?? '';
    diagnostics.push({
      file, ...positions.value(path), code: 'invalid-value', field: fieldName(path),
      message: `${subject(path)} ${requirement} (got ${odd ?? shown(value)})`,
    });
  }
  if (firstUnsaid) {
    const more = unknownKeys - MAX_UNKNOWN_KEY_ERRORS;
    diagnostics.push({ ...firstUnsaid, message: `and ${more} more unknown key(s) from here on; fix the ones above and run again to see them` });
  }
  return diagnostics;
}
