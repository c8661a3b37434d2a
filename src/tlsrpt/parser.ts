// Lenient, recorded parsing of TLS-RPT reports (RFC 8460 §4.3–4.4) from bytes: JSON (with or without a BOM),
// gzip (§5.3, application/tlsrpt+gzip) and report mails (§5.3, multipart/report). Input is recognised by its
// content, never by its file name. Real senders deviate from the RFC in known ways (see model.ts and the
// README); each repair is kept as a warning on the report. The JSON is read as a stream (report-json.ts) and
// gzip inflated as one, so memory follows the largest failure detail and the distinct (result type, MX) pairs,
// not the report; a mail is parsed whole (postal-mime; at most MAX_FILE_BYTES) and its report part streamed.
// Nothing here throws for bad input, and no file system access happens here (files.ts reads folders).
import { domainToASCII } from 'node:url';
import { createGunzip } from 'node:zlib';
import PostalMime from 'postal-mime';
import { FailureFold } from './failures.ts';
import { POLICY_TYPES, RESULT_TYPES, type FailureDetail, type Report, type ReportPolicy, type Unreadable } from './model.ts';
import { MAX_DEPTH, ReportJsonReader, ReportJsonRefused, type Json, type ReportVisitor } from './report-json.ts';

// Pieces of inflated or plain JSON fed to the reader at a time.
const PIECE_BYTES = 64 * 1024;

/** Largest file read at all: a report mail with a base64 attachment is a few KiB; big senders send a few MiB. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
/**
 * Most bytes inflated for one file, all the gzip attachments of a mail together: a decompression bomb (or a
 * mail of 200 of them) is refused unread. A report of 200,000 failure details inflates to about 40 MiB.
 */
export const MAX_REPORT_BYTES = 50 * 1024 * 1024;
/** Most bytes inflated in one run, over every file: bounds the time a folder of bombs can take. */
export const MAX_RUN_INFLATE_BYTES = 2 * 1024 * 1024 * 1024;

/** What may still be inflated: per file and per run (readReports makes one per run and a fresh one per file). */
export class InflateBudget {
  constructor(public fileLeft = MAX_REPORT_BYTES, public readonly run: { left: number } = { left: MAX_RUN_INFLATE_BYTES }) {}

  /** The same run's budget, with the per-file allowance renewed. */
  nextFile(): InflateBudget {
    return new InflateBudget(MAX_REPORT_BYTES, this.run);
  }
}

// RFC 8460 was published in September 2018; no report can start before that year (compared as ISO text).
const EARLIEST_REPORT = '2018-01-01';

/** Warnings kept per report. */
export const MAX_WARNINGS = 100;

export type ParseOutcome = { ok: true; report: Report } | { ok: false; reason: string };

/** Where the bytes came from: names shown in warnings, and the fallbacks for a missing policy-domain. */
export interface InputContext {
  /** The file's (or attachment's) name, e.g. google.com!contoso.com!1700000000!1700086399!001.json.gz. */
  fileName: string;
  /** TLS-Report-Domain of the mail the report came in (RFC 8460 §5.3). */
  headerDomain?: string;
  /** TLS-Report-Submitter of that mail. */
  headerSubmitter?: string;
  /** Today, for the warning about reports dated in the future (tests pass their own). */
  now?: Date;
  /** What may still be inflated; a fresh per-file budget when not given. */
  budget?: InflateBudget;
}

const TLSRPT_MEDIA_TYPES = ['application/tlsrpt+gzip', 'application/tlsrpt+json', 'application/tlsrpt'];

/** Reads one file's bytes as a report, whatever the wrapping. */
export async function decodeReport(bytes: Uint8Array, given: InputContext): Promise<ParseOutcome> {
  const context = given.budget ? given : { ...given, budget: new InflateBudget() };
  if (bytes.byteLength > MAX_FILE_BYTES) return { ok: false, reason: `larger than ${mib(MAX_FILE_BYTES)} (the limit); not read` };
  if (isGzip(bytes)) return decodeGzip(bytes, context);
  const start = firstSignificantByte(bytes);
  if (start === 0x7b /* { */) return decodeJson(bytes, context);
  if (start === 0x5b /* [ */) return decodeJson(bytes, context); // gives "JSON of another shape"
  if (looksLikeMail(bytes)) return decodeMail(bytes, context);
  return { ok: false, reason: 'not a TLS-RPT report: neither JSON, gzip nor a mail message' };
}

// Inflated as a stream (Node's zlib), each piece fed to the JSON reader as it comes: neither the inflated text
// nor its object tree is ever whole in memory.
async function decodeGzip(bytes: Uint8Array, context: InputContext): Promise<ParseOutcome> {
  const budget = context.budget!;
  const runBound = budget.run.left < budget.fileLeft;
  const limit = Math.min(budget.fileLeft, budget.run.left);
  const over = runBound
    ? `gzip data beyond what one run may inflate (${mib(MAX_RUN_INFLATE_BYTES)} over all files, the limit); not read`
    : `gzip data that inflates to more than ${mib(MAX_REPORT_BYTES)} (the limit per file, all its attachments together); not read`;
  if (limit <= 0) return { ok: false, reason: over };
  const reader = new ReportReader(context);
  const text = new TextDecoder('utf-8');
  let inflated = 0;
  let isJson: boolean | undefined; // known at the first byte that is no BOM or white space
  const gunzip = createGunzip({ chunkSize: PIECE_BYTES });
  gunzip.end(bytes);
  try {
    for await (const piece of gunzip as AsyncIterable<Buffer>) {
      if (inflated + piece.length > limit) {
        gunzip.destroy();
        budget.fileLeft = 0; // the bytes were inflated before the refusal: they count
        budget.run.left -= limit;
        return { ok: false, reason: over };
      }
      if (isJson === undefined) {
        const first = firstSignificantByte(piece, inflated === 0);
        if (first !== undefined) isJson = first === 0x7b;
      }
      inflated += piece.length;
      // Bad JSON stops the reading, not the inflating: a corrupt or oversized gzip is still named first.
      if (isJson !== false && !reader.refused) reader.write(text.decode(piece, { stream: true }));
    }
  } catch (e) {
    return { ok: false, reason: `gzip data that is truncated or corrupt (${(e as Error).message})` };
  }
  budget.fileLeft -= inflated;
  budget.run.left -= inflated;
  if (isJson !== true) return { ok: false, reason: 'gzip data that holds no JSON report' };
  reader.write(text.decode());
  return reader.end();
}

/** Plain JSON bytes, decoded and read a piece at a time (no string of the whole file). */
function decodeJson(bytes: Uint8Array, context: InputContext): ParseOutcome {
  const reader = new ReportReader(context);
  const text = new TextDecoder('utf-8'); // drops a leading BOM
  for (let i = 0; i < bytes.byteLength && !reader.refused; i += PIECE_BYTES) {
    reader.write(text.decode(bytes.subarray(i, i + PIECE_BYTES), { stream: true }));
  }
  reader.write(text.decode());
  return reader.end();
}

async function decodeMail(bytes: Uint8Array, context: InputContext): Promise<ParseOutcome> {
  let email;
  try {
    email = await PostalMime.parse(bytes, { maxNestingDepth: 32, maxHeadersSize: 1024 * 1024, maxRfc822NestingDepth: 2 });
  } catch (e) {
    return { ok: false, reason: `a mail message that cannot be parsed (${(e as Error).message})` };
  }
  const header = (name: string) => email.headers.find((h) => h.key === name)?.value.trim();
  const headerDomain = header('tls-report-domain');
  const headerSubmitter = header('tls-report-submitter');
  // The report part first (RFC 8460 §5.3), then any other attachment that turns out to be a report.
  const parts = [...email.attachments].sort((a, b) => rank(a.mimeType) - rank(b.mimeType));
  const reasons: string[] = [];
  for (const part of parts) {
    const content = typeof part.content === 'string' ? Buffer.from(part.content) : new Uint8Array(part.content);
    const inner = isGzip(content) || firstSignificantByte(content) === 0x7b
      ? await decodeReport(content, { fileName: part.filename ?? context.fileName, budget: context.budget!, ...(headerDomain ? { headerDomain } : {}), ...(headerSubmitter ? { headerSubmitter } : {}) })
      : undefined;
    if (inner?.ok) return inner;
    if (inner && TLSRPT_MEDIA_TYPES.includes(part.mimeType)) reasons.push(`its ${part.mimeType} part is ${inner.reason.replace(/^not a TLS-RPT report: /, '')}`);
  }
  if (reasons.length > 0) return { ok: false, reason: `a report mail whose report cannot be read: ${reasons.join('; ')}` };
  const what = email.attachments.length === 0 ? 'no attachment' : `${email.attachments.length} attachment(s), none a report`;
  return { ok: false, reason: `a mail message without a TLS-RPT report (${what})` };
}

function rank(mimeType: string): number {
  const i = TLSRPT_MEDIA_TYPES.indexOf(mimeType);
  return i === -1 ? TLSRPT_MEDIA_TYPES.length : i;
}

type JsonObject = { [key: string]: Json };

/** Failure details kept as written per policy entry (the rest are only counted, in `failures`). */
export const MAX_DETAILS_KEPT = 100;
/** Unreadable count fields kept per policy entry (the rest are only counted, in `unreadableMore`). */
export const MAX_UNREADABLE_KEPT = 100;

/** The first `cap` items, and how many more there were. */
class Capped<T> {
  readonly items: T[] = [];
  more = 0;
  constructor(private readonly cap: number) {}
  push(item: T): boolean {
    if (this.items.length < this.cap) {
      this.items.push(item);
      return true;
    }
    this.more++;
    return false;
  }
}

/** Parses the JSON text of one report (RFC 8460 §4.4), repairing what real senders get wrong. */
export function parseReportJson(text: string, context: InputContext): ParseOutcome {
  const reader = new ReportReader(context);
  reader.write(text.replace(/^\uFEFF/, ''));
  return reader.end();
}

/**
 * One report's JSON, fed in pieces (write) and judged at the end (end): the streaming form of parseReportJson.
 * The report's fields may come in any order, so each part's warnings are kept apart and put in one order at
 * the end: the report's own fields, then each policy entry in turn (its policy, summary, details, totals).
 */
export class ReportReader implements ReportVisitor {
  private readonly json = new ReportJsonReader(this);
  private readonly fields = new Map<string, Json>();
  private readonly policies: ReportPolicy[] = [];
  /** The warnings of the policy entries, in order; only the first MAX_WARNINGS can ever be shown. */
  private readonly policyWarnings = new Capped<string>(MAX_WARNINGS);
  private open: EntryReader | undefined;
  private failed: string | undefined;
  private readonly fallbackDomain: { domain: string; from: string } | undefined;
  /** The domain and submitter a report file's conventional name gives (RFC 8460 §5.3), read once. */
  private readonly nameParts: ReturnType<typeof reportFileName>;

  constructor(private readonly context: InputContext) {
    const nameParts = this.nameParts = reportFileName(context.fileName);
    this.fallbackDomain = context.headerDomain
      ? { domain: context.headerDomain, from: 'the TLS-Report-Domain header' }
      : nameParts ? { domain: nameParts.domain, from: 'the file name' } : undefined;
  }

  /** Whether the input is already known not to be a readable report (the rest need not be fed). */
  get refused(): boolean {
    return this.failed !== undefined;
  }

  write(text: string): void {
    if (this.failed === undefined) this.guard(() => this.json.write(text));
  }

  end(): ParseOutcome {
    if (this.failed === undefined) this.guard(() => this.json.end());
    if (this.failed !== undefined) return { ok: false, reason: this.failed };
    return this.finish();
  }

  private guard(step: () => void): void {
    try {
      step();
    } catch (e) {
      if (e instanceof ReportJsonRefused) this.failed = `JSON that cannot be read in one pass (${e.message}); not read`;
      else if (e instanceof RangeError && /depth/i.test(e.message)) this.failed = `JSON nested more than ${MAX_DEPTH} levels deep (a TLS-RPT report needs 5); not read`;
      else this.failed = `not valid JSON (${(e as Error).message})`;
    }
  }

  field(key: string, value: Json): void {
    this.fields.set(key, value);
  }

  entry(index: number, isObject: boolean): void {
    if (isObject) this.open = new EntryReader(`policies[${index}]`);
    else this.policyWarnings.push(`policies[${index}] has no "policy" object; ignored`);
  }

  entryField(key: string, value: Json): void {
    this.open!.fields.set(key, value);
  }

  detailsNotList(value: 'null' | 'other'): void {
    this.open!.detailsNotList = value;
  }

  detail(index: number, value: Json): void {
    this.open!.detail(index, value);
  }

  entryEnd(): void {
    const policy = this.open!.finish(this.fallbackDomain, this.policyWarnings);
    if (policy) this.policies.push(policy);
    this.open = undefined;
  }

  private finish(): ParseOutcome {
    const range = this.fields.get('date-range');
    if (!this.json.rootIsObject || !this.json.policiesIsList || !isObject(range)) {
      return { ok: false, reason: 'JSON that is not a TLS-RPT report (no "policies" list and "date-range")' };
    }
    const context = this.context;
    // Kept per report for as long as the run lasts: a report with 200,000 odd details keeps 100 and a count.
    const warnings: string[] = [];
    let unsaid = 0;
    const warn = (message: string) => void (warnings.length < MAX_WARNINGS ? warnings.push(message) : unsaid++);

    const start = timestamp(range['start-datetime'], 'date-range.start-datetime', warn);
    const end = timestamp(range['end-datetime'], 'date-range.end-datetime', warn);
    if (typeof start !== 'string') return { ok: false, reason: `a report without a usable date-range.start-datetime (${start.problem})` };
    if (typeof end !== 'string') return { ok: false, reason: `a report without a usable date-range.end-datetime (${end.problem})` };
    // A sender's clock or bug: the report still counts on its start day, but the admin should know.
    if (end < start) warn(`date-range.end-datetime ${end} is before date-range.start-datetime ${start}; counted on its start day`);
    if (start < EARLIEST_REPORT) warn(`date-range.start-datetime ${start} is before TLS-RPT existed (RFC 8460, 2018); check the sender's clock`);
    else if (Date.parse(start) > (context.now ?? new Date()).getTime() + 86_400_000) warn(`date-range.start-datetime ${start} is in the future; check the sender's clock`);

    const nameParts = this.nameParts;
    let organization = textField(this.fields.get('organization-name'));
    if (organization === undefined) {
      const from = context.headerSubmitter ? 'the TLS-Report-Submitter header' : nameParts ? 'the file name' : undefined;
      organization = context.headerSubmitter ?? nameParts?.submitter ?? 'unknown organization';
      warn(`organization-name is missing; using ${shown(organization)}${from ? ` from ${from}` : ''}`);
    }
    let reportId = textField(this.fields.get('report-id'));
    if (reportId === undefined) {
      reportId = `${organization}!${start}!${context.fileName}`;
      warn('report-id is missing; duplicates of this report cannot be recognised');
    }
    let contactInfo: string | undefined;
    const contact = this.fields.get('contact-info');
    if (contact === null) warn('contact-info is null');
    else if (contact !== undefined) contactInfo = textField(contact) ?? JSON.stringify(contact); // String() throws on {"toString": false}

    for (const message of this.policyWarnings.items) warn(message);
    unsaid += this.policyWarnings.more;
    if (unsaid > 0) warnings.push(`… and ${unsaid} more warning(s) like these`);
    const report: Report = { organization, reportId, start, end, policies: this.policies, warnings };
    if (contactInfo !== undefined) report.contactInfo = contactInfo;
    return { ok: true, report };
  }
}

/** One policy entry as it streams in: its details are read and folded as they come, the rest at its end. */
class EntryReader {
  readonly fields = new Map<string, Json>();
  detailsNotList: 'null' | 'other' | undefined;
  private readonly details = new Capped<FailureDetail>(MAX_DETAILS_KEPT);
  private readonly fold = new FailureFold();
  private readonly detailWarnings = new Capped<string>(MAX_WARNINGS);
  private readonly detailUnreadable = new Capped<Unreadable>(MAX_UNREADABLE_KEPT);
  private detailCount = 0;
  private detailSum = 0;

  constructor(private readonly where: string) {}

  detail(index: number, d: Json): void {
    const detail = parseDetail(d, `${this.where}.failure-details[${index}]`, (m) => void this.detailWarnings.push(m), this.detailUnreadable);
    if (!detail) return;
    this.detailCount++;
    this.detailSum += detail.failedSessionCount;
    this.fold.add(detail.resultType, detail.receivingMxHostname, detail.failedSessionCount);
    this.details.push(detail);
  }

  finish(fallbackDomain: { domain: string; from: string } | undefined, warnings: Capped<string>): ReportPolicy | undefined {
    const where = this.where;
    const warn = (message: string) => void warnings.push(message);
    const policy = this.fields.get('policy');
    if (!isObject(policy)) {
      warn(`${where} has no "policy" object; ignored`);
      return undefined;
    }
    let type = textField(policy['policy-type'])?.toLowerCase();
    if (type === undefined) {
      type = 'unknown';
      warn(`${where}.policy.policy-type is missing; counted as "unknown"`);
    } else if (!(POLICY_TYPES as readonly string[]).includes(type)) {
      warn(`${where}.policy.policy-type ${shown(type)} is not sts, tlsa or no-policy-found; kept as written`);
    }

    let domain: string | undefined;
    const written = textField(policy['policy-domain']);
    if (written !== undefined) domain = normalizeDomain(written, `${where}.policy.policy-domain`, warn);
    else if (fallbackDomain) {
      domain = normalizeDomain(fallbackDomain.domain, `${where}.policy.policy-domain`, warn);
      warn(`${where}.policy.policy-domain is missing; using ${shown(domain)} from ${fallbackDomain.from}`);
    }
    if (!domain) {
      warn(`${where}.policy.policy-domain is missing and neither a TLS-Report-Domain header nor the file name names it; policy ignored`);
      return undefined;
    }

    // Only an sts or tlsa entry has a policy to quote, so only there is a missing policy-string worth a word.
    const policyString = type !== 'sts' && type !== 'tlsa' && policy['policy-string'] === undefined
      ? []
      : policyLines(policy['policy-string'], `${where}.policy.policy-string`, warn);
    const mxHost = mxHosts(policy['mx-host'], `${where}.policy.mx-host`, warn);

    const rawSummary = this.fields.get('summary');
    const summary = isObject(rawSummary) ? rawSummary : undefined;
    if (!summary) warn(`${where}.summary is missing; counted as no sessions`);
    const unreadable: Unreadable[] = [];
    const successful = count(summary?.['total-successful-session-count'], `${where}.summary.total-successful-session-count`, warn, unreadable);
    const writtenFailed = count(summary?.['total-failure-session-count'], `${where}.summary.total-failure-session-count`, warn, unreadable);

    if (this.detailsNotList === 'other') warn(`${where}.failure-details is not a list; ignored`);
    for (const message of this.detailWarnings.items) warn(message);
    warnings.more += this.detailWarnings.more; // past a full list of MAX_WARNINGS: counted, never shown
    const detailSum = this.detailSum;
    let failed: number;
    if (writtenFailed === undefined || writtenFailed === null) {
      failed = detailSum; // an unreadable total was warned about by count()
      if (writtenFailed === undefined) warn(`${where}.summary.total-failure-session-count is missing; using ${detailSum}, the sum of the failure details`);
    } else {
      failed = writtenFailed;
      if (this.detailCount > 0 && detailSum !== writtenFailed) {
        warn(`${where}.summary.total-failure-session-count is ${writtenFailed} but its failure details add up to ${detailSum}; the total is counted as written`);
      }
    }
    if (successful === undefined) warn(`${where}.summary.total-successful-session-count is missing; counted as 0`);
    const all = [...unreadable, ...this.detailUnreadable.items];
    const more = Math.max(0, all.length - MAX_UNREADABLE_KEPT) + this.detailUnreadable.more;
    const result: ReportPolicy = {
      type, policyString, domain, mxHost, successful: successful ?? 0, failed, details: this.details.items,
      failures: this.fold.rowsCapped(), unreadable: all.slice(0, MAX_UNREADABLE_KEPT),
    };
    if (more > 0) result.unreadableMore = more;
    return result;
  }
}

function parseDetail(d: Json, where: string, warn: (message: string) => void, unreadable: Capped<Unreadable>): FailureDetail | undefined {
  if (!isObject(d)) {
    warn(`${where} is not an object; ignored`);
    return undefined;
  }
  let resultType = textField(d['result-type'])?.toLowerCase();
  if (resultType === undefined) {
    resultType = 'unknown';
    warn(`${where}.result-type is missing; counted as "unknown"`);
  } else if (!(RESULT_TYPES as readonly string[]).includes(resultType)) {
    warn(`${where}.result-type ${shown(resultType)} is not an RFC 8460 result type; kept as written`);
  }
  const found: Unreadable[] = [];
  const failedSessionCount = count(d['failed-session-count'], `${where}.failed-session-count`, warn, found);
  if (failedSessionCount === undefined) {
    // A failure was reported but not how many sessions: as unknown as a count that cannot be read.
    warn(`${where}.failed-session-count is missing; the failures of this policy cannot be counted`);
    found.push({ field: `${where}.failed-session-count (missing)` });
  }
  const detail: FailureDetail = { resultType, failedSessionCount: failedSessionCount ?? 0 };
  if (failedSessionCount === undefined || failedSessionCount === null) detail.unreadable = true;
  const mx = textField(d['receiving-mx-hostname']);
  if (mx !== undefined) detail.receivingMxHostname = normalizeDomain(mx, `${where}.receiving-mx-hostname`, warn);
  if (detail.unreadable && detail.receivingMxHostname) found[0]!.mx = detail.receivingMxHostname;
  for (const u of found) unreadable.push(u);
  const optional = [
    ['sending-mta-ip', 'sendingMtaIp'], ['receiving-mx-helo', 'receivingMxHelo'], ['receiving-ip', 'receivingIp'],
    ['additional-information', 'additionalInformation'], ['failure-reason-code', 'failureReasonCode'],
  ] as const;
  for (const [key, field] of optional) {
    const value = textField(d[key]);
    if (value !== undefined) detail[field] = value;
  }
  return detail;
}

/** policy-string: a list of lines (RFC 8460 §4.4); some send one string, Microsoft a JSON list inside a list. */
function policyLines(value: Json | undefined, where: string, warn: (message: string) => void): string[] {
  if (value === undefined || value === null) {
    warn(`${where} is missing; the policy senders saw is unknown`);
    return [];
  }
  if (typeof value === 'string') {
    warn(`${where} is a string, not a list of lines; split into lines`);
    return value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  }
  if (!Array.isArray(value)) {
    warn(`${where} is not a list; ignored`);
    return [];
  }
  const lines = value.filter((v): v is string => typeof v === 'string');
  if (lines.length !== value.length) warn(`${where} has entries that are not strings; they were left out`);
  if (lines.length === 1 && lines[0]!.trim().startsWith('[')) {
    try {
      const inner = JSON.parse(lines[0]!) as unknown;
      if (Array.isArray(inner) && inner.every((x) => typeof x === 'string')) {
        warn(`${where} is a JSON-encoded list inside a list; decoded`);
        return inner as string[];
      }
    } catch {
      // not JSON after all: keep the one line as written
    }
  }
  return lines;
}

/** mx-host: a list since erratum 6241, a string in the RFC as published, missing from Microsoft's reports. */
function mxHosts(value: Json | undefined, where: string, warn: (message: string) => void): string[] {
  if (value === undefined || value === null) return [];
  let list: Json[];
  if (typeof value === 'string') {
    warn(`${where} is a string, not a list (RFC 8460 erratum 6241); read as a list of one`);
    list = [value];
  } else if (Array.isArray(value)) {
    list = value;
  } else {
    warn(`${where} is not a list; ignored`);
    return [];
  }
  const hosts: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string') {
      warn(`${where} has an entry that is not a string; left out`);
      continue;
    }
    let host = item.trim();
    const leaked = /^mx\s*:\s*/i.exec(host);
    if (leaked) {
      host = host.slice(leaked[0].length);
      warn(`${where} entry ${shown(item)} carries the policy's "mx:" key; read as ${shown(host)}`);
    }
    hosts.push(normalizeDomain(host, where, warn));
  }
  return hosts;
}

/**
 * A name domainToASCII returns unchanged: lower-case letters, digits and hyphens in non-empty labels, no A-label
 * (xn--, which it checks) and a last label that is no number (the WHATWG host parser reads one as IPv4). Skipping
 * the call for these saves ≈ 2.5 µs a name, a third of the CPU of a report of 200,000 failure details.
 */
export const PLAIN_HOST = /^(?:(?!xn--)[a-z0-9-]+\.)*(?!xn--)(?!(?:\d+|0x[0-9a-f]*)$)[a-z0-9-]+$/;

/** Lower case, no trailing dot, A-labels (IDNA), so U-label and A-label reports land on one domain. A leading *. stays. */
export function normalizeDomain(name: string, where: string, warn: (message: string) => void): string {
  const trimmed = name.trim().replace(/\.$/, '');
  const wildcard = trimmed.startsWith('*.');
  const body = wildcard ? trimmed.slice(2) : trimmed;
  // A copy: the reader's strings are slices of its 64 KiB input pieces, and a name kept for the run (or as one
  // of 200,000 fold keys) would keep its piece alive; domainToASCII returns a new string anyway.
  const ascii = PLAIN_HOST.test(body) ? (` ${body}`).slice(1) : domainToASCII(body);
  if (ascii === '') {
    warn(`${where} ${shown(name)} is not a domain name; kept in lower case`);
    return trimmed.toLowerCase();
  }
  if (/[^\x00-\x7f]/.test(body)) warn(`${where} ${shown(name)} is an internationalized name; counted as ${shown(ascii)}`);
  return wildcard ? `*.${ascii}` : ascii;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/** RFC 3339 date-time; without a zone (Microsoft, 2023) it is read as UTC. Returns ISO 8601 UTC. */
function timestamp(value: Json | undefined, where: string, warn: (message: string) => void): string | { problem: string } {
  if (typeof value !== 'string') return { problem: value === undefined ? 'missing' : `got ${shown(value)}` };
  const m = RFC3339.exec(value.trim());
  if (!m) return { problem: `${shown(value)} is not an RFC 3339 date-time` };
  let zone = m[8];
  if (zone === undefined) {
    warn(`${where} ${shown(value)} has no time zone; read as UTC`);
    zone = 'Z';
  }
  const normalized = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${zone.toUpperCase().replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`;
  const date = new Date(normalized);
  if (Number.isNaN(date.getTime()) || Number(m[2]) > 12 || Number(m[3]) > 31) return { problem: `${shown(value)} is not a real date` };
  return date.toISOString();
}

/**
 * A session count: a non-negative safe integer; a numeric string is accepted with a warning. Anything else
 * (1.5, "1e3", "1,000", -3, null, 2^53 + 1) is `null`: the count is unreadable, never taken as 0, because a
 * failure counted as 0 would let the verdict say ready (fail closed).
 */
function count(value: Json | undefined, where: string, warn: (message: string) => void, unreadable: Unreadable[]): number | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\s*\d{1,15}\s*$/.test(value)) {
    warn(`${where} is the string ${shown(value)}, not a number; read as ${Number(value)}`);
    return Number(value);
  }
  warn(`${where} is not a session count (a non-negative whole number; got ${shown(value)}); the failures of this policy cannot be counted`);
  unreadable.push({ field: `${where} (got ${shown(value)})` });
  return null;
}

/** RFC 8460 §5.3 file name: submitter!policy-domain!begin-timestamp!end-timestamp[!unique-id].json[.gz]. */
export function reportFileName(name: string): { submitter: string; domain: string } | undefined {
  const base = name.split(/[\\/]/).pop() ?? name;
  const m = /^([^!]+)!([^!]+)!(\d+)!(\d+)(?:![^!]*)?$/.exec(base.replace(/\.gz$/i, '').replace(/\.json$/i, ''));
  return m ? { submitter: m[1]!, domain: m[2]! } : undefined;
}

function textField(value: Json | undefined): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as it reads in a warning, cut short (reports are untrusted; renderers neutralise control characters). */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 76)}…"` : text;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The first byte that is no JSON white space, after a UTF-8 BOM when `atStart`; undefined when there is none. */
function firstSignificantByte(bytes: Uint8Array, atStart = true): number | undefined {
  let i = 0;
  if (atStart && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3; // UTF-8 BOM
  while (i < bytes.byteLength && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i];
}

/** A mail starts with header fields (RFC 5322 §2.2): `Name: value` on the first line. */
function looksLikeMail(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 1000)).toString('latin1');
  return /^[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r?\n/.test(head);
}

function mib(bytes: number): string {
  return `${bytes / 1024 / 1024} MiB`;
}
