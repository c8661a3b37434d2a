// The "v=...; name=value; ..." TXT syntax shared by MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3).
import { describeChar, type Diagnostic } from './diagnostic.ts';

export interface TagField {
  name: string;
  value: string;
  /** 1-based column of the name / of the value in the record. */
  column: number;
  valueColumn: number;
}

// RFC 8461 §3.1 sts-ext-name, RFC 8460 §3 tlsrpt-ext-name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
const FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
// RFC 8461 §3.1 sts-ext-value, RFC 8460 §3 tlsrpt-ext-value: 1*(%x21-3A / %x3C / %x3E-7E)
const EXT_VALUE_BAD = /[^\x21-\x3a\x3c\x3e-\x7e]/;
const WSP = /[\t ]/;

/** True when a concatenated TXT record begins with the version tag (`v=STSv1`, `v=TLSRPTv1`). */
export function beginsWithVersion(record: string, version: string): boolean {
  // The prose says records not beginning with "v=STSv1;" are discarded, while the ABNF lets WSP precede
  // the ";" (field-delim = *WSP ";" *WSP). We follow the ABNF: the tag must be followed by the end,
  // WSP or ";", so "v=STSv1 ;" is a candidate and "v=STSv10;" is not.
  return record.startsWith(version) && (record.length === version.length || /[\t ;]/.test(record[version.length]!));
}

/**
 * Splits `version 1*(field-delim field) [field-delim]` with field-delim = *WSP ";" *WSP
 * (RFC 8461 §3.1, RFC 8460 §3). Duplicate names keep the first occurrence with a warning, as RFC 8461
 * §3.2 prescribes for policy fields (the record sections are silent; ignoring later ones is the safe reading).
 */
export function splitTagList(text: string, version: string, rfc: string): { fields: TagField[]; errors: Diagnostic[]; warnings: Diagnostic[] } {
  const fields: TagField[] = [];
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const err = (code: string, column: number, message: string) => errors.push({ code, column, message: `${message} (${rfc})` });

  if (!beginsWithVersion(text, version)) {
    const head = text.slice(0, version.length + 1);
    const hint = text.toLowerCase().startsWith(version.toLowerCase()) ? '; the tag is case-sensitive' : '';
    err('invalid-version', 1, `the record must begin with "${version}"${hint}, got ${JSON.stringify(head)}`);
    return { fields, errors, warnings };
  }
  let p = version.length;
  for (;;) {
    let q = p;
    while (q < text.length && WSP.test(text[q]!)) q++;
    if (q === text.length) {
      if (q > p) err('trailing-whitespace', p + 1, 'the record ends with whitespace; remove it, or end the record with ";"');
      break;
    }
    if (text[q] !== ';') {
      err('missing-semicolon', q + 1, `expected ";" before ${describeChar(text[q]!)}; separate fields with ";"`);
      break;
    }
    let r = q + 1;
    while (r < text.length && WSP.test(text[r]!)) r++;
    if (r === text.length) break; // the optional trailing field-delim
    let end = text.indexOf(';', r);
    if (end < 0) end = text.length;
    const field = text.slice(r, end).replace(/[\t ]+$/, '');
    p = r + field.length;
    if (field === '') {
      err('empty-field', r + 1, 'empty field between two ";"; remove the extra ";"');
      continue;
    }
    const eq = field.indexOf('=');
    if (eq < 0) {
      err('missing-equals', r + 1, `field ${JSON.stringify(field)} is not name=value`);
      continue;
    }
    const name = field.slice(0, eq);
    if (!FIELD_NAME.test(name)) {
      err('invalid-field-name', r + 1, `invalid field name ${JSON.stringify(name)}: a letter or digit, then up to 31 letters, digits, "_", "-" or "."`);
      continue;
    }
    if (fields.some((f) => f.name === name)) {
      warnings.push({ code: 'duplicate-field', column: r + 1, message: `duplicate field "${name}" is ignored; the first one is used` });
      continue;
    }
    fields.push({ name, value: field.slice(eq + 1), column: r + 1, valueColumn: r + eq + 2 });
  }
  return { fields, errors, warnings };
}

/** Checks an extension value; returns an error or undefined. */
export function checkExtValue(f: TagField, rfc: string): Diagnostic | undefined {
  if (f.value === '') return { code: 'invalid-extension-value', column: f.valueColumn, message: `field "${f.name}" has an empty value (${rfc})` };
  const bad = f.value.search(EXT_VALUE_BAD);
  if (bad < 0) return undefined;
  return {
    code: 'invalid-extension-value',
    column: f.valueColumn + bad,
    message: `the value of "${f.name}" contains ${describeChar(f.value[bad]!)}; values are printable ASCII without spaces, ";" or "=" (${rfc})`,
  };
}

/** Warning for a syntactically valid field the receiver does not know: ignored, with a case hint. */
export function unknownField(f: TagField, known: string[], rfc: string): Diagnostic {
  const near = known.find((k) => k.toLowerCase() === f.name.toLowerCase());
  const hint = near ? `; field names are case-sensitive — did you mean "${near}"?` : '';
  return { code: 'unknown-field', column: f.column, message: `unknown field "${f.name}" is ignored${hint} (${rfc})` };
}

/**
 * RRset selection shared by RFC 8461 §3.1 and RFC 8460 §3: each RR's strings are concatenated with no
 * separator; RRs not beginning with the version tag and ";" are discarded; only exactly one survivor counts.
 */
export function selectRecord(
  rrset: string[][],
  version: string,
  /** Diagnostic codes are no-<codes>-record, multiple-<codes>-records and <spf>; name is the owner name. */
  what: { codes: string; spf: string; name: string },
): { record?: string; errors: Diagnostic[]; warnings: Diagnostic[] } {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const all = (Array.isArray(rrset) ? rrset : [])
    .filter((rr): rr is string[] => Array.isArray(rr))
    .map((rr) => rr.filter((s) => typeof s === 'string').join(''));
  if (all.some((r) => /^v=spf1(?:[\t ]|$)/i.test(r))) {
    // An SPF record at this name usually means a wildcard TXT (*.domain) is answering for it.
    warnings.push({
      code: what.spf,
      message: `an SPF record (v=spf1) answers at ${what.name}; a wildcard TXT record is probably answering — publish an explicit ${what.name} TXT record`,
    });
  }
  // RFC 8461 §3.1, RFC 8460 §3: records that do not begin with "v=STSv1;" / "v=TLSRPTv1;" are discarded
  // before counting. The prose is stricter than the ABNF here (which allows WSP before the ";"), and the
  // prose is what senders apply, so "v=STSv1 ;…" or a bare "v=STSv1" next to a valid record is not a second one.
  const candidates = all.filter((r) => r.startsWith(`${version};`));
  if (candidates.length === 1) return { record: candidates[0], errors, warnings };
  if (candidates.length === 0) {
    const nearMiss = all.find((r) => r.toLowerCase().startsWith(version.toLowerCase()));
    const hint = nearMiss ? `; ${JSON.stringify(nearMiss.slice(0, 40))} is discarded because it does not begin exactly with "${version};" (case-sensitive, no space before the ";")` : '';
    errors.push({ code: `no-${what.codes}-record`, message: `no TXT record begins with "${version}"${hint}` });
  } else {
    errors.push({ code: `multiple-${what.codes}-records`, message: `${candidates.length} TXT records begin with "${version}"; senders treat this as no policy — publish exactly one` });
  }
  return { errors, warnings };
}
