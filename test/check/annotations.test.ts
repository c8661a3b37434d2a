// `check` inside a CI system: one annotation per failed or warning check (src/check/annotations.ts), and on
// Azure Pipelines "succeeded with issues" for a run that only warned. First the pure functions, then the
// installed command as the pipelines run it: `node bin/mta-sts.js check …` with the agent's TF_BUILD=True (or
// GitHub's GITHUB_ACTIONS=true), the policy host on a loopback address found through --dns-server (on the port
// MTA_STS_HTTPS_PORT names instead of 443, so it runs as an ordinary user),
// trusted through NODE_EXTRA_CA_CERTS.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { annotation } from '../../src/ci/annotations.ts';
import { checkAnnotations, hasIssues } from '../../src/check/annotations.ts';
import type { DomainReport } from '../../src/check/result.ts';
import { DEFAULT_HOST } from '../azure/harness.ts';
import { LoopbackInternet } from '../azure/loopback-internet.ts';

const results: DomainReport[] = [
  {
    domain: 'contoso.com',
    status: 'fail',
    checks: [
      { check: 'sts-record', status: 'pass', code: 'sts-record-ok', message: 'one v=STSv1 record' },
      { check: 'policy-fetch', status: 'fail', code: 'policy-redirect', message: 'HTTP 301 to https://x/; 100% wrong, never followed' },
      { check: 'tlsrpt', status: 'warn', code: 'tlsrpt-missing', message: 'no _smtp._tls record' },
    ],
  },
  {
    domain: 'fabrikam.com',
    status: 'warn',
    checks: [{ check: 'policy-fetch', status: 'warn', code: 'policy-cert-pending', message: 'certificate not issued yet for mta-sts.fabrikam.com' }],
  },
];

describe('checkAnnotations', () => {
  it('emits one Azure logissue per failed or warning check, escaping %', () => {
    expect(checkAnnotations(results, 'azure')).toEqual([
      '##vso[task.logissue type=error]contoso.com policy-fetch [policy-redirect]: HTTP 301 to https://x/; 100%AZP25 wrong, never followed',
      '##vso[task.logissue type=warning]contoso.com tlsrpt [tlsrpt-missing]: no _smtp._tls record',
      '##vso[task.logissue type=warning]fabrikam.com policy-fetch [policy-cert-pending]: certificate not issued yet for mta-sts.fabrikam.com',
    ]);
  });

  it('emits GitHub ::error/::warning with an escaped title', () => {
    expect(checkAnnotations(results, 'github')[0]).toBe(
      '::error title=contoso.com policy-fetch [policy-redirect]::HTTP 301 to https://x/; 100%25 wrong, never followed',
    );
    expect(annotation('github', 'warning', 'a:b,c', 'm\r\nn')).toBe('::warning title=a%3Ab%2Cc::m%0D%0An');
    expect(annotation('azure', 'error', undefined, '50%\r\nn')).toBe('##vso[task.logissue type=error]50%AZP25%0D%0An');
  });

  it('shows what a remote server sent with the findings\' visible escapes: a line break, ESC or a quoted ##vso[ cannot start a logging command', () => {
    const hostile: DomainReport[] = [{ domain: 'a.com', status: 'fail', checks: [
      { check: 'mx-starttls', status: 'fail', code: 'mx-starttls-rejected', message: 'answered 454 x\n##vso[task.complete result=Succeeded;]\x1b[2J\u202e' },
    ] }];
    expect(checkAnnotations(hostile, 'azure')).toEqual([
      // The agent acts on ##vso[ anywhere in a line: on Azure the quoted one shows its [ escaped too.
      '##vso[task.logissue type=error]a.com mx-starttls [mx-starttls-rejected]: answered 454 x\\x0a##vso\\x5btask.complete result=Succeeded;]\\x1b[2J\\u{202e}',
    ]);
    // annotation() makes every quoted workflow command inert, whichever runner reads it (src/ci/sink.ts).
    expect(checkAnnotations(hostile, 'github')).toEqual([
      '::error title=a.com mx-starttls [mx-starttls-rejected]::answered 454 x\\x0a##vso\\u005btask.complete result=Succeeded;]\\x1b[2J\\u{202e}',
    ]);
  });

  it('emits nothing when every check passes', () => {
    expect(checkAnnotations([{ domain: 'a.com', status: 'pass', checks: [results[0]!.checks[0]!] }], 'azure')).toEqual([]);
  });
});

describe('hasIssues', () => {
  const pass = results[0]!.checks[0]!;
  const pending = results[1]!.checks[0]!;
  const skipped = { check: 'mx-starttls', status: 'warn', code: 'mx-starttls-skipped', message: 'skipped (--skip-starttls)' } as const;
  it('is true for a warning such as a pending certificate when nothing failed', () => {
    expect(hasIssues([{ domain: 'a.com', status: 'warn', checks: [pass, pending] }])).toBe(true);
    expect(hasIssues([{ domain: 'a.com', status: 'warn', checks: [skipped, pending] }])).toBe(true);
  });
  it('is false when a check failed (the failure decides), when all passed, and for the requested STARTTLS skip', () => {
    expect(hasIssues(results)).toBe(false);
    expect(hasIssues([{ domain: 'a.com', status: 'pass', checks: [pass] }])).toBe(false);
    expect(hasIssues([{ domain: 'a.com', status: 'warn', checks: [pass, skipped] }])).toBe(false);
  });
});

describe('node bin/mta-sts.js check inside a CI system', () => {
  let net: LoopbackInternet;
  beforeAll(async () => {
    net = await LoopbackInternet.start();
  });
  afterAll(() => net?.close());
  beforeEach(() => {
    net.https.certs.clear();
    net.dns.zone.set('_mta-sts.contoso.com', { txt: ['v=STSv1; id=20260101;'] });
    net.dns.zone.set('_smtp._tls.contoso.com', { txt: ['v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com'] });
    net.dns.zone.set('mta-sts.contoso.com', { cname: DEFAULT_HOST });
    net.addMx('contoso.com');
    net.https.handlers.set('mta-sts.contoso.com', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end('version: STSv1\r\nmode: testing\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n');
    });
  });

  // As the Verify step runs it, minus --config/--junit: the agent's variables, the test CA, nothing else.
  const check = (ci: Record<string, string>, extra: string[] = []) =>
    net.run(process.execPath, ['bin/mta-sts.js', 'check', 'contoso.com', '--allow-pending-cert', '--skip-starttls', '--dns-server', net.dns.address, ...extra],
      { PATH: process.env.PATH!, HOME: net.dir, NODE_EXTRA_CA_CERTS: net.caFile, MTA_STS_HTTPS_PORT: String(net.https.port), ...ci });
  const azure = (): Record<string, string> => ({ TF_BUILD: 'True', AGENT_TEMPDIRECTORY: net.dir });
  const lines = (stdout: string) => stdout.split('\n').filter(Boolean);

  it('Azure: a pending certificate is a warning annotation after the table and findings, and the step succeeds with issues', async () => {
    const r = await check(azure());
    // The two overrides this lab needs are announced, on stderr, each also as a warning on the run's page.
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(/^mta-sts check: override in force: --dns-server 127\.[\d.]+:\d+: every DNS lookup goes to /),
      expect.stringMatching(/^##vso\[task\.logissue type=warning\]mta-sts override in force: --dns-server /),
      `mta-sts check: override in force: MTA_STS_HTTPS_PORT=${net.https.port}: every policy host is fetched on port ${net.https.port}, not on 443 as senders fetch it (labs and tests only); a policy seen here may not be what senders see`,
      expect.stringMatching(/^##vso\[task\.logissue type=warning\]mta-sts override in force: MTA_STS_HTTPS_PORT=/),
      expect.stringMatching(/^##vso\[task\.uploadsummary\]/),
    ]);
    // The summary on the run's page: the agent attaches this Markdown file once the step ends.
    const summary = readFileSync(lines(r.stderr).at(-1)!.replace('##vso[task.uploadsummary]', ''), 'utf8');
    expect(summary).toMatch(/^### MTA-STS check: 1 domain, 0 fail, 1 warn, 0 ok\n\n\| Domain \| Result \| Worst finding \|\n\|---\|---\|---\|\n\| contoso\.com \| ! warn \| policy-fetch <code>policy-cert-pending<\/code>: certificate not issued yet/);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    const first = out.findIndex((l) => l.startsWith('##vso['));
    expect(out.slice(first)).toEqual([
      expect.stringMatching(/^##vso\[task\.logissue type=warning\]contoso\.com policy-fetch \[policy-cert-pending\]: /),
      '##vso[task.logissue type=warning]contoso.com mx-starttls [mx-starttls-skipped]: ' +
        out.find((l) => l.startsWith('warn contoso.com mx-starttls'))!.replace('warn contoso.com mx-starttls [mx-starttls-skipped] ', ''),
      '##vso[task.complete result=SucceededWithIssues;]',
    ]);
    // The table and the findings come first, as on a terminal.
    expect(out[0]).toMatch(/^DOMAIN\s+TXT/);
    expect(out.slice(0, first).some((l) => l.startsWith('warn contoso.com policy-fetch [policy-cert-pending]'))).toBe(true);
  }, 60_000);

  it('Azure: once the certificate is issued, only the requested STARTTLS skip warns: annotated, but the step stays green', async () => {
    await net.issueCertificate('mta-sts.contoso.com');
    const r = await check(azure());
    expect(r.code).toBe(0);
    expect(lines(r.stdout).filter((l) => l.startsWith('##vso['))).toEqual([
      expect.stringMatching(/^##vso\[task\.logissue type=warning\]contoso\.com mx-starttls \[mx-starttls-skipped\]: /),
    ]);
  }, 60_000);

  it('Azure: a failed check is an error annotation, exit 1, and no step result of its own', async () => {
    await net.issueCertificate('mta-sts.contoso.com');
    net.https.handlers.set('mta-sts.contoso.com', (_req, res) => void res.writeHead(404, { 'content-type': 'text/html' }).end('<html>404</html>'));
    const r = await check(azure());
    expect(r.code).toBe(1);
    const annotations = lines(r.stdout).filter((l) => l.startsWith('##vso['));
    expect(annotations).toContainEqual(expect.stringMatching(/^##vso\[task\.logissue type=error\]contoso\.com policy-fetch \[policy-http-status\]: /));
    expect(annotations).not.toContain('##vso[task.complete result=SucceededWithIssues;]');
  }, 60_000);

  it('GitHub: ::warning lines with the check as title, no Azure step result, and the summary added to the step summary', async () => {
    const stepSummary = join(net.dir, 'step-summary.md');
    writeFileSync(stepSummary, '# earlier steps\n');
    const r = await check({ GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_STEP_SUMMARY: stepSummary });
    expect(readFileSync(stepSummary, 'utf8')).toMatch(/^# earlier steps\n### MTA-STS check: 1 domain, 0 fail, 1 warn, 0 ok\n/);
    expect(r.code).toBe(0);
    const commands = lines(r.stdout).filter((l) => /^(::|##vso)/.test(l));
    expect(commands).toEqual([
      expect.stringMatching(/^::warning title=contoso\.com policy-fetch \[policy-cert-pending\]::/),
      expect.stringMatching(/^::warning title=contoso\.com mx-starttls \[mx-starttls-skipped\]::/),
    ]);
  }, 60_000);

  it('--json prints only the JSON, even inside a CI system; outside one nothing is annotated', async () => {
    const json = await check(azure(), ['--json']);
    expect(json.code).toBe(0);
    const reports = JSON.parse(json.stdout) as DomainReport[];
    expect(reports[0]!.checks.find((c) => c.check === 'policy-fetch')!.code).toBe('policy-cert-pending');
    const plain = await check({});
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(/##vso|^::/m);
    // No agent temp folder (no real agent): no summary file is left anywhere.
    const bare = await check({ TF_BUILD: 'True' }, ['--json']);
    expect(bare.stderr).not.toContain('uploadsummary');
  }, 60_000);
});

describe('renderMarkdownSummary', () => {
  it('puts failures first and keeps remote text from making markup, links, tables or code', async () => {
    const { renderMarkdownSummary } = await import('../../src/check/report.ts');
    const md = renderMarkdownSummary([
      { domain: 'ok.example', status: 'pass', checks: [{ check: 'tlsrpt', status: 'pass', code: 'tlsrpt-ok', message: 'ok' }] },
      { domain: 'bad.example', status: 'fail', checks: [{ check: 'sts-record', status: 'fail', code: 'sts-record-invalid', message: 'id "<img src=x onerror=alert(1)>|[click](https://evil.example)`x`\u001b[2J' }] },
    ]);
    expect(md.split('\n')).toEqual([
      '### MTA-STS check: 2 domains, 1 fail, 0 warn, 1 ok',
      '',
      '| Domain | Result | Worst finding |',
      '|---|---|---|',
      '| bad.example | ✗ fail | sts-record <code>sts-record-invalid</code>: id &quot;&lt;img src=x onerror=alert(1)&gt;&#124;&#91;click&#93;(https://evil.example)&#96;x&#96;&#92;x1b&#91;2J |',
      '| ok.example | ✓ ok |  |',
      '',
    ]);
  });
});
