// .gitignore keeps the TLS-RPT reports (senders' mail, with their addresses and MX hosts) and the report pages the
// docs' examples write out of the repository, and never what the pipeline deploys or the gate reads.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The paths git would ignore, by the repository's .gitignore (tracked or not). */
function ignored(paths: string[]): string[] {
  try {
    return execFileSync('git', ['check-ignore', '--no-index', ...paths], { cwd: process.cwd(), encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch (e) {
    if ((e as { status?: number }).status === 1) return []; // none ignored
    throw e;
  }
}

describe('.gitignore', () => {
  it('ignores saved reports and the generated report pages', () => {
    const generated = ['reports/google.json.gz', 'reports/2026/03/report.eml', 'cfg/reports/a.json', 'report.html', 'check.html', 'check.json', 'check.xml'];
    expect(ignored(generated)).toEqual(generated);
  });

  it('keeps what is committed on purpose: the config, the evidence, the built folders, the docs and the code', () => {
    expect(ignored(['mta-sts.config.yaml', 'mta-sts.evidence.json', 'home/index.html', 'home/.well-known/mta-sts.txt',
      'functions/host.json', 'docs/reports-and-rollout.md', 'docs/reports.png', 'src/tlsrpt/report.ts', 'test/tlsrpt/reports-command.test.ts'])).toEqual([]);
  });
});
