// Azure and the Internet on one 127.77.N.0/24 of loopback, for tests that run the CLI as a child process the way
// the pipelines do: the Static Web App front end on port 443 (Azure's default *.azurestaticapps.net certificate
// until a test issues a host's own), a dns2 server (port 53 when it stands in for the system resolver), the ARM
// emulator, a repo-shaped scratch folder, and a fake `az` that only hands out the emulator's token.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { repoRoot } from '../deploy/helpers.ts';
import { startDns, startHttps, TestCA, type DnsServer, type HttpsTestServer } from '../check/servers.ts';
import { ArmEmulator } from './arm-emulator.ts';
import { APP, DEFAULT_HOST, WEB_RG } from './harness.ts';

export interface ProcessResult { code: number | null; stdout: string; stderr: string }

export class LoopbackInternet {
  /** The scratch checkout: bin/, dist/ (compiled by the tests' global setup), src/ and node_modules/ of this repo, its own config and home/. */
  readonly dir = mkdtempSync(join(tmpdir(), 'azure-process-'));
  readonly bin = join(this.dir, '.fake-bin');
  readonly caFile = join(this.dir, '.test-ca.pem');
  readonly azLog = join(this.dir, '.az.log');

  private constructor(
    readonly net: string,
    readonly ca: TestCA,
    readonly dns: DnsServer,
    readonly https: HttpsTestServer,
    readonly arm: ArmEmulator,
  ) {
    for (const name of ['bin', 'dist', 'src', 'node_modules', 'tsconfig.json']) symlinkSync(join(repoRoot, name), join(this.dir, name));
    copyFileSync(join(repoRoot, 'package.json'), join(this.dir, 'package.json'));
    mkdirSync(this.bin);
    copyFileSync(join(repoRoot, 'test/azure/fixtures/az'), join(this.bin, 'az'));
    writeFileSync(this.caFile, ca.certPem);
    writeFileSync(this.azLog, '');
  }

  /** `dnsOn53`: the DNS server listens on port 53, so a resolv.conf can name it. */
  static async start(options: { dnsOn53?: boolean } = {}): Promise<LoopbackInternet> {
    const ca = await TestCA.create();
    const swaCert = await ca.issue({ names: ['*.azurestaticapps.net', 'azurestaticapps.net'] });
    // A random /24 of 127.77/16, so parallel runs on one machine do not fight over ports 443 and 53.
    let net = '';
    let https: HttpsTestServer | undefined;
    for (let attempt = 1; !https; attempt++) {
      net = `127.77.${1 + Math.floor(Math.random() * 250)}`;
      try {
        https = await startHttps(swaCert, {}, `${net}.2`, 443);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw e;
      }
    }
    const dns = await startDns(new Map(), `${net}.53`, options.dnsOn53 ? 53 : 0);
    const arm = new ArmEmulator(dns.zone);
    await arm.start(ca, `${net}.10`);
    const world = new LoopbackInternet(net, ca, dns, https, arm);
    arm.addSite(WEB_RG, APP, { defaultHostname: DEFAULT_HOST });
    dns.zone.set(DEFAULT_HOST, { a: [`${net}.2`] });
    return world;
  }

  /** The app serves `body` for every custom domain Azure has validated, as a Static Web App does. */
  serveSite(body: () => Buffer): void {
    const site = this.arm.sites.get(`${WEB_RG}/${APP}`.toLowerCase())!;
    for (const host of ['mta-sts.contoso.com', 'mta-sts.fabrikam.com', 'mta-sts.eu.contoso.com']) {
      this.https.handlers.set(host, (_req, res) => {
        if (site.customDomains.get(host)?.status !== 'Ready') return void res.writeHead(404, { 'content-type': 'text/html' }).end('<html>404</html>');
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(body());
      });
    }
  }

  /** Azure has issued the managed certificate of `host`. */
  async issueCertificate(host: string): Promise<void> {
    this.https.certs.set(host, await this.ca.issue({ names: [host] }));
  }

  /** Exchange Online MX for `domain`, so `check` has MX hosts to match. */
  addMx(domain: string): void {
    const mx = `${domain.replace(/\./g, '-')}.mail.protection.outlook.com`;
    this.dns.zone.set(domain, { ...this.dns.zone.get(domain), mx: [{ exchange: mx, priority: 0 }] });
    this.dns.zone.set(mx, { a: [`${this.net}.25`] });
  }

  /** What replaces the cloud itself for a child process: the ARM endpoint, the test CA, the login (fake az first on PATH). */
  cloudEnv(): Record<string, string> {
    return {
      PATH: `${this.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      NODE_EXTRA_CA_CERTS: this.caFile,
      MTA_STS_ARM_ENDPOINT: this.arm.endpoint,
      FAKE_AZ_LOG: this.azLog,
    };
  }

  /** Every az command line the product ran. */
  azCalls(): string[] {
    return readFileSync(this.azLog, 'utf8').split('\n').filter(Boolean);
  }

  /** Runs `command` in the scratch checkout with exactly `env`; bounded in time, killed by its own PID. */
  run(command: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.arm.close(), this.dns.close(), this.https.close()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
