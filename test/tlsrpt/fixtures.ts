// Report fixtures of our own, in the shapes real senders use (see docs/reports-and-rollout.md "From testing to enforce" and the
// parser's header comment): each builder says which sender it imitates, so a test says what it checks.
import { gzipSync } from 'node:zlib';

export type Json = Record<string, unknown>;

export const DOMAIN = 'contoso.example';
export const MX = 'mx1.contoso.example';
export const MX_PATTERN = '*.contoso.example';

/** The policy lines of a testing policy as the RFC example and Google send them. */
export function policyLines(mode = 'testing', mx: string[] = [MX_PATTERN], order: 'mx-first' | 'max_age-first' = 'mx-first'): string[] {
  const mxLines = mx.map((m) => `mx: ${m}`);
  return order === 'mx-first'
    ? ['version: STSv1', `mode: ${mode}`, ...mxLines, 'max_age: 604800']
    : ['version: STSv1', `mode: ${mode}`, 'max_age: 604800', ...mxLines];
}

export interface Detail { resultType: string; count: number | string; mx?: string; ip?: string; reason?: string }

export function detail(d: Detail): Json {
  return {
    'result-type': d.resultType,
    ...(d.ip ? { 'sending-mta-ip': d.ip } : {}),
    ...(d.mx ? { 'receiving-mx-hostname': d.mx, 'receiving-ip': '192.0.2.25' } : {}),
    'failed-session-count': d.count,
    ...(d.reason ? { 'failure-reason-code': d.reason } : {}),
  };
}

export interface PolicyEntry {
  type?: string;
  domain?: string | null;
  /** null leaves policy-string out. */
  policyString?: unknown;
  mxHost?: unknown;
  successful?: unknown;
  /** null leaves total-failure-session-count out. */
  failed?: unknown;
  details?: Json[] | null;
}

export function policyEntry(p: PolicyEntry = {}): Json {
  const policy: Json = { 'policy-type': p.type ?? 'sts' };
  if (p.policyString === null) { /* left out, as Mail.ru does */ } else if (p.policyString !== undefined) policy['policy-string'] = p.policyString;
  else if ((p.type ?? 'sts') === 'sts') policy['policy-string'] = policyLines();
  if (p.domain !== null) policy['policy-domain'] = p.domain ?? DOMAIN;
  if (p.mxHost !== undefined) policy['mx-host'] = p.mxHost;
  const summary: Json = { 'total-successful-session-count': p.successful ?? 100 };
  const details = p.details === null ? undefined : p.details ?? [];
  if (p.failed !== null) {
    summary['total-failure-session-count'] = p.failed ?? (details ?? []).reduce((n, d) => n + Number(d['failed-session-count']), 0);
  }
  return { policy, summary, ...(details && details.length ? { 'failure-details': details } : {}) };
}

export interface ReportOptions {
  org?: string;
  id?: string;
  /** YYYY-MM-DD; the report covers this UTC day. */
  day?: string;
  /** How the sender writes the range: RFC/Google (T00:00:00Z–T23:59:59Z), Mail.ru (to 00:00:00Z the next day), Microsoft 2023 (no zone). */
  range?: 'google' | 'mailru' | 'microsoft-2023';
  contact?: string | null;
  policies?: Json[];
}

export function report(o: ReportOptions = {}): Json {
  const day = o.day ?? '2026-03-01';
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const range = o.range ?? 'google';
  const start = range === 'microsoft-2023' ? `${day}T00:00:00` : `${day}T00:00:00Z`;
  const end = range === 'mailru' ? `${next}T00:00:00Z` : range === 'microsoft-2023' ? `${day}T23:59:59` : `${day}T23:59:59Z`;
  const org = o.org ?? 'Google Inc.';
  return {
    'organization-name': org,
    'date-range': { 'start-datetime': start, 'end-datetime': end },
    'contact-info': o.contact === undefined ? 'smtp-tls-reporting@sender.example' : o.contact,
    'report-id': o.id ?? `${day}T00:00:00Z_${DOMAIN}_${org}`,
    policies: o.policies ?? [policyEntry()],
  };
}

export const json = (r: Json): Buffer => Buffer.from(JSON.stringify(r, null, 2));
export const gz = (r: Json): Buffer => gzipSync(json(r));

/** The RFC 8460 §5.3 file name: submitter!policy-domain!begin!end!id.json.gz. */
export function reportFileName(submitter: string, domain: string, day: string, id = '001'): string {
  const begin = Date.parse(`${day}T00:00:00Z`) / 1000;
  return `${submitter}!${domain}!${begin}!${begin + 86399}!${id}.json.gz`;
}

export interface MailOptions {
  /** The attachment's bytes. */
  attachment: Buffer;
  mimeType?: string;
  filename?: string;
  /** Google sends text/plain, Microsoft text/html. */
  bodyType?: 'text/plain' | 'text/html';
  reportDomain?: string;
  submitter?: string;
}

/** A multipart/report; report-type=tlsrpt message (RFC 8460 §5.3) with a base64 attachment. */
export function mail(o: MailOptions): Buffer {
  const boundary = '=_tlsrpt_boundary_42';
  const base64 = o.attachment.toString('base64').replace(/.{76}/g, '$&\r\n');
  const body = o.bodyType === 'text/html' ? '<html><body><p>This is a TLS-RPT report.</p></body></html>' : 'This is an aggregate TLS report.';
  const lines = [
    'From: "TLS reports" <noreply-smtp-tls-reporting@sender.example>',
    `To: tlsrpt@${DOMAIN}`,
    `Subject: Report Domain: ${o.reportDomain ?? DOMAIN} Submitter: ${o.submitter ?? 'sender.example'} Report-ID: <1@sender.example>`,
    'Date: Mon, 02 Mar 2026 06:00:00 +0000',
    'Message-ID: <report-1@sender.example>',
    ...(o.reportDomain !== undefined ? [`TLS-Report-Domain: ${o.reportDomain}`] : []),
    `TLS-Report-Submitter: ${o.submitter ?? 'sender.example'}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type="tlsrpt"; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    `Content-Type: ${o.bodyType ?? 'text/plain'}; charset=utf-8`,
    '',
    body,
    '',
    `--${boundary}`,
    `Content-Type: ${o.mimeType ?? 'application/tlsrpt+gzip'}`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${o.filename ?? 'report.json.gz'}"`,
    '',
    base64,
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

/** A plain mail, no report in it. */
export function plainMail(): Buffer {
  return Buffer.from('From: someone@sender.example\r\nTo: tlsrpt@contoso.example\r\nSubject: hello\r\n\r\nJust a note.\r\n');
}
