// The `_mta-sts.<domain>` TXT record (RFC 8461 §3.1).
import type { Diagnostic } from './diagnostic.ts';
import { checkExtValue, selectRecord, splitTagList, unknownField } from './tag-list.ts';

const VERSION = 'v=STSv1'; // RFC 8461 §3.1: sts-version = %s"v=STSv1"
const RFC = 'RFC 8461 §3.1';
// RFC 8461 §3.1: sts-id = %s"id=" 1*32(ALPHA / DIGIT)
const POLICY_ID = /^[A-Za-z0-9]{1,32}$/;

export interface StsRecordParseResult {
  ok: boolean;
  id?: string;
  extensions: Record<string, string>;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** An MTA-STS policy id: 1 to 32 ASCII letters or digits (RFC 8461 §3.1). */
export function isValidPolicyId(id: string): boolean {
  return typeof id === 'string' && POLICY_ID.test(id);
}

/** Parses one (already concatenated) `_mta-sts` TXT record strictly per RFC 8461 §3.1. Never throws. */
export function parseStsRecord(text: string): StsRecordParseResult {
  const extensions: Record<string, string> = {};
  if (typeof text !== 'string') {
    return { ok: false, extensions, errors: [{ code: 'not-text', message: 'the record must be a string' }], warnings: [] };
  }
  const { fields, errors, warnings } = splitTagList(text, VERSION, RFC);
  let id: string | undefined;
  for (const f of fields) {
    if (f.name === 'id') {
      if (isValidPolicyId(f.value)) id = f.value;
      else {
        const why = f.value.length === 0 ? 'it is empty' : f.value.length > 32 ? `it has ${f.value.length} characters` : 'it contains characters other than letters and digits';
        errors.push({ code: 'invalid-id', column: f.valueColumn, message: `id must be 1 to 32 ASCII letters or digits, but ${why}: ${JSON.stringify(f.value)} (${RFC})` });
      }
      continue;
    }
    const bad = checkExtValue(f, RFC);
    if (bad) errors.push(bad);
    else {
      extensions[f.name] = f.value;
      warnings.push(unknownField(f, ['id'], RFC));
    }
  }
  if (!fields.some((f) => f.name === 'id') && !errors.some((e) => e.code === 'invalid-version')) {
    errors.push({ code: 'missing-id', message: `the record has no id; publish "v=STSv1; id=<1-32 letters or digits>;" (${RFC})` });
  }
  const ok = errors.length === 0 && id !== undefined;
  return ok ? { ok, id, extensions, errors, warnings } : { ok, extensions, errors, warnings };
}

/**
 * Picks the MTA-STS record from a TXT RRset (one string array per RR) per RFC 8461 §3.1; anything but
 * exactly one record beginning with v=STSv1 means "no policy". Never throws.
 */
export function selectStsRecord(rrset: string[][]): { ok: boolean; id?: string; errors: Diagnostic[]; warnings: Diagnostic[] } {
  const { record, errors, warnings } = selectRecord(rrset, VERSION, { codes: 'sts', spf: 'spf-at-mta-sts', name: '_mta-sts' });
  if (record === undefined) return { ok: false, errors, warnings };
  const parsed = parseStsRecord(record);
  const result = { ok: parsed.ok, errors: [...errors, ...parsed.errors], warnings: [...warnings, ...parsed.warnings] };
  return parsed.ok ? { ...result, id: parsed.id } : result;
}
