// `mta-sts check` end to end: arguments, exit codes, table, --json and --junit, config discovery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { checkCommand } from '../../src/cli/check.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { runCommand } from '../../src/cli/main.ts';
import { createDns } from '../../src/check/io.ts';
import { createPolicyFetcher } from '../../src/check/https-fetcher.ts';
import { createSmtpProbe } from '../../src/check/smtp-probe.ts';
import type { DomainReport } from '../../src/check/result.ts';
import { renderJson, renderMarkdownSummary } from '../../src/check/report.ts';
import { startDns } from './servers.ts';
import { policyFor, World } from './world.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let world: World;
let cwd: string;

beforeAll(async () => {
  world = await World.start();
  cwd = await mkdtemp(join(tmpdir(), 'mta-sts-check-'));
  await world.addDomain('ok.example', { policy: policyFor(['mx.ok.example'], 'testing') });
  await world.addDomain('warn.example', { tlsrptTxt: [] });
  // Enforce mode with an MX that lacks STARTTLS: the worst case.
  await world.addDomain('bad.example', { mx: ['mx.bad.example'], plainMx: ['mx.bad.example'] });
  await world.addDomain('exo.example', { mx: ['exo-example.mail.protection.outlook.com'] });
});
afterAll(async () => {
  await world?.close();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(args: string[], options: { isTTY?: boolean; errIsTTY?: boolean; columns?: number; dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const io: CommandIO = {
    out: (t) => void (out += t), err: (t) => void (err += t), cwd: options.dir ?? cwd, isTTY: options.isTTY ?? false,
    errIsTTY: options.errIsTTY, columns: options.columns, env: options.env ?? {},
  };
  // The injected I/O still builds its resolver from --dns-server, so the option is exercised for real.
  const command = checkCommand({
    io: (o) => ({ ...world.io(), dns: createDns({ server: o.dnsServer, timeoutMs: 400, tries: 1 }) }),
  });
  const code = await runCommand(command, args, io);
  return { code, out, err };
}

const dns = (): string[] => ['--dns-server', world.dns.address];

describe('exit codes and the table', () => {
  it('exits 0 when every check passes, with one table row per domain', async () => {
    const r = await run(['ok.example', ...dns()]);
    expect(r.code).toBe(0);
    const [header, row] = r.out.split('\n');
    expect(header).toMatch(/^DOMAIN\s+TXT\s+FETCH\s+POLICY\s+MX\s+STARTTLS\s+TLSRPT\s+EXO\s+RESULT$/);
    expect(row).toMatch(/^ok\.example(\s+ok){8}$/);
    expect(r.out).toContain('1 domain: 1 pass, 0 warn, 0 fail');
  });

  it('exits 0 with warnings only, and lists them as findings', async () => {
    const r = await run(['warn.example', ...dns()]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('warn warn.example tlsrpt [tlsrpt-missing]');
  });

  it('exits 1 on any failure and puts "mail would bounce" first among the findings', async () => {
    const r = await run(['ok.example', 'bad.example', 'warn.example', ...dns()]);
    expect(r.code).toBe(1);
    const findings = r.out.slice(r.out.indexOf('findings:')).split('\n').slice(1);
    expect(findings[0]).toMatch(/^!! bad\.example exchange \[enforce-would-bounce\] MAIL WOULD BOUNCE/);
    expect(r.out).toContain('FAIL bad.example mx-starttls [mx-no-starttls] MX mx.bad.example: does not offer STARTTLS');
    expect(r.out).toContain('3 domains: 1 pass, 1 warn, 1 fail');
    // Domains come out in the order given, whatever order they finished in.
    expect(r.out.split('\n').slice(1, 4).map((l) => l.split(/\s+/)[0])).toEqual(['ok.example', 'bad.example', 'warn.example']);
  });

  it('shows a progress line on stderr whenever stderr is a terminal, also with --json > file, and never into a pipe', async () => {
    const tty = await run(['ok.example', ...dns()], { isTTY: true, errIsTTY: true });
    expect(tty.err).toContain('checking 1/1 domains (ok.example: pass)');
    // stdout is a file (--json > check.json), stderr the terminal: the progress still shows, the JSON stays pure.
    const json = await run(['ok.example', '--json', ...dns()], { isTTY: false, errIsTTY: true });
    expect(json.err).toContain('\r\x1b[Kchecking 1/1 domains (ok.example: pass)');
    expect(json.err).toMatch(/\r\x1b\[K$/); // the line is cleared before anything else is printed
    expect(JSON.parse(json.out)).toHaveLength(1);
    // stdout a terminal, stderr a pipe or a log (2> file, CI): no progress there.
    const pipe = await run(['ok.example', ...dns()], { isTTY: true, errIsTTY: false });
    expect(pipe.err).not.toContain('checking');
    expect(pipe.err).toBe(`mta-sts check: override in force: --dns-server ${world.dns.address}: every DNS lookup goes to ${world.dns.address}, not to the system's resolvers; verdicts are what that server answers, which need not be what senders see\n`);
  });

  it('keeps the progress line to one line of the terminal: cut to its width, never wrapped', async () => {
    const r = await run(['ok.example', 'warn.example', ...dns()], { errIsTTY: true, columns: 30 });
    const lines = r.err.split('\r\x1b[K').filter((l) => l.startsWith('checking'));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.length).toBeLessThanOrEqual(29);
      expect(line).not.toContain('\n');
      expect(line).toMatch(/^checking [12]\/2 domains \(.*…$/);
    }
    const wide = await run(['ok.example', ...dns()], { errIsTTY: true, columns: 200 });
    expect(wide.err).toContain('checking 1/1 domains (ok.example: pass)');
  });
});

describe('--json written a domain at a time', () => {
  it('is byte for byte what rendering the whole list gives, written in one piece per domain, with the CI summary still whole', async () => {
    const domains = ['ok.example', 'bad.example', 'warn.example', 'exo.example', 'no-such-domain.example'];
    const pieces: string[] = [];
    const dir = await mkdtemp(join(tmpdir(), 'mta-sts-json-'));
    try {
      const summary = join(dir, 'summary.md');
      const io: CommandIO = { out: (t) => void pieces.push(t), err: () => {}, cwd, isTTY: false, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary } };
      const command = checkCommand({ io: (o) => ({ ...world.io(), dns: createDns({ server: o.dnsServer, timeoutMs: 400, tries: 1 }) }) });
      expect(await runCommand(command, [...domains, '--json', ...dns()], io)).toBe(1);
      const out = pieces.join('');
      const reports = JSON.parse(out) as DomainReport[];
      expect(reports.map((r) => r.domain)).toEqual(domains);
      expect(out).toBe(renderJson(reports));
      expect(pieces).toHaveLength(domains.length + 1);
      // Only a row per domain was kept for the summary, and it says what the full reports would.
      expect(await readFile(summary, 'utf8')).toBe(`${renderMarkdownSummary(reports)}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a domain that does not exist', () => {
  it('is one failure, domain-not-found (NXDOMAIN), with every other check left out, in JSON and in the table', async () => {
    const r = await run(['no-such-domain.example', 'ok.example', '--json', ...dns()]);
    expect(r.code).toBe(1);
    const [missing, ok] = JSON.parse(r.out) as DomainReport[];
    expect(missing).toMatchObject({ domain: 'no-such-domain.example', status: 'fail' });
    expect(missing!.checks).toEqual([{
      check: 'domain', status: 'fail', code: 'domain-not-found',
      message: 'no-such-domain.example does not exist in DNS (NXDOMAIN): check its spelling, and that it is registered and its zone delegated; no other check can run',
      evidence: { name: 'no-such-domain.example', rcode: 'NXDOMAIN' },
    }]);
    expect(ok!.checks.map((c) => c.check)).not.toContain('domain');
    const table = await run(['no-such-domain.example', ...dns()]);
    expect(table.out).toMatch(/^DOMAIN\s+EXISTS\s+RESULT\nno-such-domain\.example\s+FAIL\s+FAIL$/m);
    expect(table.out.match(/^FAIL /gm)).toHaveLength(1);
  });

  it('is not confused with a domain that exists without MX records (NODATA), nor with a failed lookup', async () => {
    await world.addDomain('nomx.example', { mx: [] });
    const r = await run(['nomx.example', '--json', ...dns()]);
    expect((JSON.parse(r.out) as DomainReport[])[0]!.checks.map((c) => c.check)).not.toContain('domain');
    world.dns.zone.set('servfail-mx.example', { servfail: true });
    const failed = await run(['servfail-mx.example', '--json', ...dns()]);
    expect((JSON.parse(failed.out) as DomainReport[])[0]!.checks.map((c) => c.code)).not.toContain('domain-not-found');
  });
});

describe('internationalized domain names', () => {
  it('checks a U-label domain by its A-label', async () => {
    await world.addDomain('xn--bcher-kva.example', { policy: policyFor(['mx.xn--bcher-kva.example'], 'testing') });
    const r = await run(['Bücher.example', '--json', ...dns()]);
    const reports = JSON.parse(r.out) as DomainReport[];
    expect(reports.map((x) => [x.domain, x.status])).toEqual([['xn--bcher-kva.example', 'pass']]);
    expect(r.code).toBe(0);
  });
});

describe('--json', () => {
  it('prints one object per domain with status, stable codes, messages and evidence', async () => {
    const r = await run(['ok.example', 'bad.example', '--json', ...dns()]);
    expect(r.code).toBe(1);
    const reports = JSON.parse(r.out) as DomainReport[];
    expect(reports.map((x) => [x.domain, x.status])).toEqual([
      ['ok.example', 'pass'],
      ['bad.example', 'fail'],
    ]);
    for (const report of reports) {
      expect(Object.keys(report)).toEqual(['domain', 'status', 'checks', 'overrides']); // --dns-server
      for (const c of report.checks) {
        expect(['pass', 'warn', 'fail']).toContain(c.status);
        expect(c.code).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
        expect(typeof c.message).toBe('string');
      }
    }
    const starttls = reports[1]!.checks.find((c) => c.check === 'mx-starttls')!;
    expect(starttls.code).toBe('mx-no-starttls');
    expect(starttls.evidence).toMatchObject({ hosts: [{ host: 'mx.bad.example' }] });
  });
});

describe('--junit', () => {
  it('writes JUnit XML that parses back to one suite per domain and one case per check', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mta-sts-junit-'));
    try {
      const file = join(dir, 'check.xml');
      const r = await run(['ok.example', 'bad.example', '--junit', file, ...dns()]);
      expect(r.code).toBe(1);
      // A real XML parser (Python's ElementTree) reads it back.
      const script = [
        'import json, sys, xml.etree.ElementTree as ET',
        'root = ET.parse(sys.argv[1]).getroot()',
        'print(json.dumps({"tag": root.tag, "failures": root.get("failures"), "suites": [{"name": s.get("name"), "failures": s.get("failures"),',
        ' "cases": [[c.get("name"), [f.get("type") for f in c.findall("failure")]] for c in s.findall("testcase")]} for s in root.findall("testsuite")]}))',
      ].join('\n');
      const parsed = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as {
        tag: string;
        failures: string;
        suites: { name: string; failures: string; cases: [string, string[]][] }[];
      };
      expect(parsed.tag).toBe('testsuites');
      expect(parsed.suites.map((s) => s.name)).toEqual(['ok.example', 'bad.example']);
      expect(parsed.suites[0]!.cases.map((c) => c[0])).toEqual(['sts-record', 'policy-fetch', 'policy-parse', 'mx-match', 'mx-starttls', 'tlsrpt', 'exchange']);
      expect(parsed.suites[0]!.failures).toBe('0');
      const bad = Object.fromEntries(parsed.suites[1]!.cases);
      expect(bad['mx-starttls']).toEqual(['mx-no-starttls']);
      expect(bad.exchange).toEqual(['enforce-would-bounce']);
      expect(Number(parsed.failures)).toBe(Number(parsed.suites[1]!.failures));
      expect(await readdir(dir)).toEqual(['check.xml']); // the temp file was renamed, not left behind
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 with a clear message when the file cannot be written', async () => {
    const r = await run(['ok.example', '--junit', join(cwd, 'no-such-dir', 'x.xml'), ...dns()]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot write');
    expect(r.out).toMatch(/^ok\.example\s+ok/m); // the results are still shown
  });
});

describe('inside Azure Pipelines (TF_BUILD)', () => {
  const env = { TF_BUILD: 'True' };
  it('ends the text report with one annotation per warning and "succeeded with issues"', async () => {
    const r = await run(['warn.example', ...dns()], { env });
    expect(r.code).toBe(0);
    expect(r.out.endsWith('\n##vso[task.logissue type=warning]warn.example tlsrpt [tlsrpt-missing]: ' +
      `${/^warn warn\.example tlsrpt \[tlsrpt-missing\] (.*)$/m.exec(r.out)![1]}\n##vso[task.complete result=SucceededWithIssues;]\n`)).toBe(true);
  });

  it('quotes a record that holds a logging command with its [ escaped, in text and in --json (same value)', async () => {
    const forged = 'v=STSv1; id=##vso[task.complete result=Succeeded;]x;';
    await world.addDomain('vso.example', { stsTxt: [forged] });
    const text = await run(['vso.example', ...dns()], { env });
    expect(text.code).toBe(1);
    expect(text.out).toContain('##vso\\x5btask.complete');
    // Every ##vso[ left is one of ours, at the start of its line, and no forged step result is among them.
    expect(text.out.match(/##vso\[/g)!.length).toBe(text.out.match(/^##vso\[task\.logissue /gm)!.length);
    const json = await run(['vso.example', '--json', ...dns()], { env });
    expect(json.out).not.toContain('##vso[');
    expect(JSON.stringify(JSON.parse(json.out))).toContain('##vso[task.complete');
    // Outside a pipeline too: the one output sink (src/ci/sink.ts) makes it inert wherever the output goes.
    const outside = await run(['vso.example', ...dns()]);
    expect(outside.out).toContain('##vso\\u005btask.complete');
    expect(outside.out).not.toContain('##vso[');
  });

  it('still annotates when the JUnit file cannot be written, but the exit 1 decides the result', async () => {
    const r = await run(['warn.example', '--junit', join(cwd, 'no-such-dir', 'x.xml'), ...dns()], { env });
    expect(r.code).toBe(1);
    expect(r.out).toContain('##vso[task.logissue type=warning]warn.example tlsrpt [tlsrpt-missing]');
    expect(r.out).not.toContain('##vso[task.complete');
  });
});

describe('text from a hostile MX', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Greets, offers STARTTLS, then refuses it with a reply that tries to clear the screen, move the
    // cursor home to write a fake row, set the window title and send a C1 CSI (latin1 0x9b).
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
      socket.write('220 mx.hostile.example ESMTP\r\n');
      socket.on('data', (d) => {
        const text = d.toString();
        if (text.startsWith('EHLO')) socket.write('250-mx.hostile.example\r\n250 STARTTLS\r\n');
        else if (text.startsWith('STARTTLS')) {
          socket.write(Buffer.concat([Buffer.from('454 \x1b[2J\x1b[H hostile.example  ok  ok \x1b]0;pwned\x07 '), Buffer.from([0x9b]), Buffer.from('2J ko\r\n')]));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await world.addDomain('hostile.example', { policy: policyFor(['mx.hostile.example'], 'testing') });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server?.close(resolve));
  });
  const hostileRun = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => {
    let out = '';
    let err = '';
    const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), cwd, isTTY: false, env };
    const port = (server.address() as AddressInfo).port;
    const command = checkCommand({ io: () => ({ ...world.io(), smtp: createSmtpProbe({ port, ca: world.ca.certPem, stepTimeoutMs: 2000 }) }) });
    const code = await runCommand(command, ['hostile.example', ...args, ...dns()], io);
    return { code, out, err };
  };
  // Anything a terminal would act on: C0 but LF, DEL, C1, bidi overrides.
  const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

  it('reaches the terminal with its control characters shown as escapes', async () => {
    const r = await hostileRun([]);
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(CONTROL);
    expect(r.out).toContain('STARTTLS answered 454 \\x1b[2J\\x1b[H hostile.example  ok  ok \\x1b]0;pwned\\x07 \\x9b2J ko');
    // The row still says what happened; the findings stay one line each.
    expect(r.out).toMatch(/^hostile\.example\s.*FAIL$/m);
    expect(r.out.split('\n').filter((l) => l.includes('hostile.example mx-starttls'))).toHaveLength(1);
  });

  it('cannot forge a logging command inside Azure Pipelines: its annotation is one line, escapes shown', async () => {
    const r = await hostileRun([], { TF_BUILD: 'True' });
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(CONTROL);
    const annotation = r.out.split('\n').filter((l) => l.includes('hostile.example mx-starttls'));
    expect(annotation).toEqual([expect.stringMatching(/^FAIL /), expect.stringMatching(/^##vso\[task\.logissue type=error\]hostile\.example mx-starttls \[.*STARTTLS answered 454 \\x1b\[2J/)]);
    expect(r.out.match(/^##vso\[/gm)!.length).toBe(r.out.match(/^(FAIL|warn|!!) /gm)!.length);
  });

  it('is escaped in --json, which still parses to the server\'s exact text', async () => {
    const r = await hostileRun(['--json']);
    expect(r.out).not.toMatch(CONTROL);
    const [report] = JSON.parse(r.out) as DomainReport[];
    const starttls = report!.checks.find((c) => c.check === 'mx-starttls')!;
    expect(starttls.message).toContain('STARTTLS answered 454 \x1b[2J\x1b[H hostile.example  ok  ok \x1b]0;pwned\x07 \u009b2J ko');
  });

  it('keeps the JUnit XML well-formed, with the escapes visible', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mta-sts-junit-'));
    try {
      const file = join(dir, 'check.xml');
      await hostileRun(['--junit', file]);
      const script = [
        'import json, sys, xml.etree.ElementTree as ET',
        'root = ET.parse(sys.argv[1]).getroot()',
        'print(json.dumps([f.get("message") for f in root.iter("failure")]))',
      ].join('\n');
      const messages = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as string[];
      const starttls = messages.find((m) => m.includes('STARTTLS answered'))!;
      expect(starttls).not.toMatch(CONTROL);
      expect(starttls).toContain('\\x1b[2J');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [['ok.example', '--bogus'], "Unknown option '--bogus'"],
    [['ok.example', '--concurrency', '0'], '--concurrency must be a whole number from 1 to 1000 (got "0")'],
    [['ok.example', '--timeout', 'soon'], '--timeout must be a number of seconds'],
    [['ok.example', '--dns-server', 'dns.example:53'], '--dns-server must be an IP address'],
    [['ok.example', '--dns-server', '127.0.0.1:99999'], '--dns-server port must be 1-65535'],
    [['not a domain'], '"not a domain" is not a domain name'],
    [[], 'name the domains to check'],
    [['ok.example', '--before-deploy'], '--before-deploy checks the policy a config would deploy'],
  ])('%j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('usage: mta-sts check');
    expect(r.out).toBe('');
  });
});

describe('MTA_STS_DNS_SERVER and MTA_STS_HTTPS_PORT (the documented stand-ins for --dns-server and port 443)', () => {
  it.each([
    [{ MTA_STS_DNS_SERVER: 'dns.example:53' }, 'MTA_STS_DNS_SERVER: must be an IP address'],
    [{ MTA_STS_HTTPS_PORT: '0' }, 'MTA_STS_HTTPS_PORT must be a whole number from 1 to 65535 (got "0")'],
    [{ MTA_STS_HTTPS_PORT: '443x' }, 'MTA_STS_HTTPS_PORT must be a whole number from 1 to 65535 (got "443x")'],
  ])('a bad value %j is a usage error that names the variable', async (env, message) => {
    const r = await run(['ok.example'], { env });
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('hands both to the run\'s I/O; --dns-server wins over the variable', async () => {
    const seen: { dnsServer?: string; httpsPort?: number }[] = [];
    const command = checkCommand({ io: (o) => {
      seen.push({ dnsServer: o.dnsServer, httpsPort: o.httpsPort });
      return world.io();
    } });
    const io = (env: NodeJS.ProcessEnv): CommandIO => ({ out: () => {}, err: () => {}, cwd, isTTY: false, env });
    await runCommand(command, ['ok.example'], io({ MTA_STS_DNS_SERVER: '127.0.0.9:5300', MTA_STS_HTTPS_PORT: '8443' }));
    await runCommand(command, ['ok.example', '--dns-server', '127.0.0.8'], io({ MTA_STS_DNS_SERVER: '127.0.0.9:5300' }));
    await runCommand(command, ['ok.example'], io({}));
    expect(seen).toEqual([
      { dnsServer: '127.0.0.9:5300', httpsPort: 8443 },
      { dnsServer: '127.0.0.8', httpsPort: undefined },
      { dnsServer: undefined, httpsPort: undefined },
    ]);
  });
});

describe('overrides are announced: a variable left in a pipeline cannot change a verdict unseen', () => {
  // As production builds its I/O from the options, with the test CA in place of the public ones.
  const asProduction = checkCommand({ io: (o) => ({
    ...world.io(), dns: createDns({ server: o.dnsServer, timeoutMs: 400, tries: 1 }),
    fetcher: createPolicyFetcher({ port: o.httpsPort, ca: world.ca.certPem, timeoutMs: 2000 }),
  }) });
  async function runAs(args: string[], env: NodeJS.ProcessEnv, command = asProduction): Promise<Run> {
    let out = '';
    let err = '';
    const code = await runCommand(command, args, { out: (t) => void (out += t), err: (t) => void (err += t), cwd, isTTY: false, env });
    return { code, out, err };
  }

  it('says so on stderr, in --json and in JUnit, and every URL shows the port', async () => {
    const port = String(world.https.port);
    const r = await runAs(['ok.example', '--json', '--junit', 'overrides.xml', ...dns()], { MTA_STS_HTTPS_PORT: port });
    expect(r.code).toBe(0);
    expect(r.err.split('\n').filter((l) => l.includes('override in force'))).toEqual([
      `mta-sts check: override in force: --dns-server ${world.dns.address}: every DNS lookup goes to ${world.dns.address}, not to the system's resolvers; verdicts are what that server answers, which need not be what senders see`,
      `mta-sts check: override in force: MTA_STS_HTTPS_PORT=${port}: every policy host is fetched on port ${port}, not on 443 as senders fetch it (labs and tests only); a policy seen here may not be what senders see`,
    ]);
    const report = (JSON.parse(r.out) as DomainReport[])[0]!;
    expect(report.overrides!.map((o) => `${o.name}=${o.value}`)).toEqual([`--dns-server=${world.dns.address}`, `MTA_STS_HTTPS_PORT=${port}`]);
    expect(report.checks.find((c) => c.check === 'policy-fetch')!.evidence!.url).toBe(`https://mta-sts.ok.example:${port}/.well-known/mta-sts.txt`);
    const junit = await readFile(join(cwd, 'overrides.xml'), 'utf8');
    expect(junit).toContain(`<property name="override MTA_STS_HTTPS_PORT" value="${port}: every policy host is fetched on port ${port}, not on 443`);
    expect(junit).toContain(`<property name="override --dns-server" value="${world.dns.address}: every DNS lookup goes to`);
  });

  it('is a warning on the run\'s page in Azure Pipelines and GitHub Actions, written to stderr so --json stays JSON', async () => {
    const env = { MTA_STS_HTTPS_PORT: String(world.https.port), MTA_STS_DNS_SERVER: world.dns.address };
    const azure = await runAs(['ok.example', '--json'], { ...env, TF_BUILD: 'True' });
    expect(azure.err).toContain(`##vso[task.logissue type=warning]mta-sts override in force: MTA_STS_DNS_SERVER=${world.dns.address}: every DNS lookup`);
    expect(azure.err).toContain(`##vso[task.logissue type=warning]mta-sts override in force: MTA_STS_HTTPS_PORT=${world.https.port}: every policy host`);
    expect(() => JSON.parse(azure.out)).not.toThrow();
    const github = await runAs(['ok.example'], { ...env, GITHUB_ACTIONS: 'true' });
    expect(github.err).toContain(`::warning title=mta-sts override in force::MTA_STS_HTTPS_PORT=${world.https.port}: every policy host`);
  });

  it('says nothing, and carries nothing, when nothing is overridden', async () => {
    const r = await runAs(['ok.example', '--json'], {}, checkCommand({ io: () => world.io() }));
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect((JSON.parse(r.out) as DomainReport[])[0]).not.toHaveProperty('overrides');
  });
});

describe('the config', () => {
  it('checks every config domain when none is named, comparing the live policy with the build', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mta-sts-cfg-'));
    try {
      await writeFile(join(dir, 'mta-sts.config.yaml'), 'domains:\n  - ok.example\npolicy:\n  mode: testing\n  mx:\n    - mx.ok.example\n  max_age: 7d\n');
      const r = await run(['--json', ...dns()], { dir });
      const reports = JSON.parse(r.out) as DomainReport[];
      expect(reports.map((x) => x.domain)).toEqual(['ok.example']);
      const config = reports[0]!.checks.find((c) => c.check === 'config')!;
      // The live id is "abc123"; the built one is a hash of the bytes, which are the same.
      expect(config.code).toBe('config-id-differs');
      expect(r.code).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports an invalid config with file:line:column and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mta-sts-cfg-'));
    try {
      await writeFile(join(dir, 'mta-sts.config.yaml'), 'domains:\n  - ok.example\npolicy:\n  mode: enforced\n  mx:\n    - mx.ok.example\n  max_age: 7d\n');
      const r = await run(['ok.example', ...dns()], { dir });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/mta-sts\.config\.yaml:4:\d+: .*mode/);
      expect(r.out).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('--before-deploy: would the policy about to be deployed bounce mail?', () => {
  async function withConfig(mode: string, mx: string, args: string[], domain = 'ok.example', evidence?: object): Promise<{ r: Run; reports: DomainReport[] }> {
    const dir = await mkdtemp(join(tmpdir(), 'mta-sts-cfg-'));
    try {
      await writeFile(join(dir, 'mta-sts.config.yaml'), `domains:\n  - ${domain}\npolicy:\n  mode: ${mode}\n  mx:\n    - "${mx}"\n  max_age: 7d\n`);
      if (evidence) await writeFile(join(dir, 'mta-sts.evidence.json'), JSON.stringify(evidence));
      const r = await run(['--before-deploy', '--json', ...args, ...dns()], { dir });
      return { r, reports: JSON.parse(r.out) as DomainReport[] };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('fails an enforce policy that misses a live MX, although the live (testing) policy covers it', async () => {
    const { r, reports } = await withConfig('enforce', '*.elsewhere.example', []);
    expect(r.code).toBe(1);
    const codes = reports[0]!.checks.map((c) => `${c.check}:${c.code}`);
    // The live policy is testing and there is no promotion evidence: the gate fails too (test/tlsrpt/gate.test.ts).
    expect(codes).toEqual(['mx-match:mx-not-in-policy', 'mx-starttls:mx-starttls-ok', 'exchange:enforce-would-bounce', 'evidence:enforce-without-evidence']);
  });

  it('passes a planned policy that covers every MX; of the live policy host it reads only the mode, for the promotion gate', async () => {
    const created = new Date().toISOString();
    const evidence = { created, window: { end: created.slice(0, 10) }, policy: { mode: 'enforce', mx: ['*.ok.example'] }, verdict: { status: 'ready' } };
    const { r, reports } = await withConfig('enforce', '*.ok.example', [], 'ok.example', evidence);
    expect(r.code).toBe(0);
    expect(reports[0]!.checks.map((c) => `${c.check}:${c.code}`)).toEqual(['mx-match:mx-match-ok', 'mx-starttls:mx-starttls-ok', 'exchange:exo-ok', 'evidence:evidence-ok']);
  });

  it('with --skip-starttls, refuses to enforce on an MX nobody probed, unless it is Exchange Online', async () => {
    const unprobed = await withConfig('enforce', '*.ok.example', ['--skip-starttls']);
    expect(unprobed.r.code).toBe(1);
    expect(unprobed.reports[0]!.checks.find((c) => c.check === 'mx-starttls')).toMatchObject({ status: 'fail', code: 'mx-starttls-unverified' });
    const testing = await withConfig('testing', '*.ok.example', ['--skip-starttls']);
    expect(testing.r.code).toBe(0);
    expect(testing.reports[0]!.checks.find((c) => c.check === 'mx-starttls')!.code).toBe('mx-starttls-skipped');
    const exo = await withConfig('enforce', '*.mail.protection.outlook.com', ['--skip-starttls'], 'exo.example');
    expect(exo.r.code).toBe(0);
    expect(exo.reports[0]!.checks.find((c) => c.check === 'mx-starttls')!.code).toBe('mx-starttls-skipped');
  });

  it('does not block the deploy of an enforce policy for a domain with a null MX: it accepts no mail', async () => {
    await world.addDomain('nullmx.example', { mx: [], policy: policyFor(['*.nullmx.example']) });
    world.dns.zone.get('nullmx.example')!.mx = [{ exchange: '.', priority: 0 }];
    const { r, reports } = await withConfig('enforce', '*.nullmx.example', [], 'nullmx.example');
    expect(reports[0]!.checks.map((c) => `${c.check}:${c.code}`)).toEqual(['mx-match:mx-null', 'mx-starttls:mx-null', 'exchange:exo-ok', 'evidence:evidence-not-needed']);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('WOULD BOUNCE');
  });

  it('does not block the deploy of an enforce policy when one address of an MX is dead and another works', async () => {
    await world.addDomain('twoaddr.example', { mx: ['mx.twoaddr.example'] });
    world.dns.zone.set('mx.twoaddr.example', { a: ['127.0.0.2', '127.0.0.1'] }); // nothing listens on 127.0.0.2
    const { r, reports } = await withConfig('enforce', 'mx.twoaddr.example', [], 'twoaddr.example');
    expect(reports[0]!.checks.map((c) => `${c.check}:${c.code}`)).toEqual(['mx-match:mx-match-ok', 'mx-starttls:mx-address-failed', 'exchange:exo-ok', 'evidence:evidence-not-needed']);
    expect(r.out).not.toContain('WOULD BOUNCE');
    expect(r.code).toBe(0);
  });

  it('only warns for an uncovered MX while the planned mode is none', async () => {
    const { r, reports } = await withConfig('none', '*.elsewhere.example', []);
    expect(r.code).toBe(0);
    expect(reports[0]!.checks.find((c) => c.check === 'mx-match')!.status).toBe('warn');
  });
});

describe('--skip-starttls', () => {
  it('reports the STARTTLS check as skipped, a warning, and probes no MX', async () => {
    const r = await run(['bad.example', '--json', '--skip-starttls', ...dns()]);
    const checks = (JSON.parse(r.out) as DomainReport[])[0]!.checks;
    expect(checks.find((c) => c.check === 'mx-starttls')).toMatchObject({ status: 'warn', code: 'mx-starttls-skipped' });
    expect(checks.find((c) => c.check === 'exchange')!.code).not.toBe('enforce-would-bounce');
    expect(r.code).toBe(0);
  });
});

describe('the installed command', () => {
  it('on a real terminal (a pseudo-terminal 40 columns wide), with --json > file: the progress on stderr in one line, the file pure JSON', async () => {
    const out = join(cwd, 'pty.json');
    const command = `stty cols 40; exec '${process.execPath}' '${join(ROOT, 'bin/mta-sts.js')}' check no-such-host.example --json --timeout 5 --dns-server ${world.dns.address} > '${out}'`;
    // script(1) from util-linux runs the command with a pseudo-terminal as its stdin, stdout and stderr.
    const transcript = await new Promise<string>((resolve) => {
      execFile('script', ['-qec', command, '/dev/null'], { cwd, timeout: 20_000 }, (_e, stdout) => resolve(stdout));
    });
    const progress = transcript.split(/\r\x1b\[K/).filter((l) => l.startsWith('checking'));
    expect(progress).toEqual(['checking 1/1 domains (no-such-host.exa…']);
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject([{ domain: 'no-such-host.example', status: 'fail' }]);
  });

  it('sends every lookup, A records included, to --dns-server', async () => {
    await world.addDomain('cli.example');
    const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) => {
      const child = execFile(
        process.execPath,
        [join(ROOT, 'bin/mta-sts.js'), 'check', 'cli.example', '--json', '--timeout', '5', '--dns-server', world.dns.address],
        { cwd, timeout: 20_000 },
        (_e, stdout) => resolve({ stdout, code: child.exitCode ?? -1 }),
      );
    });
    const [report] = JSON.parse(stdout) as DomainReport[];
    const byName = Object.fromEntries(report!.checks.map((c) => [c.check, c]));
    expect(byName['sts-record']!.code).toBe('sts-record-ok');
    expect(byName.tlsrpt!.code).toBe('tlsrpt-ok');
    expect(byName['policy-fetch']!.evidence).toMatchObject({ addresses: ['127.0.0.1'] });
    expect(byName['mx-starttls']!.evidence).toMatchObject({ hosts: [{ host: 'mx.cli.example', address: '127.0.0.1' }] });
    // Production trusts only real CAs and ports 443/25, so the local servers do not pass: exit 1.
    expect(code).toBe(1);
  });

  it('ends once the last domain\'s deadline has passed, even when the DNS server never answers', async () => {
    const blackHole = await startDns();
    blackHole.silent = true;
    try {
      const started = performance.now();
      const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) => {
        const child = execFile(
          process.execPath,
          [join(ROOT, 'bin/mta-sts.js'), 'check', 'quiet1.example', 'quiet2.example', '--timeout', '2', '--dns-server', blackHole.address],
          { cwd, timeout: 30_000 },
          (_e, stdout) => resolve({ stdout, code: child.exitCode ?? -1 }),
        );
      });
      const elapsed = performance.now() - started;
      expect(stdout).toMatch(/^quiet1\.example\s.*FAIL$/m);
      expect(stdout).toContain('[dns-timeout]');
      expect(code).toBe(1);
      expect(blackHole.queries).toBeGreaterThan(0);
      // A behaviour bound, not a benchmark: the 2 s deadline plus Node's start-up, with a wide margin.
      expect(elapsed).toBeLessThan(2000 + 3000);
    } finally {
      await blackHole.close();
    }
  });

  it('trusts a private CA given in NODE_EXTRA_CA_CERTS (the default trust store, no ca option)', async () => {
    await world.addDomain('private.example');
    const caFile = join(cwd, 'private-ca.pem');
    await writeFile(caFile, world.ca.certPem);
    const script = [
      `import { createPolicyFetcher } from ${JSON.stringify(join(ROOT, 'dist/check/https-fetcher.js'))};`,
      `const r = await createPolicyFetcher({ port: ${world.https.port} }).fetch({ host: 'mta-sts.private.example', address: '127.0.0.1', signal: new AbortController().signal });`,
      'console.log(JSON.stringify({ status: r.status, trusted: r.tls?.chainTrusted, error: r.tls?.chainError }));',
    ].join('\n');
    const fetchWith = (env: NodeJS.ProcessEnv): Promise<{ status: number; trusted: boolean; error?: string }> =>
      new Promise((resolve, reject) => {
        execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env, timeout: 20_000 }, (e, stdout) =>
          e ? reject(e) : resolve(JSON.parse(stdout)),
        );
      });
    const { NODE_EXTRA_CA_CERTS: _ignored, ...env } = process.env;
    expect(await fetchWith({ ...env, NODE_EXTRA_CA_CERTS: caFile })).toEqual({ status: 200, trusted: true });
    expect(await fetchWith(env)).toMatchObject({ status: 200, trusted: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});
