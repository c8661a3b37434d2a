// The MTA-STS policy body served at https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461 §3.2).
import { describeChar, type Diagnostic } from './diagnostic.ts';
import { checkMxPattern } from './hostname.ts';

export type PolicyMode = 'testing' | 'enforce' | 'none';

export interface Policy {
  version: 'STSv1';
  mode: PolicyMode;
  mx: string[];
  maxAge: number;
  /** Fields other than version, mode, mx and max_age, first occurrence only, in source order. */
  extensions: Record<string, string>;
}

export interface PolicyParseResult {
  ok: boolean;
  /** Present exactly when `ok`. */
  policy?: Policy;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** RFC 8461 §3.2: where senders fetch the policy, on the host mta-sts.<domain>. */
export const POLICY_PATH = '/.well-known/mta-sts.txt';

/** The policy's URL (RFC 8461 §3.3); a port other than 443 is shown, since senders never use one. */
export function policyUrl(host: string, port?: number): string {
  return `https://${host}${port !== undefined && port !== 443 ? `:${port}` : ''}${POLICY_PATH}`;
}
/** RFC 8461 §3.3 suggests senders cap the body at 64 KiB. */
export const MAX_POLICY_BYTES = 65536;
/** RFC 8461 §3.2: max_age is at most 31557600 seconds (about one year). */
export const MAX_MAX_AGE = 31557600;

const MODES: readonly PolicyMode[] = ['testing', 'enforce', 'none'];
const KNOWN_FIELDS = ['version', 'mode', 'mx', 'max_age'] as const;
// RFC 8461 §3.2: sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
const FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
// RFC 8461 §3.2: sts-policy-max-age-value = 1*10(DIGIT)
const MAX_AGE = /^[0-9]{1,10}$/;

/** One line of the body that reads as a field: its name, value and where the value starts. */
interface FieldLine {
  line: number;
  name: string;
  value: string;
  valueColumn: number;
  /** Index in `value` of the first non-ASCII character, or -1. */
  nonAscii: number;
}

/** A problem that makes a line no field at all (or an unusable one). */
interface LineError {
  line: number;
  code: string;
  column: number;
  message: string;
  /** The field name the line seems to start with: its absence is then explained already. */
  named?: string;
}

/** The parse in progress: what was seen, what the handlers found, and the diagnostics so far. */
interface ParseState {
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** Field name -> line of its first occurrence. */
  seen: Map<string, number>;
  /** Field names on lines that had errors: their absence is explained already. */
  attempted: Set<string>;
  version?: string;
  mode?: PolicyMode;
  maxAge?: number;
  mx: string[];
  extensions: Record<string, string>;
}

/** Records an error on a field line; a broken line that names a field explains why that field is absent. */
function fieldError(state: ParseState, field: FieldLine, code: string, column: number, message: string): void {
  state.errors.push({ code, line: field.line, column, message });
  state.attempted.add(field.name);
}

/**
 * RFC 8461 §3.2: sts-policy-term = LF / CRLF, with one optional terminator after the last field. Splits the
 * body into lines and each line into a field, or the reason it is none.
 */
function tokenize(body: string): Array<FieldLine | LineError> {
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (body.endsWith('\n')) lines.pop();
  return lines.map((raw, index) => scanLine(raw, index + 1));
}

// RFC 8461 §3.2: sts-policy-field = sts-policy-field-name ":" *WSP sts-policy-field-value *WSP
function scanLine(raw: string, line: number): FieldLine | LineError {
  const named = /^[\t ]*([A-Za-z0-9_.-]+)/.exec(raw)?.[1];
  const error = (code: string, column: number, message: string): LineError => ({ line, code, column, message, named });
  if (raw.trim() === '') {
    return error('empty-line', 1, 'empty line; every line must be a "name: value" field, with no blank lines between them (RFC 8461 §3.2)');
  }
  // CTLs other than TAB are never part of a field; a lone CR or VT is not a line terminator either.
  const ctl = raw.search(/[\x00-\x08\x0a-\x1f\x7f]/);
  if (ctl >= 0) {
    const ch = raw[ctl]!;
    const hint = ch === '\r' ? '; lines must end with LF or CRLF, a lone CR is not a line end' : '';
    return error('control-character', ctl + 1, `control character ${describeChar(ch)} is not allowed${hint} (RFC 8461 §3.2)`);
  }
  const colon = raw.indexOf(':');
  if (colon < 0) return error('missing-colon', 1, `line ${JSON.stringify(raw)} is not a field; write "name: value" (RFC 8461 §3.2)`);
  const name = raw.slice(0, colon);
  if (/[\t ]$/.test(name) && FIELD_NAME.test(name.trimEnd())) {
    // RFC 8461 §3.2: sts-policy-field-delim = ":" *WSP — whitespace is allowed only after the colon.
    return error('whitespace-before-colon', name.trimEnd().length + 1, `remove the whitespace before ":" in "${name.trimEnd()}:" (RFC 8461 §3.2)`);
  }
  if (!FIELD_NAME.test(name)) {
    const why = /^[\t ]/.test(name)
      ? 'a line must not start with whitespace'
      : name.length > 32
        ? 'field names are at most 32 characters'
        : 'field names are a letter or digit followed by letters, digits, "_", "-" or "."';
    return error('invalid-field-name', 1, `invalid field name ${JSON.stringify(name)}: ${why} (RFC 8461 §3.2)`);
  }
  // Value: after ":" *WSP, up to the trailing *WSP before the line end (RFC 8461 §3.2).
  const afterDelim = raw.slice(colon + 1);
  const lead = afterDelim.length - afterDelim.replace(/^[\t ]+/, '').length;
  const value = afterDelim.slice(lead).replace(/[\t ]+$/, '');
  return { line, name, value, valueColumn: colon + 2 + lead, nonAscii: value.search(/[^\x00-\x7f]/) };
}

type KnownField = (typeof KNOWN_FIELDS)[number];

/** One handler per field of RFC 8461 §3.2; each stores the value in the state or reports why it can't. */
const FIELD_HANDLERS: Record<KnownField, (field: FieldLine, state: ParseState) => void> = {
  // RFC 8461 §3.2: sts-policy-version-value = %s"STSv1"
  version(field, state) {
    if (field.value === 'STSv1') state.version = field.value;
    else fieldError(state, field, 'invalid-version', field.valueColumn, `version must be "STSv1" (case-sensitive), got ${JSON.stringify(field.value)} (RFC 8461 §3.2)`);
  },
  // RFC 8461 §3.2: sts-policy-mode-value = "testing" / "enforce" / "none", case-sensitive
  mode(field, state) {
    if ((MODES as readonly string[]).includes(field.value)) state.mode = field.value as PolicyMode;
    else fieldError(state, field, 'invalid-mode', field.valueColumn, `mode must be one of testing, enforce, none (case-sensitive), got ${JSON.stringify(field.value)} (RFC 8461 §3.2)`);
  },
  // RFC 8461 §3.2: sts-policy-max-age-value = 1*10(DIGIT), at most 31557600
  max_age(field, state) {
    const { value, valueColumn } = field;
    if (!MAX_AGE.test(value)) {
      const why = /^[0-9]{11,}$/.test(value) ? 'at most 10 digits' : 'digits only (no sign, decimal point, unit or inner spaces)';
      fieldError(state, field, 'invalid-max-age', valueColumn, `max_age must be a whole number of seconds written as ${why}, got ${JSON.stringify(value)} (RFC 8461 §3.2)`);
    } else if (Number(value) > MAX_MAX_AGE) {
      fieldError(state, field, 'max-age-out-of-range', valueColumn, `max_age ${value} is too large; it must be at most ${MAX_MAX_AGE} seconds (about one year) (RFC 8461 §3.2)`);
    } else state.maxAge = Number(value);
  },
  // RFC 8461 §3.2: sts-policy-mx-value = ["*."] Domain; one pattern per line, the field may repeat
  mx(field, state) {
    const problems = checkMxPattern(field.value);
    // A single label is a valid RFC 5321 Domain, so it must not void the policy; it only warns.
    const singleLabel = problems.length === 1 && problems[0]!.code === 'mx-single-label';
    if (singleLabel) state.warnings.push({ code: 'mx-single-label', line: field.line, column: field.valueColumn, message: problems[0]!.message });
    else for (const d of problems) fieldError(state, field, d.code, field.valueColumn, d.message);
    if (problems.length === 0 || singleLabel) state.mx.push(field.value);
  },
};

// RFC 8461 §3.2: sts-policy-ext-value = vchar [*(SP / vchar) vchar], vchar incl. UTF-8; no CTLs or TABs.
function extensionField(field: FieldLine, state: ParseState): void {
  const { name, value, valueColumn, line } = field;
  if (value === '') {
    fieldError(state, field, 'empty-value', valueColumn, `field "${name}" has no value; write "${name}: value" or remove the line (RFC 8461 §3.2)`);
    return;
  }
  const tab = value.indexOf('\t');
  if (tab >= 0) {
    fieldError(state, field, 'invalid-extension-value', valueColumn + tab, `the value of "${name}" contains a TAB; only spaces may appear inside a value (RFC 8461 §3.2)`);
    return;
  }
  const known = KNOWN_FIELDS.find((k) => k.toLowerCase() === name.toLowerCase().replace('-', '_'));
  const hint = known ? `; field names are case-sensitive — did you mean "${known}"?` : '';
  state.warnings.push({ code: 'unknown-field', line, column: 1, message: `unknown field "${name}" is ignored by senders${hint} (RFC 8461 §3.2)` });
  if (field.nonAscii >= 0) {
    state.warnings.push({ code: 'non-ascii', line, column: valueColumn + field.nonAscii, message: `the value of "${name}" contains non-ASCII text; RFC 8461 §3.2 allows UTF-8 here, but plain ASCII is safest` });
  }
  state.extensions[name] = value;
}

function handleField(field: FieldLine, state: ParseState): void {
  const known = (KNOWN_FIELDS as readonly string[]).includes(field.name) ? (field.name as KnownField) : undefined;
  if (field.nonAscii >= 0 && known) {
    fieldError(state, field, 'non-ascii', field.valueColumn + field.nonAscii, `non-ASCII character ${describeChar(field.value[field.nonAscii]!)} in ${field.name}; write it in plain ASCII (RFC 8461 §3.2)`);
    return;
  }
  // RFC 8461 §3.2: "If a field is duplicated, all but the first occurrence MUST be ignored" (mx repeats).
  if (field.name !== 'mx' && state.seen.has(field.name)) {
    state.warnings.push({ code: 'duplicate-field', line: field.line, column: 1, message: `duplicate field "${field.name}" is ignored; the first one, on line ${state.seen.get(field.name)}, is used (RFC 8461 §3.2)` });
    return;
  }
  state.seen.set(field.name, field.line);
  if (known) FIELD_HANDLERS[known](field, state);
  else extensionField(field, state);
}

// RFC 8461 §3.2: version, mode and max_age are required; mx at least once unless mode is none.
function checkRequired(state: ParseState): void {
  const absent = (field: string) => !state.seen.has(field) && !state.attempted.has(field);
  const missing = (field: string, code: string, example: string) => {
    if (absent(field)) state.errors.push({ code, message: `the policy has no "${field}" field; add a line "${example}" (RFC 8461 §3.2)` });
  };
  missing('version', 'missing-version', 'version: STSv1');
  missing('mode', 'missing-mode', 'mode: testing');
  missing('max_age', 'missing-max-age', 'max_age: 604800');
  if (absent('mx') && (state.mode === 'testing' || state.mode === 'enforce')) {
    state.errors.push({ code: 'missing-mx', message: `mode ${state.mode} needs at least one "mx" line naming your MX hosts, e.g. "mx: *.mail.protection.outlook.com" (RFC 8461 §3.2)` });
  }
}

/**
 * Problems with the body as a whole, before any line is read: size (RFC 8461 §3.3), a BOM, an HTML page,
 * nothing at all. Returns the body to tokenize, or undefined when parsing cannot go on.
 */
function checkBody(text: string, errors: Diagnostic[]): string | undefined {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_POLICY_BYTES) {
    // RFC 8461 §3.3: senders may refuse bodies over 64 KiB, so the policy would be ignored.
    errors.push({ code: 'policy-too-large', message: `the policy is ${bytes} bytes; it must be at most ${MAX_POLICY_BYTES} bytes (RFC 8461 §3.3)` });
    return undefined;
  }
  let body = text;
  if (body.startsWith('\uFEFF')) {
    // The ABNF has no room for a BOM: "\uFEFFversion" is not the field "version".
    errors.push({ code: 'bom', line: 1, column: 1, message: 'the policy starts with a byte order mark (U+FEFF); save it as plain ASCII without a BOM so the first field reads "version: STSv1"' });
    body = body.slice(1);
  }
  if (/^\s*</.test(body)) {
    // A web server's fallback page (e.g. an SPA's index.html) served instead of the policy file.
    const at = body.search(/</);
    const { line, column } = position(body, at);
    const shift = line === 1 && body !== text ? 1 : 0;
    errors.push({ code: 'policy-is-html', line, column: column + shift, message: 'the policy looks like an HTML page, not a policy; serve the plain-text policy file ("version: STSv1" …) at /.well-known/mta-sts.txt' });
    return undefined;
  }
  if (body.trim() === '') {
    errors.push({ code: 'empty-policy', line: 1, column: 1, message: 'the policy is empty; it needs version, mode, mx and max_age lines (RFC 8461 §3.2)' });
    return undefined;
  }
  return body;
}

/**
 * Parses a policy body strictly per RFC 8461 §3.2. Never throws. `ok` is false when any error is found;
 * warnings (duplicates, unknown fields) never make it false.
 */
export function parsePolicy(text: string): PolicyParseResult {
  const state: ParseState = { errors: [], warnings: [], seen: new Map(), attempted: new Set(), mx: [], extensions: {} };
  const { errors, warnings } = state;
  if (typeof text !== 'string') {
    errors.push({ code: 'not-text', message: 'the policy must be a string of text' });
    return { ok: false, errors, warnings };
  }
  const body = checkBody(text, errors);
  if (body === undefined) return { ok: false, errors, warnings };

  for (const token of tokenize(body)) {
    if ('name' in token) {
      handleField(token, state);
      continue;
    }
    errors.push({ code: token.code, line: token.line, column: token.column, message: token.message });
    if (token.named) state.attempted.add(token.named);
  }
  checkRequired(state);

  if (body !== text) {
    // Columns were counted after the BOM; report them as positions in the text as given.
    for (const d of [...errors, ...warnings]) if (d.line === 1 && d.code !== 'bom' && d.column !== undefined) d.column += 1;
  }
  const { version, mode, maxAge, mx, extensions } = state;
  if (errors.length > 0 || version === undefined || mode === undefined || maxAge === undefined) return { ok: false, errors, warnings };
  return { ok: true, policy: { version: 'STSv1', mode, mx, maxAge, extensions }, errors, warnings };
}

/** The lines of serializePolicy, unchecked: also how a config learns its policy's size before building it. */
export function policyText(policy: Policy): string {
  const lines = [`version: ${policy.version}`, `mode: ${policy.mode}`, ...policy.mx.map((p) => `mx: ${p}`), `max_age: ${policy.maxAge}`];
  for (const [name, value] of Object.entries(policy.extensions)) lines.push(`${name}: ${value}`);
  return lines.map((l) => `${l}\r\n`).join('');
}

/**
 * The policy's exact bytes: version, mode, one mx line per pattern, max_age, then extensions, each line
 * ending CRLF (RFC 8461 §3.2). Throws only for a malformed `Policy` built by code (a programmer error):
 * the output is always re-parsed and must give back the same policy, so invalid bytes are never returned.
 */
export function serializePolicy(policy: Policy): string {
  const text = policyText(policy);
  const parsed = parsePolicy(text);
  if (!parsed.ok || !samePolicy(parsed.policy!, policy) || parsed.warnings.some((w) => w.code === 'duplicate-field')) {
    const why = parsed.errors.map((e) => e.message).join('; ') || 'an extension repeats a field or the values do not round-trip';
    throw new TypeError(`serializePolicy: invalid Policy object: ${why}`);
  }
  return text;
}

function samePolicy(a: Policy, b: Policy): boolean {
  const ea = Object.entries(a.extensions);
  const eb = Object.entries(b.extensions);
  return (
    a.version === b.version &&
    a.mode === b.mode &&
    a.maxAge === b.maxAge &&
    a.mx.length === b.mx.length &&
    a.mx.every((m, i) => m === b.mx[i]) &&
    ea.length === eb.length &&
    ea.every(([k, v]) => Object.hasOwn(b.extensions, k) && b.extensions[k] === v)
  );
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}
