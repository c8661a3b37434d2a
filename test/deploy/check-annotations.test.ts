// scripts/check-annotations.ts: `check --json` results -> Azure DevOps / GitHub annotations.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { annotation, annotations, hasIssues } from '../../scripts/check-annotations.ts';
import { repoRoot } from './helpers.ts';

const results = [
  {
    domain: 'contoso.com',
    status: 'fail' as const,
    checks: [
      { check: 'sts-record', status: 'pass' as const, code: 'sts-record-ok', message: 'one v=STSv1 record' },
      { check: 'policy-fetch', status: 'fail' as const, code: 'policy-redirect', message: 'HTTP 301 to https://x/; 100% wrong\nnever followed' },
      { check: 'tlsrpt', status: 'warn' as const, code: 'tlsrpt-missing', message: 'no _smtp._tls record' },
    ],
  },
  {
    domain: 'fabrikam.com',
    status: 'warn' as const,
    checks: [{ check: 'policy-fetch', status: 'warn' as const, code: 'policy-cert-pending', message: 'certificate not issued yet for mta-sts.fabrikam.com' }],
  },
];

describe('annotations', () => {
  it('emits one Azure logissue per failed or warning check, escaping % and line breaks', () => {
    expect(annotations(results, 'azure')).toEqual([
      '##vso[task.logissue type=error]contoso.com policy-fetch [policy-redirect]: HTTP 301 to https://x/; 100%AZP25 wrong%0Anever followed',
      '##vso[task.logissue type=warning]contoso.com tlsrpt [tlsrpt-missing]: no _smtp._tls record',
      '##vso[task.logissue type=warning]fabrikam.com policy-fetch [policy-cert-pending]: certificate not issued yet for mta-sts.fabrikam.com',
    ]);
  });

  it('emits GitHub ::error/::warning with an escaped title', () => {
    expect(annotations(results, 'github')[0]).toBe(
      '::error title=contoso.com policy-fetch [policy-redirect]::HTTP 301 to https://x/; 100%25 wrong%0Anever followed',
    );
    expect(annotation('github', 'warning', 'a:b,c', 'm')).toBe('::warning title=a%3Ab%2Cc::m');
  });

  it('emits nothing when every check passes', () => {
    expect(annotations([{ domain: 'a.com', status: 'pass', checks: [results[0]!.checks[0]!] }], 'azure')).toEqual([]);
  });
});

describe('hasIssues', () => {
  const pass = results[0]!.checks[0]!;
  const pending = results[1]!.checks[0]!;
  const skipped = { check: 'mx-starttls', status: 'warn' as const, code: 'mx-starttls-skipped', message: 'skipped (--skip-starttls)' };
  it('is true for a warning such as a pending certificate when nothing failed', () => {
    expect(hasIssues([{ domain: 'a.com', status: 'warn', checks: [pass, pending] }])).toBe(true);
  });
  it('is false when a check failed (the failure decides), when all passed, and for the requested STARTTLS skip', () => {
    expect(hasIssues(results)).toBe(false);
    expect(hasIssues([{ domain: 'a.com', status: 'pass', checks: [pass] }])).toBe(false);
    expect(hasIssues([{ domain: 'a.com', status: 'warn', checks: [pass, skipped] }])).toBe(false);
  });
});

describe('check-annotations.ts command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annotations-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-annotations.ts', ...args], { cwd: repoRoot, encoding: 'utf8' });

  it('prints the annotations of a results file and exits 0', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(results));
    const r = run(['--format', 'azure', file]);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(annotations(results, 'azure'));
  });

  it('marks an Azure step SucceededWithIssues after the warnings, and only on Azure', () => {
    const file = join(dir, 'pending.json');
    const warnOnly = [results[1]!];
    writeFileSync(file, JSON.stringify(warnOnly));
    const azure = run(['--format', 'azure', file]);
    expect(azure.status).toBe(0);
    expect(azure.stdout.split('\n').filter(Boolean)).toEqual([...annotations(warnOnly, 'azure'), '##vso[task.complete result=SucceededWithIssues;]']);
    const github = run(['--format', 'github', file]);
    expect(github.stdout.split('\n').filter(Boolean)).toEqual(annotations(warnOnly, 'github'));
  });

  it('turns an empty or malformed results file into one error and exit 1', () => {
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '');
    const r = run(['--format', 'azure', empty]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^##vso\[task\.logissue type=error\]mta-sts check: no results in .*empty\.json \(.*JSON.*\); see the check step's log\n$/);
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, '{"domain":"a.com"}');
    expect(run(['--format', 'github', wrong]).stdout).toContain('not the array of domain results');
  });

  it('rejects bad usage with exit 2', () => {
    expect(run(['--format', 'gitlab', 'x.json']).status).toBe(2);
    expect(run(['x.json']).status).toBe(2);
  });
});
