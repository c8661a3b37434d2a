// The parser against every real-sender shape: each fixture imitates one sender's deviation, and the test
// checks both the repaired value and the warning that records the repair.
import { domainToASCII } from 'node:url';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InflateBudget, MAX_REPORT_BYTES, PLAIN_HOST, decodeReport, type ParseOutcome } from '../../src/tlsrpt/parser.ts';
import type { Report } from '../../src/tlsrpt/model.ts';
import { DOMAIN, MX, detail, gz, json, mail, plainMail, policyEntry, policyLines, report, reportFileName } from './fixtures.ts';

async function parse(bytes: Uint8Array, fileName = 'report.json', headerDomain?: string): Promise<Report> {
  const outcome = await decodeReport(bytes, { fileName, ...(headerDomain ? { headerDomain } : {}) });
  if (!outcome.ok) throw new Error(`expected a report, got: ${outcome.reason}`);
  return outcome.report;
}

async function skipped(bytes: Uint8Array, fileName = 'x'): Promise<string> {
  const outcome: ParseOutcome = await decodeReport(bytes, { fileName });
  if (outcome.ok) throw new Error('expected the input to be skipped');
  return outcome.reason;
}

describe('the RFC 8460 shape', () => {
  it('reads a conforming report without warnings, by content: JSON, gzip and a report mail give the same report', async () => {
    const r = report({ policies: [policyEntry({ mxHost: [MX], successful: 120, details: [detail({ resultType: 'certificate-expired', count: 2, mx: MX, ip: '198.51.100.7' })] })] });
    const fromJson = await parse(json(r), 'anything.bin');
    expect(fromJson).toMatchObject({
      organization: 'Google Inc.', start: '2026-03-01T00:00:00.000Z', end: '2026-03-01T23:59:59.000Z', warnings: [],
      contactInfo: 'smtp-tls-reporting@sender.example',
    });
    expect(fromJson.policies).toEqual([{
      type: 'sts', domain: DOMAIN, policyString: policyLines(), mxHost: [MX], successful: 120, failed: 2,
      details: [{ resultType: 'certificate-expired', failedSessionCount: 2, receivingMxHostname: MX, sendingMtaIp: '198.51.100.7', receivingIp: '192.0.2.25' }],
      failures: [{ resultType: 'certificate-expired', mx: MX, sessions: 2 }],
      unreadable: [],
    }]);
    expect(await parse(gz(r), 'no-extension')).toEqual(fromJson);
    expect(await parse(mail({ attachment: gz(r) }), 'message.txt')).toEqual(fromJson);
    expect(await parse(mail({ attachment: json(r), mimeType: 'application/tlsrpt+json', filename: 'r.json' }))).toEqual(fromJson);
  });

  it('reads JSON with a UTF-8 byte order mark', async () => {
    const r = await parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(report())]));
    expect(r.warnings).toEqual([]);
    expect(r.organization).toBe('Google Inc.');
  });

  it('finds a report in any attachment, whatever its media type', async () => {
    const r = await parse(mail({ attachment: gz(report({ org: 'Other' })), mimeType: 'application/octet-stream', filename: 'x.bin' }));
    expect(r.organization).toBe('Other');
  });
});

describe('Microsoft (2023)', () => {
  it('reads date-range timestamps without a time zone as UTC, with a warning each', async () => {
    const r = await parse(json(report({ range: 'microsoft-2023', day: '2026-03-04' })));
    expect([r.start, r.end]).toEqual(['2026-03-04T00:00:00.000Z', '2026-03-04T23:59:59.000Z']);
    expect(r.warnings).toEqual([
      'date-range.start-datetime "2026-03-04T00:00:00" has no time zone; read as UTC',
      'date-range.end-datetime "2026-03-04T23:59:59" has no time zone; read as UTC',
    ]);
  });

  it('accepts a missing mx-host without a warning (RFC 8460 makes it optional)', async () => {
    const r = await parse(json(report()));
    expect(r.policies[0]!.mxHost).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('decodes a TLSA policy-string sent as a JSON-encoded list inside a one-element list', async () => {
    const records = ['3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6', '3 1 1 1F3F3D7CD5A35D3D7B4E4B1E9E3C2E6C2F3B4D7E1A9A8F7C6B5D4E3F2A1B0C9D'];
    const r = await parse(json(report({ policies: [policyEntry({ type: 'tlsa', policyString: [JSON.stringify(records)] })] })));
    expect(r.policies[0]!.policyString).toEqual(records);
    expect(r.warnings).toEqual(['policies[0].policy.policy-string is a JSON-encoded list inside a list; decoded']);
  });

  it('reads a mail whose body is text/html and whose fetch-error details name no sending IP or MX', async () => {
    const r = report({
      org: 'Microsoft Corporation',
      policies: [policyEntry({ successful: 0, details: [detail({ resultType: 'sts-policy-fetch-error', count: 3 })] })],
    });
    const parsed = await parse(mail({ attachment: gz(r), bodyType: 'text/html', reportDomain: DOMAIN, submitter: 'microsoft.com' }));
    expect(parsed.policies[0]!.details).toEqual([{ resultType: 'sts-policy-fetch-error', failedSessionCount: 3 }]);
    expect(parsed.policies[0]!.failed).toBe(3);
    expect(parsed.warnings).toEqual([]);
  });
});

describe('Google', () => {
  it('reads mx-host as a list, a policy with max_age before mx, and a day ending 23:59:59Z', async () => {
    const r = await parse(mail({ attachment: gz(report({ policies: [policyEntry({ mxHost: ['MX1.Contoso.Example.'], policyString: policyLines('testing', ['*.contoso.example'], 'max_age-first') })] })) }));
    expect(r.policies[0]!.mxHost).toEqual([MX]);
    expect(r.policies[0]!.policyString).toEqual(['version: STSv1', 'mode: testing', 'max_age: 604800', 'mx: *.contoso.example']);
    expect(r.end).toBe('2026-03-01T23:59:59.000Z');
    expect(r.warnings).toEqual([]);
  });

  it('keeps a no-policy-found policy that names its domain, without asking for a policy-string', async () => {
    const r = await parse(json(report({ policies: [policyEntry({ type: 'no-policy-found', successful: 48 })] })));
    expect(r.policies[0]).toMatchObject({ type: 'no-policy-found', domain: DOMAIN, policyString: [], successful: 48, failed: 0 });
    expect(r.warnings).toEqual([]);
  });
});

describe('Mail.ru', () => {
  it('flags a total that disagrees with its details, counts the total as written, and reads details without IP or MX', async () => {
    const r = await parse(json(report({
      org: 'Mail.ru', range: 'mailru', day: '2026-03-05',
      policies: [policyEntry({
        policyString: null, successful: 0, failed: 1,
        details: [detail({ resultType: 'sts-policy-fetch-error', count: 1, reason: 'bad https response code: 404' }), detail({ resultType: 'sts-policy-fetch-error', count: 1, reason: 'Get "https://mta-sts.contoso.example/.well-known/mta-sts.txt": dial tcp: i/o timeout' })],
      })],
    })));
    expect(r.start).toBe('2026-03-05T00:00:00.000Z');
    expect(r.end).toBe('2026-03-06T00:00:00.000Z');
    expect(r.policies[0]).toMatchObject({ failed: 1, policyString: [] });
    expect(r.policies[0]!.details.map((d) => d.failureReasonCode)).toEqual(['bad https response code: 404', 'Get "https://mta-sts.contoso.example/.well-known/mta-sts.txt": dial tcp: i/o timeout']);
    expect(r.warnings).toEqual([
      'policies[0].policy.policy-string is missing; the policy senders saw is unknown',
      'policies[0].summary.total-failure-session-count is 1 but its failure details add up to 2; the total is counted as written',
    ]);
  });
});

describe('Postfix with a TLS-RPT reporter: no-policy-found without policy-domain', () => {
  const entry = () => report({ org: 'mail.sender.example', policies: [policyEntry({ type: 'no-policy-found', domain: null, successful: 5 })] });

  it('takes the domain from the TLS-Report-Domain header of the mail', async () => {
    const r = await parse(mail({ attachment: gz(entry()), reportDomain: 'Contoso.Example.' }));
    expect(r.policies[0]!.domain).toBe(DOMAIN);
    expect(r.warnings).toEqual(['policies[0].policy.policy-domain is missing; using "contoso.example" from the TLS-Report-Domain header']);
  });

  it('takes the domain from a submitter!domain!begin!end!id file name', async () => {
    const r = await parse(gz(entry()), reportFileName('mail.sender.example', DOMAIN, '2026-03-01'));
    expect(r.policies[0]!.domain).toBe(DOMAIN);
    expect(r.warnings).toEqual(['policies[0].policy.policy-domain is missing; using "contoso.example" from the file name']);
  });

  it('ignores the policy, with a warning, when nothing names the domain', async () => {
    const r = await parse(gz(entry()), 'saved.json.gz');
    expect(r.policies).toEqual([]);
    expect(r.warnings).toEqual(['policies[0].policy.policy-domain is missing and neither a TLS-Report-Domain header nor the file name names it; policy ignored']);
  });
});

describe('other senders', () => {
  it('takes a missing organization-name from the TLS-Report-Submitter header, else the file name', async () => {
    const { 'organization-name': _dropped, ...anonymous } = report();
    const fromHeader = await parse(mail({ attachment: gz(anonymous), submitter: 'mail.sender.example' }));
    expect(fromHeader.organization).toBe('mail.sender.example');
    expect(fromHeader.warnings).toEqual(['organization-name is missing; using "mail.sender.example" from the TLS-Report-Submitter header']);
    const fromName = await parse(gz(anonymous), reportFileName('sender.example', DOMAIN, '2026-03-01'));
    expect(fromName.warnings).toEqual(['organization-name is missing; using "sender.example" from the file name']);
  });

  it('accepts contact-info: null', async () => {
    const r = await parse(json(report({ contact: null })));
    expect(r.contactInfo).toBeUndefined();
    expect(r.warnings).toEqual(['contact-info is null']);
  });

  it('reads mx-host as a string (RFC 8460 as first published) and strips a leaked "mx:" key', async () => {
    const asString = await parse(json(report({ policies: [policyEntry({ mxHost: MX })] })));
    expect(asString.policies[0]!.mxHost).toEqual([MX]);
    expect(asString.warnings).toEqual(['policies[0].policy.mx-host is a string, not a list (RFC 8460 erratum 6241); read as a list of one']);
    const leaked = await parse(json(report({ policies: [policyEntry({ mxHost: [`mx: ${MX}`] })] })));
    expect(leaked.policies[0]!.mxHost).toEqual([MX]);
    expect(leaked.warnings).toEqual([`policies[0].policy.mx-host entry "mx: ${MX}" carries the policy's "mx:" key; read as "${MX}"`]);
  });

  it('reads failure counts without any failure-details', async () => {
    const r = await parse(json(report({ policies: [policyEntry({ failed: 7, details: null })] })));
    expect(r.policies[0]).toMatchObject({ failed: 7, details: [] });
    expect(r.warnings).toEqual([]);
  });

  it('keeps an invalid policy-type and an unknown result type as written', async () => {
    const r = await parse(json(report({ policies: [policyEntry({ type: 'invalid-policy-type', details: [detail({ resultType: 'Tls-Downgraded', count: 1 })] })] })));
    expect(r.policies[0]!.type).toBe('invalid-policy-type');
    expect(r.policies[0]!.details[0]!.resultType).toBe('tls-downgraded');
    expect(r.warnings).toEqual([
      'policies[0].policy.policy-type "invalid-policy-type" is not sts, tlsa or no-policy-found; kept as written',
      'policies[0].failure-details[0].result-type "tls-downgraded" is not an RFC 8460 result type; kept as written',
    ]);
  });

  it('normalises domains to lower-case A-labels without a trailing dot, so U-label and A-label reports meet', async () => {
    const aLabel = await parse(json(report({ policies: [policyEntry({ domain: 'XN--BCHER-KVA.Example.' })] })));
    const uLabel = await parse(json(report({ policies: [policyEntry({ domain: 'bücher.example' })] })));
    expect(aLabel.policies[0]!.domain).toBe('xn--bcher-kva.example');
    expect(aLabel.warnings).toEqual([]);
    expect(uLabel.policies[0]!.domain).toBe('xn--bcher-kva.example');
    expect(uLabel.warnings).toEqual(['policies[0].policy.policy-domain "bücher.example" is an internationalized name; counted as "xn--bcher-kva.example"']);
  });

  it('reads counts sent as numeric strings', async () => {
    const r = await parse(json(report({ policies: [policyEntry({ successful: '250', failed: '2', details: [detail({ resultType: 'validation-failure', count: '2', mx: MX })] })] })));
    expect(r.policies[0]).toMatchObject({ successful: 250, failed: 2 });
    expect(r.policies[0]!.details[0]!.failedSessionCount).toBe(2);
    expect(r.warnings).toEqual([
      'policies[0].summary.total-successful-session-count is the string "250", not a number; read as 250',
      'policies[0].summary.total-failure-session-count is the string "2", not a number; read as 2',
      'policies[0].failure-details[0].failed-session-count is the string "2", not a number; read as 2',
    ]);
  });

  it('sums the details when total-failure-session-count is missing', async () => {
    const r = await parse(json(report({ policies: [policyEntry({ failed: null, details: [detail({ resultType: 'validation-failure', count: 2, mx: MX }), detail({ resultType: 'certificate-expired', count: 3, mx: MX })] })] })));
    expect(r.policies[0]!.failed).toBe(5);
    expect(r.warnings).toEqual(['policies[0].summary.total-failure-session-count is missing; using 5, the sum of the failure details']);
  });

  it('splits a policy-string sent as one string into lines', async () => {
    const r = await parse(json(report({ policies: [policyEntry({ policyString: 'version: STSv1\nmode: testing\nmx: *.contoso.example\nmax_age: 604800\n' })] })));
    expect(r.policies[0]!.policyString).toEqual(policyLines());
    expect(r.warnings).toEqual(['policies[0].policy.policy-string is a string, not a list of lines; split into lines']);
  });
});

describe('files that are no report are skipped with a reason, never a crash', () => {
  it.each([
    ['a plain mail', plainMail(), /^a mail message without a TLS-RPT report \(no attachment\)$/],
    ['a truncated gzip', gz(report()).subarray(0, 40), /^gzip data that is truncated or corrupt \(unexpected end of file\)$/],
    ['JSON of another shape', Buffer.from('{"feedback": {"report_metadata": {}}}'), /^JSON that is not a TLS-RPT report/],
    ['a JSON list', Buffer.from('[1, 2]'), /^JSON that is not a TLS-RPT report/],
    ['broken JSON', Buffer.from('{"organization-name": '), /^not valid JSON/],
    ['a text file', Buffer.from('# notes\nnothing here\n'), /^not a TLS-RPT report: neither JSON, gzip nor a mail message$/],
    ['an empty file', Buffer.alloc(0), /^not a TLS-RPT report/],
    ['a report without a date', Buffer.from(JSON.stringify({ ...report(), 'date-range': { 'start-datetime': 'yesterday' } })), /^a report without a usable date-range.start-datetime \("yesterday" is not an RFC 3339 date-time\)$/],
    ['a report mail with a broken attachment', mail({ attachment: gz(report()).subarray(0, 30) }), /^a report mail whose report cannot be read: its application\/tlsrpt\+gzip part is gzip data that is truncated or corrupt/],
  ])('%s', async (_, bytes, reason) => {
    expect(await skipped(bytes)).toMatch(reason);
  });

  it(`stops a decompression bomb at ${MAX_REPORT_BYTES / 1024 / 1024} MiB without inflating it`, async () => {
    // 60 MiB of spaces inside a JSON object compresses to about 60 KiB.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(60 * 1024 * 1024, 0x20), Buffer.from('"}')]));
    expect(bomb.byteLength).toBeLessThan(200_000);
    const before = process.memoryUsage().arrayBuffers;
    expect(await skipped(bomb)).toBe('gzip data that inflates to more than 50 MiB (the limit per file, all its attachments together); not read');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MAX_REPORT_BYTES + 16 * 1024 * 1024);
  });
});

/** A report mail with several gzip attachments. */
function mailOf(attachments: Buffer[]): Buffer {
  const b = 'many';
  const parts = attachments.flatMap((a, i) => [`--${b}`, 'Content-Type: application/tlsrpt+gzip', 'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="r${i}.json.gz"`, '', a.toString('base64').replace(/.{76}/g, '$&\r\n')]);
  return Buffer.from(['From: a@sender.example', 'MIME-Version: 1.0', `Content-Type: multipart/report; report-type="tlsrpt"; boundary="${b}"`, '', ...parts, `--${b}--`, ''].join('\r\n'));
}

describe('inflate budgets', () => {
  // 600 bytes of JSON that is no report: each attachment is inflated, then found wanting.
  const notReport = gzipSync(Buffer.from(`{"a":"${' '.repeat(592)}"}`));

  it('per file: all the attachments of one mail together, not each on its own', async () => {
    const budget = new InflateBudget(1000);
    const outcome = await decodeReport(mailOf([notReport, notReport, notReport]), { fileName: 'x.eml', budget });
    expect(outcome).toEqual({ ok: false, reason: expect.stringContaining('its application/tlsrpt+gzip part is gzip data that inflates to more than 50 MiB (the limit per file, all its attachments together); not read') });
    expect(budget.fileLeft).toBe(0);
    // With room for all three, none is refused for size.
    const roomy = await decodeReport(mailOf([notReport, notReport, notReport]), { fileName: 'x.eml', budget: new InflateBudget(1800) });
    expect(roomy.ok ? '' : roomy.reason).not.toContain('inflates');
  });

  it('per run: once the run has inflated its budget, further gzip files are refused', async () => {
    const run = new InflateBudget(MAX_REPORT_BYTES, { left: 1500 });
    const reasons: string[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await decodeReport(notReport, { fileName: 'x.gz', budget: run.nextFile() });
      reasons.push(outcome.ok ? 'ok' : outcome.reason);
    }
    expect(reasons[0]).toMatch(/^JSON that is not a TLS-RPT report/);
    expect(reasons[1]).toMatch(/^JSON that is not a TLS-RPT report/);
    expect(reasons[2]).toBe('gzip data beyond what one run may inflate (2048 MiB over all files, the limit); not read');
  });
});

describe('never throws', () => {
  it('for any bytes, as JSON, gzip or mail', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.constantFrom('raw', 'gzip', 'mail', 'json-prefix'), async (bytes, wrap) => {
      const input = wrap === 'gzip' ? gzipSync(bytes) : wrap === 'mail' ? mail({ attachment: Buffer.from(bytes) })
        : wrap === 'json-prefix' ? Buffer.concat([Buffer.from('{"policies": ['), bytes]) : Buffer.from(bytes);
      const outcome = await decodeReport(input, { fileName: 'x' });
      expect(typeof (outcome.ok ? outcome.report.organization : outcome.reason)).toBe('string');
    }), { numRuns: 300 });
  });

  it('for a report whose every field is replaced by any JSON value', async () => {
    const base = report({ policies: [policyEntry({ mxHost: [MX], details: [detail({ resultType: 'validation-failure', count: 1, mx: MX })] })] });
    const paths: string[][] = [
      ['organization-name'], ['report-id'], ['contact-info'], ['date-range'], ['date-range', 'start-datetime'], ['policies'],
      ['policies', '0'], ['policies', '0', 'policy'], ['policies', '0', 'policy', 'policy-type'], ['policies', '0', 'policy', 'policy-string'],
      ['policies', '0', 'policy', 'policy-domain'], ['policies', '0', 'policy', 'mx-host'], ['policies', '0', 'summary'],
      ['policies', '0', 'summary', 'total-failure-session-count'], ['policies', '0', 'failure-details'],
      ['policies', '0', 'failure-details', '0'], ['policies', '0', 'failure-details', '0', 'failed-session-count'],
      ['policies', '0', 'failure-details', '0', 'receiving-mx-hostname'],
    ];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), fc.jsonValue(), async (path, value) => {
      const copy = structuredClone(base) as Record<string, unknown>;
      let node = copy as Record<string, unknown>;
      for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
      node[path.at(-1)!] = value;
      const outcome = await decodeReport(json(copy), { fileName: 'x.json' });
      if (outcome.ok) {
        for (const p of outcome.report.policies) {
          expect(Number.isSafeInteger(p.successful) && p.successful >= 0).toBe(true);
          expect(Number.isSafeInteger(p.failed) && p.failed >= 0).toBe(true);
          expect(p.mxHost.every((h) => typeof h === 'string')).toBe(true);
        }
      } else {
        expect(outcome.reason).toMatch(/\S/);
      }
    }), {
      numRuns: 500,
      // Found by this property once: an object whose toString is not a function cannot be made a string by String().
      examples: [[['contact-info'], { toString: false }], [['organization-name'], { valueOf: null, toString: 1 }]],
    });
  });
});

describe('read as a stream (report-json.ts): one failure detail at a time', () => {
  /** The same JSON with every object's keys in reverse order: "failure-details" before "policy", "policies" first. */
  const reversed = (v: unknown): unknown => Array.isArray(v) ? v.map(reversed)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;

  it('gives the same report and the same warnings, in the same order, whatever order the keys come in', async () => {
    const odd = Array.from({ length: 150 }, (_, i) => detail({ resultType: i % 2 ? 'Made-Up' : 'validation-failure', count: i % 3 ? i : `${i}`, mx: `mx${i % 7}.contoso.example` }));
    const r = report({ range: 'microsoft-2023', policies: [policyEntry({ details: odd, failed: null, policyString: null }), policyEntry({ type: 'tlsa', details: odd.slice(0, 3) })] });
    const inOrder = await parse(json(r));
    expect(inOrder.warnings.slice(0, 3)).toEqual([
      'date-range.start-datetime "2026-03-01T00:00:00" has no time zone; read as UTC',
      'date-range.end-datetime "2026-03-01T23:59:59" has no time zone; read as UTC',
      'policies[0].policy.policy-string is missing; the policy senders saw is unknown',
    ]);
    expect(inOrder.warnings).toHaveLength(101);
    expect(inOrder.warnings.at(-1)).toMatch(/^… and \d+ more warning\(s\) like these$/);
    expect(await parse(json(reversed(r) as Record<string, unknown>))).toEqual(inOrder);
  });

  it('keeps the first 100 details as written and folds every detail per (result type, MX), with the unreadable counts capped', async () => {
    const details = Array.from({ length: 5000 }, (_, i) => detail({ resultType: 'certificate-expired', count: i % 1000 === 999 ? 'many' : 2, mx: `mx${i % 3}.contoso.example` }));
    const [p] = (await parse(gz(report({ policies: [policyEntry({ details, failed: 9990 })] })))).policies;
    expect(p!.details).toHaveLength(100);
    expect(p!.failures).toEqual([0, 1, 2].map((k) => ({ resultType: 'certificate-expired', mx: `mx${k}.contoso.example`, sessions: 3330 })));
    expect(p!.unreadable.map((u) => u.field)).toEqual([999, 1999, 2999, 3999, 4999].map((i) => `policies[0].failure-details[${i}].failed-session-count (got "many")`));
    expect(p!.unreadableMore).toBeUndefined();
    const worse = Array.from({ length: 130 }, () => detail({ resultType: 'validation-failure', count: -1 }));
    const [q] = (await parse(json(report({ policies: [policyEntry({ details: worse, successful: 'x' })] })))).policies;
    expect(q!.unreadable).toHaveLength(100);
    // The summary's two totals first (the fixture sums the -1s to -130), then the details in order.
    expect(q!.unreadable.slice(0, 3).map((u) => u.field)).toEqual([
      'policies[0].summary.total-successful-session-count (got "x")', 'policies[0].summary.total-failure-session-count (got -130)',
      'policies[0].failure-details[0].failed-session-count (got -1)',
    ]);
    expect(q!.unreadableMore).toBe(32);
  });

  it.each([
    ['nested deeper than any report', `{"policies": [], "date-range": ${'['.repeat(40)}${']'.repeat(40)}}`, 'JSON nested more than 32 levels deep (a TLS-RPT report needs 5); not read'],
    ['a count nested 100,000 deep (a stack overflow before)', JSON.stringify(report({ policies: [policyEntry({ details: [{ 'result-type': 'validation-failure' }] })] })).replace('"result-type"', `"failed-session-count": ${'['.repeat(100_000)}${']'.repeat(100_000)}, "result-type"`), 'JSON nested more than 32 levels deep (a TLS-RPT report needs 5); not read'],
    ['"policies" twice', JSON.stringify(report()).replace(/}$/, ', "policies": []}'), 'JSON that cannot be read in one pass ("policies" appears twice in the report); not read'],
    ['"failure-details" twice', JSON.stringify(report({ policies: [policyEntry({ details: [detail({ resultType: 'validation-failure', count: 1 })] })] })).replace('"failure-details"', '"failure-details": 5, "failure-details"'), 'JSON that cannot be read in one pass ("failure-details" appears twice in policies[0]); not read'],
  ])('refuses %s with a clear reason (fail closed)', async (_, text, reason) => {
    expect(await skipped(Buffer.from(text))).toBe(reason);
    expect(await skipped(gzipSync(text))).toBe(reason);
  });

  it('reads a count beyond 2^53 - 1 as unreadable, as JSON.parse did, and a later copy of any other key wins', async () => {
    const text = JSON.stringify(report({ policies: [policyEntry({ details: [detail({ resultType: 'validation-failure', count: 1, mx: MX })] })] }))
      .replace('"failed-session-count":1', '"failed-session-count":9007199254740993')
      .replace('"organization-name":', '"organization-name":"First","organization-name":');
    const r = await parse(Buffer.from(text));
    expect(r.organization).toBe('Google Inc.');
    expect(r.policies[0]!.unreadable).toEqual([{ field: 'policies[0].failure-details[0].failed-session-count (got 9007199254740992)', mx: MX }]);
  });
});

describe('normalizeDomain without domainToASCII for plain names (PLAIN_HOST)', () => {
  it('takes only names domainToASCII returns unchanged', () => {
    const examples = ['mx1.contoso.example', '-a.com', 'a-.com', 'mx.1e3', 'mx.123', 'mx.0x1f', '0x1f', '1.2.3.4', 'mx.09', 'x.0x', 'xn--bcher-kva.example', 'xn--a.example', 'a..b', 'a.b.'];
    for (const name of examples) if (PLAIN_HOST.test(name)) expect(domainToASCII(name)).toBe(name);
    expect(examples.filter((n) => PLAIN_HOST.test(n))).toEqual(['mx1.contoso.example', '-a.com', 'a-.com', 'mx.1e3']);
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'abcefx0123456789-.'), maxLength: 24 }), (name) => {
      if (PLAIN_HOST.test(name)) expect(domainToASCII(name)).toBe(name);
    }), { numRuns: 5000 });
  });
});
