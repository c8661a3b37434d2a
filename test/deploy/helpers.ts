// Runs scripts/configure-domains.sh against a fake `az` (first on PATH) and a policy server on 127.0.0.1.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const script = join(repoRoot, 'scripts/configure-domains.sh');

export const POLICY = 'version: STSv1\r\nmode: testing\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n';
export const OLD_POLICY = 'version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n';

export interface DnsRecord { domain: string; name: string; type: 'TXT' | 'CNAME'; ttl: number; value: string }

export function recordsFor(domain: string, opts: { id?: string; cname?: string; rua?: string } = {}): DnsRecord[] {
  const records: DnsRecord[] = [
    { domain, name: `_mta-sts.${domain}`, type: 'TXT', ttl: 3600, value: `v=STSv1; id=${opts.id ?? 'new1'};` },
  ];
  if (opts.cname) records.push({ domain, name: `mta-sts.${domain}`, type: 'CNAME', ttl: 3600, value: opts.cname });
  if (opts.rua) records.push({ domain, name: `_smtp._tls.${domain}`, type: 'TXT', ttl: 3600, value: `v=TLSRPTv1; rua=${opts.rua}` });
  return records;
}

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** A scratch directory holding the fake az, its log and state, the records JSON and the built policy. */
export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'deploy-test-'));
  readonly bin = join(this.dir, 'bin');
  readonly log = join(this.dir, 'az.log');
  readonly state = join(this.dir, 'state');
  readonly recordsFile = join(this.dir, 'records.json');
  readonly policyFile = join(this.dir, 'mta-sts.txt');

  constructor() {
    mkdirSync(this.bin);
    mkdirSync(this.state);
    copyFileSync(join(repoRoot, 'test/deploy/fixtures/fake-az.sh'), join(this.bin, 'az'));
    chmodSync(join(this.bin, 'az'), 0o755);
    writeFileSync(this.log, '');
    writeFileSync(this.policyFile, POLICY);
  }

  setRecords(records: unknown): void {
    writeFileSync(this.recordsFile, JSON.stringify(records));
  }

  /** Pre-existing values of an Azure DNS TXT record set in the fake's state. */
  setTxt(zone: string, name: string, values: string[]): void {
    mkdirSync(join(this.state, 'txt', zone), { recursive: true });
    writeFileSync(join(this.state, 'txt', zone, name), values.map((v) => `${v}\n`).join(''));
  }

  txt(zone: string, name: string): string[] | undefined {
    const file = join(this.state, 'txt', zone, name);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : undefined;
  }

  /** Every az call so far, each as its argv. */
  calls(): string[][] {
    return readFileSync(this.log, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
  }

  /** The az calls as "verb words" only, e.g. "network dns record-set txt delete -n _mta-sts -z contoso.com". */
  callSummaries(): string[] {
    return this.calls().map((argv) => {
      const words = argv.filter((a, i) => !a.startsWith('-') && (i === 0 || !argv[i - 1]!.startsWith('-')));
      const flag = (f: string) => (argv.includes(f) ? ` ${f} ${argv[argv.indexOf(f) + 1]}` : '');
      // DNS calls are told apart by zone and record name; app calls by their verbs alone.
      return argv.includes('-z') ? `${words.join(' ')}${flag('-z')}${flag('-n')}` : words.join(' ');
    });
  }

  run(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    const base: Record<string, string> = {};
    // Only what the script needs from the parent, so a developer's own settings can't leak into a test.
    for (const key of ['HOME', 'LANG', 'TMPDIR']) if (process.env[key]) base[key] = process.env[key]!;
    const fullEnv = {
      ...base,
      PATH: `${this.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      FAKE_AZ_LOG: this.log,
      FAKE_AZ_STATE: this.state,
      RECORDS_JSON: this.recordsFile,
      POLICY_FILE: this.policyFile,
      RETRY_DELAY_SECONDS: '0',
      WAIT_DELAY_SECONDS: '0',
      FETCH_TIMEOUT_SECONDS: '5',
      ...env,
    };
    return new Promise((resolvePromise, reject) => {
      const child = spawn('bash', [script, ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code, stdout, stderr });
      });
    });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export type Behaviour =
  | { kind: 'live' }
  | { kind: 'old' }
  | { kind: 'stale-then-live'; staleTimes: number }
  | { kind: 'redirect'; location: string }
  | { kind: 'status'; status: number };

/** Serves /<domain>/.well-known/mta-sts.txt on 127.0.0.1 according to each domain's behaviour. */
export class PolicyServer {
  readonly behaviour = new Map<string, Behaviour>();
  readonly hits = new Map<string, number>();
  private server: Server = createServer((req, res) => {
    const domain = (req.url ?? '').split('/')[1] ?? '';
    const hit = (this.hits.get(domain) ?? 0) + 1;
    this.hits.set(domain, hit);
    const b = this.behaviour.get(domain) ?? { kind: 'status', status: 404 };
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
      res.end(body);
    };
    switch (b.kind) {
      case 'live': return send(200, POLICY);
      case 'old': return send(200, OLD_POLICY);
      case 'stale-then-live': return send(200, hit <= b.staleTimes ? OLD_POLICY : POLICY);
      case 'redirect': return send(301, '', { Location: b.location });
      case 'status': return send(b.status, 'nope');
    }
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/{domain}/.well-known/mta-sts.txt`;
  }

  reset(): void {
    this.behaviour.clear();
    this.hits.clear();
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
