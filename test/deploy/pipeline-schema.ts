// Validates azure-pipelines.yml against Azure's own Azure Pipelines schema (service-schema.json of
// microsoft/azure-pipelines-vscode), read in place from ../shared/vendor: third-party, never copied here.
// The schema was written for the Azure Pipelines language service, which reads YAML its own way, so the
// document and the schema are adapted the same way it does before a plain JSON Schema validator can use them:
//   - every scalar is a string (Azure Pipelines has no YAML types); boolean/number/integer schemas accept
//     their string spellings;
//   - `${{ }}`, `$[ ]` and `$( )` scalars satisfy any non-string type (they are resolved later); string
//     schemas keep their patterns and enums (so `continueOnError: ${{ … }}` is refused, as the service does);
//   - the children of `${{ if }}`, `${{ elseif }}`, `${{ else }}`, `${{ each }}` and `${{ insert }}` keys are
//     hoisted into their parent (a mapping's keys merge into it; a sequence's items splice into it);
//   - an anyOf whose branches each name a `firstProperty` (or else a required key, or else a JSON type) is a
//     tagged union (step kinds, job kinds, pipeline kinds, one branch per task name, string-or-list): only
//     the branch whose tag is present is checked, so a misspelled input of AzureStaticWebApp@0 is reported
//     against that task's inputs, not as "matches none of 300 branches";
//   - input `aliases` are accepted as input names, also for required inputs.
// Stricter than the language service: key and value case must match the schema (ignoreCase is not applied).
// The file declares JSON Schema draft-07 ($schema, $id), which Ajv 8 reads natively.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { repoRoot } from './helpers.ts';

export const SCHEMA_RELATIVE = '../shared/vendor/azure-pipelines/service-schema.json';

/** The main checkout's root when repoRoot is a linked git worktree (its .git is a "gitdir:" file). */
function mainCheckoutRoot(root: string): string | undefined {
  try {
    const gitdir = /^gitdir: (.+)$/m.exec(readFileSync(join(root, '.git'), 'utf8'))?.[1]?.trim();
    if (!gitdir) return undefined;
    const common = resolve(gitdir, readFileSync(join(gitdir, 'commondir'), 'utf8').trim());
    return dirname(common);
  } catch {
    return undefined;
  }
}

/** Where the schema lives: ../shared beside the repository root (of the main checkout, for a worktree). */
export const SCHEMA_FILE = [repoRoot, mainCheckoutRoot(repoRoot)]
  .filter((r): r is string => r !== undefined)
  .map((r) => join(r, SCHEMA_RELATIVE))
  .find((f) => existsSync(f)) ?? join(repoRoot, SCHEMA_RELATIVE);
export const schemaAvailable = () => existsSync(SCHEMA_FILE);

export interface SchemaFinding { line: number; column: number; path: string; message: string }

type Schema = Record<string, unknown>;
const isSchema = (x: unknown): x is Schema => typeof x === 'object' && x !== null && !Array.isArray(x);

// Azure Pipelines expressions: template `${{ }}`, runtime `$[ ]`, and macros `$( )` anywhere in the value.
const EXPRESSION = '^\\s*(\\$\\{\\{[\\s\\S]*\\}\\}|\\$\\[[\\s\\S]*\\])\\s*$|\\$\\([^)\\s]+\\)';
const TEMPLATE_KEY = /^\$\{\{\s*(if\b|elseif\b|else\s*\}\}|each\b|insert\s*\}\})/;
const STRING_FORMS: Record<string, { pattern: string; says: string }> = {
  boolean: { pattern: '^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$', says: 'true or false' },
  integer: { pattern: '^-?[0-9]+$', says: 'a whole number' },
  number: { pattern: '^-?[0-9]+(\\.[0-9]+)?$', says: 'a number' },
  null: { pattern: '^(null|~)?$', says: 'empty' },
};

/** The branch tag of an anyOf branch: its first property, directly or through a $ref. */
function firstProperty(branch: Schema, definitions: Record<string, Schema>): string | undefined {
  const own = branch.firstProperty;
  if (Array.isArray(own) && typeof own[0] === 'string') return own[0];
  if (typeof branch.$ref === 'string') {
    const target = definitions[branch.$ref.replace('#/definitions/', '')];
    if (target && Array.isArray(target.firstProperty)) return target.firstProperty[0] as string;
  }
  return undefined;
}

/** Rewrites the schema in memory as the header says. */
function adapt(schema: Schema): Schema {
  const definitions = schema.definitions as Record<string, Schema>;
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!isSchema(node)) return node;
    let out: Schema = { ...node };
    for (const key of ['properties', 'patternProperties', 'definitions']) {
      if (!isSchema(out[key])) continue;
      const props: Schema = {};
      for (const [name, sub] of Object.entries(out[key] as Schema)) props[name] = visit(sub);
      // Task inputs may be spelled by their aliases (e.g. connectedServiceNameARM for azureSubscription).
      if (key === 'properties') {
        for (const [name, sub] of Object.entries(out[key] as Schema)) {
          for (const alias of (isSchema(sub) && Array.isArray(sub.aliases) ? sub.aliases : []) as string[]) {
            if (!(alias in props)) props[alias] = props[name];
          }
        }
      }
      out[key] = props;
    }
    // A required input is also present when spelled by one of its aliases.
    if (Array.isArray(out.required) && isSchema(node.properties)) {
      const aliasesOf = (name: string) => {
        const sub = (node.properties as Schema)[name];
        return (isSchema(sub) && Array.isArray(sub.aliases) ? sub.aliases : []) as string[];
      };
      const aliased = (out.required as string[]).filter((name) => aliasesOf(name).length > 0);
      if (aliased.length > 0) {
        out.required = (out.required as string[]).filter((name) => !aliased.includes(name));
        out.allOf = [
          ...((out.allOf as unknown[] | undefined) ?? []),
          ...aliased.map((name) => ({ anyOf: [name, ...aliasesOf(name)].map((n) => ({ required: [n] })) })),
        ];
      }
    }
    for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else']) {
      if (isSchema(out[key]) || Array.isArray(out[key])) out[key] = visit(out[key]);
    }
    for (const key of ['allOf', 'oneOf']) if (Array.isArray(out[key])) out[key] = visit(out[key]);
    for (const key of ['anyOf', 'oneOf'] as const) {
      if (!Array.isArray(out[key])) continue;
      const branches = (out[key] as unknown[]).map(visit) as Schema[];
      const union = toUnion(node[key] as Schema[], branches, definitions);
      if (!union) {
        out[key] = branches;
        continue;
      }
      // Only the branches whose selector matches are checked, plus a guard that some selector matches.
      const { [key]: _replaced, ...rest } = out;
      out = { ...rest, allOf: [...((rest.allOf as unknown[] | undefined) ?? []), ...union] };
    }
    return allowExpressions(out);
  };
  const adapted = visit(schema) as Schema;
  (adapted.definitions as Schema)['x-expression'] = { type: 'string', pattern: EXPRESSION };
  return adapted;
}

const TYPE_NAMES: Record<string, string> = { string: 'a string', array: 'a list', object: 'a mapping', boolean: 'true or false', integer: 'a whole number', number: 'a number' };

/**
 * An anyOf (or a oneOf of disjoint types) as a union with selectors, as the language service picks a
 * branch: by each branch's first property (step kinds, job kinds, variable kinds; for task branches, which
 * share the first property `task`, by its value), else by a single required key (pipeline kinds), else by
 * JSON type (string-or-list). Branches with the same selector stay alternatives of one another.
 */
function toUnion(original: Schema[], branches: Schema[], definitions: Record<string, Schema>): Schema[] | undefined {
  if (branches.length < 2 || !original.every(isSchema)) return undefined;
  const keys = original.map((b) => firstProperty(b, definitions)
    ?? (Array.isArray(b.required) && b.required.length > 0 ? String(b.required[0]) : undefined));
  const types = original.map((b) => (typeof b.type === 'string' ? b.type : undefined));
  const groups = new Map<string, { selector: Schema; branches: Schema[] }>();
  let guard: Schema;
  if (keys.every((k) => k !== undefined)) {
    const shared = (k: string) => keys.filter((x) => x === k).length > 1;
    original.forEach((b, i) => {
      const tag = keys[i]!;
      const tagSchema = isSchema(b.properties) ? (b.properties as Schema)[tag] : undefined;
      const pattern = shared(tag) && isSchema(tagSchema) && typeof tagSchema.pattern === 'string' ? tagSchema.pattern : undefined;
      const selector: Schema = { 'x-tag': tag, type: 'object', required: [tag],
        ...(pattern ? { properties: { [tag]: { 'x-tag': tag, type: 'string', pattern } } } : {}) };
      const id = `${tag}\u0000${pattern ?? ''}`;
      if (!groups.has(id)) groups.set(id, { selector, branches: [] });
      groups.get(id)!.branches.push(branches[i]!);
    });
    guard = { 'x-tags': [...new Set(keys)], 'x-values': values(original, keys) };
  } else if (types.every((t) => t !== undefined) && new Set(types).size > 1) {
    original.forEach((_, i) => {
      const type = types[i]!;
      if (!groups.has(type)) groups.set(type, { selector: { 'x-tag': type, type }, branches: [] });
      groups.get(type)!.branches.push(branches[i]!);
    });
    guard = { 'x-types': [...groups.keys()] };
  } else {
    return undefined;
  }
  const selectors = [...groups.values()].map((g) => g.selector);
  // An expression may stand for a mapping or a list even where no branch is a string.
  if ('x-types' in guard && !types.includes('string') && types.some((t) => t === 'object' || t === 'array')) selectors.push(EXPR_REF);
  return [
    ...[...groups.values()].map((g) => ({ if: g.selector, then: g.branches.length === 1 ? g.branches[0] : { anyOf: g.branches } })),
    { ...guard, anyOf: selectors },
  ];
}

/** Tag values (e.g. task names) when a tag is shared, for the message about an unknown one. */
function values(branches: Schema[], tags: Array<string | undefined>): string[] {
  return branches.flatMap((b, i) => {
    const tagSchema = isSchema(b.properties) ? (b.properties as Schema)[tags[i]!] : undefined;
    const pattern = isSchema(tagSchema) ? tagSchema.pattern : undefined;
    return typeof pattern === 'string' ? [pattern.replace(/^\^|\$$/g, '')] : [];
  });
}

const EXPR_REF = { $ref: '#/definitions/x-expression' };

/** Lets string scalars stand for booleans and numbers, and expressions for any non-string type. */
function allowExpressions(node: Schema): Schema {
  const type = node.type;
  if (typeof type === 'string' && type in STRING_FORMS) {
    const { type: _t, ...rest } = node;
    const form = STRING_FORMS[type]!;
    return { ...rest, 'x-allows-expressions': true, anyOf: [{ type: 'string', pattern: form.pattern, 'x-says': form.says }, EXPR_REF] };
  }
  if (type === 'object' || type === 'array') {
    if (node['x-tag'] !== undefined) return node;
    return { 'x-allows-expressions': true, anyOf: [node, EXPR_REF] };
  }
  return node;
}

interface Origin { key?: Node | null; value: Node | null }

/**
 * The document as Azure Pipelines reads it (all scalars strings, template-expression keys hoisted), with
 * the YAML node behind each child of each container, for line numbers.
 */
function toPipelineValue(root: Node | null, origins: WeakMap<object, Map<string, Origin>>, aliases: Node[]): unknown {
  const convert = (node: Node | null): unknown => {
    if (isAlias(node)) {
      aliases.push(node);
      return '';
    }
    if (isMap(node)) {
      const obj: Record<string, unknown> = {};
      const children = new Map<string, Origin>();
      origins.set(obj, children);
      const addPairs = (pairs: Pair[]) => {
        for (const pair of pairs) {
          const key = isScalar(pair.key) ? String(pair.key.value ?? '') : String(pair.key);
          if (TEMPLATE_KEY.test(key) && isMap(pair.value)) {
            addPairs(pair.value.items as Pair[]);
            continue;
          }
          obj[key] = convert(pair.value as Node | null);
          children.set(key, { key: pair.key as Node, value: pair.value as Node | null });
        }
      };
      addPairs(node.items as Pair[]);
      return obj;
    }
    if (isSeq(node)) {
      const list: unknown[] = [];
      const children = new Map<string, Origin>();
      origins.set(list, children);
      const addItems = (items: unknown[]) => {
        for (const item of items) {
          // `- ${{ if … }}:` items: their sequences' items (or their mapping) stand in the parent sequence.
          if (isMap(item) && item.items.length > 0 && item.items.every((p) => isPair(p) && isScalar(p.key) && TEMPLATE_KEY.test(String(p.key.value)))) {
            for (const p of item.items) {
              if (isSeq(p.value)) addItems(p.value.items);
              else addItems([p.value]);
            }
            continue;
          }
          children.set(String(list.length), { value: item as Node });
          list.push(convert(item as Node));
        }
      };
      addItems(node.items);
      return list;
    }
    // The failsafe schema already keeps every scalar as the text written (20.10 stays "20.10").
    if (isScalar(node)) return node.value === null || node.value === undefined ? '' : String(node.value);
    return '';
  };
  return convert(root);
}

export interface PipelineValidator { validate(text: string, file: string): SchemaFinding[] }

/** Compiles the schema once (it is 1.6 MB); the validator is then reused for every document. */
export function compilePipelineValidator(schemaFile = SCHEMA_FILE): PipelineValidator {
  const raw = JSON.parse(readFileSync(schemaFile, 'utf8')) as Schema;
  // The language service's own keywords (ignoreCase, firstProperty, aliases, …) are annotations here.
  // unicodeRegExp off: the schema's patterns escape characters (\/, \:) that the u flag rejects.
  // optimize off: Ajv's code optimiser triples the compile time of this schema and does not make one
  // validation measurably faster (about 40 ms either way, measured on this file).
  const ajv = new Ajv({ strict: false, allErrors: true, verbose: true, validateSchema: false, unicodeRegExp: false, code: { optimize: false } });
  const adapted = adapt(raw);
  const check: ValidateFunction = ajv.compile(adapted);
  return {
    validate(text, file) {
      const lineCounter = new LineCounter();
      // failsafe: no YAML types, every scalar a string, as Azure Pipelines reads it.
      const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, schema: 'failsafe' });
      if (doc.errors.length > 0) {
        return doc.errors.map((e) => {
          const { line, col } = lineCounter.linePos(e.pos[0]);
          return { line, column: col, path: '', message: `${file}:${line}:${col}: YAML: ${e.message}` };
        });
      }
      const origins = new WeakMap<object, Map<string, Origin>>();
      const aliases: Node[] = [];
      const value = toPipelineValue(doc.contents as Node | null, origins, aliases);
      const unsupported = aliases.map((node): SchemaFinding => {
        const { line, col } = lineCounter.linePos(node.range?.[0] ?? 0);
        return { line, column: col, path: '', message: `${file}:${line}:${col}: YAML aliases (*name) are not supported by Azure Pipelines; write the value out` };
      });
      if (check(value)) return unsupported;
      return [...unsupported, ...report(check.errors ?? [], adapted, value, origins, lineCounter, file)].sort((a, b) => a.line - b.line || a.column - b.column);
    },
  };
}

function locate(value: unknown, path: string[], origins: WeakMap<object, Map<string, Origin>>): Origin | undefined {
  let here = value;
  let origin: Origin | undefined;
  for (const segment of path) {
    if (typeof here !== 'object' || here === null) return origin;
    origin = origins.get(here)?.get(segment) ?? origin;
    here = (here as Record<string, unknown>)[segment];
  }
  return origin;
}

/** Leaf errors only, each once, worded for a person and placed at its line and column. */
/** The schema node at a JSON pointer such as "#/definitions/pipeline/anyOf/1". */
function schemaAt(root: Schema, pointer: string): unknown {
  return pointer.replace(/^#\/?/, '').split('/').filter(Boolean)
    .reduce<unknown>((node, s) => (node as Record<string, unknown> | undefined)?.[s.replace(/~1/g, '/').replace(/~0/g, '~')], root);
}

/**
 * Whether an error is a plain anyOf branch rejecting the value as a whole (e.g. "must be string" from the
 * string branch of string-or-list, or "must have required property 'extends'" from the extends pipeline).
 */
function isBranchLevel(e: ErrorObject, root: Schema): boolean {
  const m = /^(.*)\/(?:anyOf|oneOf)\/\d+\/[^/]+$/.exec(e.schemaPath);
  if (!m) return false;
  const owner = schemaAt(root, m[1]!);
  return isSchema(owner) && !('x-allows-expressions' in owner) && !('x-tags' in owner);
}

function report(errors: ErrorObject[], root: Schema, value: unknown, origins: WeakMap<object, Map<string, Origin>>, lines: LineCounter, file: string): SchemaFinding[] {
  const leaf = errors.filter((e) => {
    const parent = e.parentSchema as Schema | undefined;
    if (e.keyword === 'if' || e.keyword === 'allOf') return false;
    if (e.schemaPath.startsWith('#/definitions/x-expression')) return false;
    // An expression wrapper or a plain anyOf: the branches' own errors say more.
    if (e.keyword === 'anyOf' && !(parent && ('x-tags' in parent || 'x-types' in parent))) return false;
    if (e.keyword === 'oneOf') return false;
    // Selectors of a tagged union only pick the branch; the union's own error says which tags exist.
    if (parent && 'x-tag' in parent) return false;
    return true;
  });
  // A tagged union that found no branch speaks for its tag: drop what the tag's own schema says about it.
  const unions = leaf.filter((e) => e.keyword === 'anyOf');
  const tagPaths = new Set(unions.flatMap((e) => (((e.parentSchema as Schema)['x-tags'] ?? []) as string[]).map((t) => `${e.instancePath}/${t}`)));
  const rest = leaf.filter((e) => e.keyword !== 'anyOf' && !tagPaths.has(e.instancePath));
  // A plain anyOf reports every branch it tried: when some branch got further into the value, the other
  // branches' objections to the value as a whole are noise. Everything else is a finding of its own.
  const paths = [...unions, ...rest].map((e) => e.instancePath);
  const branchLevel = new Set(rest.filter((e) => isBranchLevel(e, root)));
  const solid = [...unions, ...rest.filter((e) => !branchLevel.has(e))].map((e) => e.instancePath);
  const deepest = [...unions, ...rest.filter((e) => !branchLevel.has(e) ||
    (!paths.some((p) => p.startsWith(`${e.instancePath}/`)) && !solid.includes(e.instancePath)))];
  // Several string patterns for one value (true, yes, on, …): one finding listing them.
  const patterns = new Map<string, string[]>();
  for (const e of deepest) {
    if (e.keyword === 'pattern' && branchLevel.has(e)) {
      const list = patterns.get(e.instancePath) ?? [];
      list.push(String((e.params as { pattern: string }).pattern).replace(/^\^|\$$/g, ''));
      patterns.set(e.instancePath, list);
    }
  }
  const seen = new Set<string>();
  const findings: SchemaFinding[] = [];
  for (const e of deepest) {
    const path = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let origin = locate(value, path, origins);
    let message: string;
    const parent = e.parentSchema as Schema | undefined;
    const where = path.join('.') || '(top level)';
    if (e.keyword === 'additionalProperties') {
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      origin = locate(value, [...path, name], origins) ?? origin;
      const known = Object.keys((parent?.properties as Schema | undefined) ?? {}).sort();
      message = `${where}: unknown key "${name}"${known.length ? `; expected one of: ${known.join(', ')}` : ''}`;
    } else if (e.keyword === 'anyOf' && parent && 'x-types' in parent) {
      message = `${where}: must be ${(parent['x-types'] as string[]).map((t) => TYPE_NAMES[t] ?? t).join(' or ')}`;
    } else if (e.keyword === 'anyOf' && parent && 'x-tags' in parent) {
      const tags = parent['x-tags'] as string[];
      const names = parent['x-values'] as string[];
      const here = path.reduce<unknown>((v, s) => (v as Record<string, unknown> | undefined)?.[s], value);
      const tag = tags.length === 1 ? tags[0]! : undefined;
      if (tag && names.length > 0 && isSchema(here) && typeof here[tag] === 'string') {
        origin = locate(value, [...path, tag], origins) ?? origin;
        message = `${where}: unknown ${tag} "${here[tag]}" (not one of the schema's ${new Set(names).size} ${tag}s)`;
      } else {
        message = `${where}: expected a mapping with one of the keys: ${tags.join(', ')}`;
      }
    } else if (e.keyword === 'pattern' && (patterns.get(e.instancePath)?.length ?? 0) > 1) {
      message = `${where}: "${String(e.data)}" must be one of: ${patterns.get(e.instancePath)!.join(', ')}`;
    } else if (e.keyword === 'pattern' && parent && typeof parent['x-says'] === 'string') {
      message = `${where}: must be ${parent['x-says']} or an expression (got "${String(e.data)}")`;
    } else if (e.keyword === 'enum') {
      message = `${where}: "${String(e.data)}" is not one of: ${((e.params as { allowedValues: unknown[] }).allowedValues).join(', ')}`;
    } else {
      message = `${where}: ${e.message ?? e.keyword}`;
    }
    const node = (e.keyword === 'additionalProperties' ? origin?.key : origin?.value) ?? origin?.key;
    const { line, col } = node?.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
    const text = `${file}:${line}:${col}: ${message}`;
    if (seen.has(text)) continue;
    seen.add(text);
    findings.push({ line, column: col, path: where, message: text });
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}
