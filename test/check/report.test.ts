// Rendering: the table and JUnit XML that survives any message text.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { JsonReportWriter, renderFindings, renderJson, renderJunit, renderTable } from '../../src/check/report.ts';
import { writeFileAtomic } from '../../src/files/atomic.ts';
import type { DomainReport } from '../../src/check/result.ts';

const hostile = 'a <b> & "c" \'d\' \u0000\u001b[31m é 📬 ]]> --> end';
const reports: DomainReport[] = [
  {
    domain: 'x.example',
    status: 'fail',
    checks: [
      { check: 'sts-record', status: 'pass', code: 'sts-record-ok', message: 'fine' },
      { check: 'policy-fetch', status: 'fail', code: 'policy-http-status', message: hostile, evidence: { body: hostile } },
      { check: 'tlsrpt', status: 'warn', code: 'tlsrpt-missing', message: hostile },
    ],
  },
];

it('escapes every message so the JUnit XML parses, keeping the text', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mta-sts-xml-'));
  try {
    const file = join(dir, 'r.xml');
    await writeFileAtomic(file, renderJunit(reports));
    const script = [
      'import json, sys, xml.etree.ElementTree as ET',
      'root = ET.parse(sys.argv[1]).getroot()',
      'cases = root.findall("testsuite/testcase")',
      'print(json.dumps([[c.get("name"), [f.get("message") for f in c.findall("failure")], [o.text for o in c.findall("system-out")]] for c in cases]))',
    ].join('\n');
    const cases = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as [string, string[], string[]][];
    // The controls stay visible as escapes, as on the terminal.
    const clean = hostile.replace('\u0000', '\\x00').replace('\u001b', '\\x1b');
    expect(cases.map((c) => c[0])).toEqual(['sts-record', 'policy-fetch', 'tlsrpt']);
    expect(cases[1]![1]).toEqual([clean]);
    expect(cases[2]![2][0]).toContain(`warn: tlsrpt-missing: ${clean}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('shows "-" for a check that did not run and lists findings worst first', () => {
  const table = renderTable(reports);
  expect(table.split('\n')[0]).toBe('DOMAIN     TXT  FETCH  TLSRPT  RESULT');
  expect(table.split('\n')[1]).toBe('x.example  ok   FAIL   warn    FAIL');
  const other: DomainReport = { domain: 'y.example', status: 'pass', checks: [{ check: 'policy-fetch', status: 'pass', code: 'policy-fetch-ok', message: 'ok' }] };
  expect(renderTable([...reports, other]).split('\n')[2]).toBe('y.example  -    ok     -       ok');
  const findings = renderFindings(reports).trim().split('\n');
  expect(findings[1]).toMatch(/^FAIL x\.example policy-fetch \[policy-http-status\]/);
  expect(findings[2]).toMatch(/^warn x\.example tlsrpt \[tlsrpt-missing\]/);
});

it('neutralises control characters in the table and findings: one line per finding, nothing the terminal acts on', () => {
  const evil: DomainReport = {
    domain: 'x.example',
    status: 'fail',
    checks: [{ check: 'mx-starttls', status: 'fail', code: 'mx-smtp-error', message: 'a\x1b[2J\rok\nFAIL fake\x7f\x9b\u202eb\u2066c\tend' }],
  };
  const text = renderTable([evil]) + renderFindings([evil]);
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  expect(text).toContain('FAIL x.example mx-starttls [mx-smtp-error] a\\x1b[2J\\x0dok\\x0aFAIL fake\\x7f\\x9b\\u{202e}b\\u{2066}c\\x09end\n');
});

it('writes --json with every control character escaped, parsing back to the same text', () => {
  const json = renderJson(reports.concat([{ domain: 'y.example', status: 'fail', checks: [{ check: 'tlsrpt', status: 'fail', code: 'x', message: '\x9b\u202e\x7f' }] }]));
  expect(json).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  expect((JSON.parse(json) as DomainReport[])[1]!.checks[0]!.message).toBe('\x9b\u202e\x7f');
  expect((JSON.parse(json) as DomainReport[])[0]!.checks[1]!.message).toBe(hostile);
});

it('writes --json a domain at a time with renderJson\'s bytes, holding only reports that finished ahead of an earlier one', () => {
  const many: DomainReport[] = Array.from({ length: 5 }, (_, i) => ({
    domain: `d${i}.example`, status: i % 2 ? 'fail' : 'pass',
    checks: [{ check: 'tlsrpt', status: 'warn', code: 'x', message: `${hostile}\n\u2028${i}`, evidence: { nested: { list: [i, 'a\u202eb'] } } }],
    ...(i === 3 ? { overrides: [{ name: '--dns-server', value: '127.0.0.1', effect: 'lab' }] } : {}),
  }));
  for (const order of [[0, 1, 2, 3, 4], [4, 2, 0, 1, 3], [1, 2, 3, 4, 0]]) {
    const pieces: string[] = [];
    const writer = new JsonReportWriter((t) => pieces.push(t));
    const held: number[] = [];
    for (const i of order) {
      writer.add(i, many[i]!);
      held.push(writer.held);
    }
    writer.end();
    expect(pieces.join('')).toBe(renderJson(many));
    expect(writer.written).toBe(5);
    expect(writer.held).toBe(0);
    // In order, nothing waits; out of order, only what finished before an earlier domain.
    if (order[0] === 0 && order[1] === 1) expect(held).toEqual([0, 0, 0, 0, 0]);
    if (order[0] === 1) expect(held).toEqual([1, 2, 3, 4, 0]);
  }
  const empty: string[] = [];
  new JsonReportWriter((t) => empty.push(t)).end();
  expect(empty.join('')).toBe(renderJson([]));
});
