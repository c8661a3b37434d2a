// Rendering: the table and JUnit XML that survives any message text.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { renderFindings, renderJunit, renderTable, writeFileAtomic } from '../../src/check/report.ts';
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
    const clean = hostile.replace(/[\u0000\u001b]/g, '');
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
