// The JSON text of one TLS-RPT report (RFC 8460 §4.4), read as it streams in: stream-json's tokenizer checks
// the grammar, and only the values the parser reads are built, one at a time: the report's own fields, each
// policy entry's "policy" and "summary", and each failure detail. The "policies" and "failure-details" lists
// and every other key are never held, so memory follows the largest single value, not the report (a report
// of 200,000 failure details cost ≈ 500 MB as one JSON.parse tree). Pure: no I/O, nothing kept between reports.
import { Assembler } from 'stream-json/core/assembler.js';
import { jsonParser, type Token } from 'stream-json/core/parser.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Nesting kept: a report needs 5 levels (report, policies, entry, policy, policy-string) and 4 inside a failure
 * detail. Deeper input is refused (stream-json stops at the limit), so no later step can recurse without bound.
 */
export const MAX_DEPTH = 32;

/** The report's own fields the parser reads (RFC 8460 §4.4); other keys are checked for grammar, not built. */
const REPORT_KEYS = new Set(['organization-name', 'date-range', 'contact-info', 'report-id']);
/** The members of a policy entry that are built whole; "failure-details" is streamed one detail at a time. */
const ENTRY_KEYS = new Set(['policy', 'summary']);

/** What the reader hands over, in document order. */
export interface ReportVisitor {
  /** A report field of REPORT_KEYS; a later copy of a key replaces the earlier one, as JSON.parse does. */
  field(key: string, value: Json): void;
  /** Entry `index` of "policies" starts; one that is no object is skipped. */
  entry(index: number, isObject: boolean): void;
  /** A "policy" or "summary" member of the open entry. */
  entryField(key: string, value: Json): void;
  /** The open entry's "failure-details" is not a list: null or something else. */
  detailsNotList(value: 'null' | 'other'): void;
  /** Failure detail `index` of the open entry; null when it is no object (it is then skipped). */
  detail(index: number, value: Json): void;
  entryEnd(): void;
}

/** Input that is valid JSON but cannot be read in one pass, or is nested too deeply: refused (fail closed). */
export class ReportJsonRefused extends Error {}

type Place = 'top' | 'report' | 'policies' | 'entry' | 'details' | 'done';

/** Feed text with write() in any pieces, then end(). Both throw: Error for bad JSON, ReportJsonRefused. */
export class ReportJsonReader {
  private readonly tokens = jsonParser({ packValues: true, streamValues: false, maxDepth: MAX_DEPTH });
  private readonly assembler = new Assembler();
  private place: Place = 'top';
  private key = '';
  // A value being built, and where it goes.
  private building: ((value: Json) => void) | undefined;
  // A value being skipped: its nesting left to close.
  private skipping = 0;
  private entries = 0;
  private details = 0;
  private seenPolicies = false;
  private seenDetails = false;
  /** The root is an object with "policies" as a list (the parser checks the rest of the shape). */
  policiesIsList = false;
  rootIsObject = false;

  constructor(private readonly visit: ReportVisitor) {}

  write(text: string): void {
    this.take(this.tokens(text));
  }

  end(): void {
    this.take(this.tokens(NONE as never));
  }

  private take(out: unknown): void {
    const values = (out as { values?: Token[] } | undefined)?.values;
    if (values) for (const t of values) this.token(t);
  }

  private token(t: Token): void {
    if (this.building) {
      this.assembler.consume(t);
      if (this.assembler.done) this.built(this.assembler.current as Json);
      return;
    }
    if (this.skipping > 0) {
      if (t.name === 'startObject' || t.name === 'startArray') this.skipping++;
      else if (t.name === 'endObject' || t.name === 'endArray') this.skipping--;
      return;
    }
    if (t.name === 'keyValue') {
      this.key = t.value;
      return;
    }
    if (t.name === 'endObject' || t.name === 'endArray') {
      this.close();
      return;
    }
    this.value(t);
  }

  // A value starts at the current place.
  private value(t: Token): void {
    switch (this.place) {
      case 'top':
        if (t.name === 'startObject') {
          this.rootIsObject = true;
          this.place = 'report';
        } else {
          this.place = 'done';
          this.skip(t);
        }
        return;
      case 'report':
        if (this.key === 'policies') {
          // JSON.parse would keep the last copy; a reader that never holds the list cannot: refused.
          if (this.seenPolicies) throw new ReportJsonRefused('"policies" appears twice in the report');
          this.seenPolicies = true;
          if (t.name === 'startArray') {
            this.policiesIsList = true;
            this.place = 'policies';
            return;
          }
          this.skip(t);
        } else if (REPORT_KEYS.has(this.key)) {
          const key = this.key;
          this.build(t, (v) => this.visit.field(key, v));
        } else {
          this.skip(t);
        }
        return;
      case 'policies': {
        const isObject = t.name === 'startObject';
        this.visit.entry(this.entries++, isObject);
        if (isObject) {
          this.place = 'entry';
          this.seenDetails = false;
          this.details = 0;
        } else {
          this.skip(t);
        }
        return;
      }
      case 'entry':
        if (this.key === 'failure-details') {
          if (this.seenDetails) throw new ReportJsonRefused(`"failure-details" appears twice in policies[${this.entries - 1}]`);
          this.seenDetails = true;
          if (t.name === 'startArray') {
            this.place = 'details';
            return;
          }
          this.visit.detailsNotList(t.name === 'nullValue' ? 'null' : 'other');
          this.skip(t);
        } else if (ENTRY_KEYS.has(this.key)) {
          const key = this.key;
          this.build(t, (v) => this.visit.entryField(key, v));
        } else {
          this.skip(t);
        }
        return;
      case 'details': {
        const index = this.details++;
        if (t.name === 'startObject') this.build(t, (v) => this.visit.detail(index, v));
        else {
          this.visit.detail(index, null);
          this.skip(t);
        }
        return;
      }
      case 'done':
        this.skip(t);
    }
  }

  private close(): void {
    switch (this.place) {
      case 'details': this.place = 'entry'; return;
      case 'entry': this.visit.entryEnd(); this.place = 'policies'; return;
      case 'policies': this.place = 'report'; return;
      default: this.place = 'done';
    }
  }

  private build(t: Token, to: (value: Json) => void): void {
    switch (t.name) {
      case 'startObject': case 'startArray':
        this.building = to;
        this.assembler.consume(t);
        return;
      case 'stringValue': to(t.value); return;
      case 'numberValue': to(Number(t.value)); return; // the same double JSON.parse gives (2^53 + 1 → 2^53, 1e400 → Infinity)
      case 'nullValue': to(null); return;
      case 'trueValue': to(true); return;
      case 'falseValue': to(false); return;
      default:
    }
  }

  private built(value: Json): void {
    const to = this.building!;
    this.building = undefined;
    to(value);
  }

  private skip(t: Token): void {
    if (t.name === 'startObject' || t.name === 'startArray') this.skipping = 1;
  }
}

// stream-chain's end-of-input marker: the parser checks the document is complete.
const NONE = Symbol.for('object-stream.none');
