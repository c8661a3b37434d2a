// Azure and the Internet on one 127.77.N.0/24 of loopback, for tests that run the CLI as a child process the way
// the pipelines do: the Static Web App front end (Azure's default *.azurestaticapps.net certificate until a test
// issues a host's own), a dns2 server, the ARM emulator, a repo-shaped scratch folder, and a fake `az` that only
// hands out the emulator's token. Every server listens on a free high port, so the tests run as an ordinary
// user: the child processes find them through MTA_STS_DNS_SERVER and MTA_STS_HTTPS_PORT (cloudEnv), the
// documented stand-ins for --dns-server and port 443.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runProcess, type ProcessResult } from '../deploy/helpers.ts';
import { startDns, startHttps, TestCA, type DnsServer, type HttpsTestServer } from '../check/servers.ts';
import { parseConfig } from '../../src/config/config.ts';
import { main } from '../../src/cli/main.ts';
import { ArmEmulator, TOKEN } from './arm-emulator.ts';
import type { Authorization } from './authorization.ts';
import { APP, DEFAULT_HOST, WEB_RG, grantPipeline } from './harness.ts';

export class LoopbackInternet {
  /** node_modules is this repo's, linked: the pipelines' `npm ci` step has nothing left to do. */
  readonly installed = true;
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

  static async start(): Promise<LoopbackInternet> {
    const ca = await TestCA.create();
    const swaCert = await ca.issue({ names: ['*.azurestaticapps.net', 'azurestaticapps.net'] });
    // A random /24 of 127.77/16: each world's hosts have addresses of their own.
    const net = `127.77.${1 + Math.floor(Math.random() * 250)}`;
    const https = await startHttps(swaCert, {}, `${net}.2`, 0);
    const dns = await startDns(new Map(), `${net}.53`, 0);
    const arm = new ArmEmulator(dns.zone);
    await arm.start(ca, `${net}.10`);
    // Operations succeed at the first poll: a child process cannot be given a poll interval, and the SDK waits 2 s
    // after an InProgress answer (that path is tested in-process, bind.test.ts).
    arm.pollsInProgress = 0;
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

  /**
   * The fake az's token (the service connection's sign-in) is the pipeline's managed identity's, holding exactly the
   * roles `azure setup` grants it for the checkout's config, on `authz` (this Internet's ARM, or another emulator's).
   */
  signInAsPipeline(authz: Authorization = this.arm.authz): void {
    const parsed = parseConfig(readFileSync(join(this.dir, 'mta-sts.config.yaml'), 'utf8'), 'mta-sts.config.yaml');
    if (!parsed.ok) throw new Error('the checkout\'s config does not parse');
    const zoneGroups = new Map<string, string>();
    for (const [rg, zones] of this.arm.zones) for (const z of zones.keys()) zoneGroups.set(z, rg);
    grantPipeline(authz, parsed.config, parsed.config.hosting.app ?? APP, parsed.config.hosting.resource_group ?? WEB_RG, zoneGroups, TOKEN);
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

  /** Where a child process finds this Internet: its resolver and the policy hosts' port, through the documented variables. */
  internetEnv(): Record<string, string> {
    return { MTA_STS_DNS_SERVER: this.dns.address, MTA_STS_HTTPS_PORT: String(this.https.port) };
  }

  /** What replaces the cloud itself for a child process: this Internet, the ARM endpoint, the test CA, the login (fake az first on PATH). */
  cloudEnv(): Record<string, string> {
    return {
      ...this.internetEnv(),
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
    return runProcess(this.dir, command, args, env, timeoutMs);
  }

  /**
   * The CLI in this process, in the scratch checkout, with `env` as its whole environment: for the steps a test takes
   * to get its checkout ready (build, records), where a process of its own would only load the Azure SDKs again.
   * The steps under test still run as the agent runs them, each in its own bash and node (run, pipeline-steps.ts).
   */
  async cli(args: string[], env: Record<string, string> = { PATH: process.env.PATH!, HOME: this.dir }): Promise<ProcessResult> {
    let stdout = '';
    let stderr = '';
    const code = await main(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t), cwd: this.dir, isTTY: false, env });
    return { code, stdout, stderr };
  }

  async close(): Promise<void> {
    await Promise.all([this.arm.close(), this.dns.close(), this.https.close()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
