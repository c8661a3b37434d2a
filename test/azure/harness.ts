// The cloud and the Internet on loopback for the azure commands: the ARM emulator, a DNS server (dns2) that
// also serves the emulated Azure DNS zones, and an HTTPS server for the mta-sts hosts that answers with
// Azure's default *.azurestaticapps.net certificate until a test "issues" the host's own.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { createPolicyFetcher } from '../../src/check/https-fetcher.ts';
import { azureBindCommand } from '../../src/cli/azure-bind.ts';
import { azurePublishDnsCommand } from '../../src/cli/azure-publish-dns.ts';
import type { AzureCommandDeps } from '../../src/cli/azure-options.ts';
import { runCommand } from '../../src/cli/main.ts';
import { serve, startDns, startHttps, TestCA, type DnsServer, type HttpsTestServer } from '../check/servers.ts';
import type { RoleGrant } from '../../src/azure/identity.ts';
import { azureHosting } from '../../src/azure/hosting.ts';
import { wantedGrants } from '../../src/azure/setup/model.ts';
import { parseConfig, type Config } from '../../src/config/config.ts';
import type { Authorization } from './authorization.ts';
import { ArmEmulator, SUBSCRIPTION, TOKEN } from './arm-emulator.ts';

export const APP = 'mta-sts-app';
export const WEB_RG = 'rg-web';
export const DNS_RG = 'rg-dns';
export const DEFAULT_HOST = 'gentle-sea-0123456789.azurestaticapps.net';
export const POLICY = 'version: STSv1\r\nmode: testing\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n';

/** The static token credential of in-process tests (the product uses AzureCliCredential): the admin, Owner of the subscription. */
export const staticCredential: TokenCredential = {
  getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }),
};

/** The pipeline's managed identity (mta-sts-pipeline), as the service connection signs in with it. */
export const PIPELINE_TOKEN = 'pipeline-identity-token';
export const PIPELINE = { objectId: '6b3f0b3e-2a61-4c89-9d0c-6f2a8d1e7c55', client: '0c5c2d1a-8e57-4f3b-9a4e-3f1d2b6c7a90' } as const;
export const pipelineCredential: TokenCredential = {
  getToken: async () => ({ token: PIPELINE_TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }),
};

/**
 * Gives the pipeline's identity exactly the roles `azure setup` grants it for `config` (model.ts wantedGrants), the
 * zones' resource groups as setup finds them in the subscription (`zoneGroups`: zone -> group), and no other.
 */
export function grantPipeline(authz: Authorization, config: Config, app: string, resourceGroup: string, zoneGroups: Map<string, string>, token: string = PIPELINE_TOKEN): RoleGrant[] {
  const principal = authz.addPrincipal(token, PIPELINE);
  authz.assignments.splice(0, Infinity, ...authz.assignments.filter((a) => a.principalId !== principal.objectId));
  const grants = wantedGrants({
    app: azureHosting(config).pipelineGrant({ subscription: SUBSCRIPTION, resourceGroup, app }),
    subscription: SUBSCRIPTION, dnsResourceGroup: config.hosting.dns_resource_group, domains: config.domains, zones: [...zoneGroups.keys()], zoneGroups,
  });
  for (const g of grants) authz.assign(principal.objectId, g.role, g.scope);
  return grants;
}

export interface RunResult { code: number; out: string; err: string }

export class AzureWorld {
  readonly dir = mkdtempSync(join(tmpdir(), 'azure-test-'));
  /** Every wait our code asked for (injected sleep), in ms. */
  readonly waits: number[] = [];
  private skipped = 0;
  private configText = '';

  private constructor(readonly ca: TestCA, readonly dns: DnsServer, readonly https: HttpsTestServer, readonly arm: ArmEmulator) {}

  static async start(): Promise<AzureWorld> {
    const ca = await TestCA.create();
    const dns = await startDns();
    const https = await startHttps(await ca.issue({ names: ['*.azurestaticapps.net', 'azurestaticapps.net'] }));
    const arm = new ArmEmulator(dns.zone);
    await arm.start(ca);
    const world = new AzureWorld(ca, dns, https, arm);
    world.reset();
    return world;
  }

  /** A fresh app with no custom domains, zone contoso.com in Azure DNS, nothing published. */
  reset(): void {
    this.arm.sites.clear();
    this.arm.zones.clear();
    this.arm.requests.length = 0;
    this.arm.throttles = [];
    this.arm.validationLag = 0;
    this.arm.cnameErrorAtPut = false;
    this.arm.cnameErrorText = 'CNAME Record is invalid.  Please ensure the CNAME record has been created.';
    this.arm.beforeRequest = undefined;
    this.arm.publicCnames.clear();
    this.arm.linkedElsewhere.clear();
    this.arm.failWithoutReason = 0;
    this.arm.resetAuthorization();
    this.dns.zone.clear();
    this.https.certs.clear();
    this.https.handlers.clear();
    this.waits.length = 0;
    this.arm.addSite(WEB_RG, APP, { defaultHostname: DEFAULT_HOST });
    this.arm.addZone(DNS_RG, 'contoso.com');
    this.dns.zone.set(DEFAULT_HOST, { a: ['127.0.0.1'] });
  }

  /** mta-sts.<domain> serves `body`; with `certificate`, the managed certificate has been issued. */
  async serve(domain: string, body: string, certificate = true): Promise<void> {
    const host = `mta-sts.${domain}`;
    this.https.handlers.set(host, serve(body));
    if (certificate) this.https.certs.set(host, await this.ca.issue({ names: [host] }));
    if (!this.dns.zone.get(host)?.cname) this.dns.zone.set(host, { ...this.dns.zone.get(host), cname: DEFAULT_HOST });
  }

  /** Writes the config (and home/ with the policy) into the scratch folder; returns the config's path. */
  writeConfig(options: { domains?: string[]; hosting?: Record<string, string>; tlsrpt?: string[]; policy?: string } = {}): string {
    const hosting = options.hosting ?? { app: APP, resource_group: WEB_RG, subscription: SUBSCRIPTION, dns_resource_group: DNS_RG };
    const lines = [
      `domains: [${(options.domains ?? ['contoso.com']).join(', ')}]`,
      'policy:',
      '  mode: testing',
      '  mx: ["*.mail.protection.outlook.com"]',
      '  max_age: 604800',
      ...(options.tlsrpt ? ['tlsrpt:', '  rua:', ...options.tlsrpt.map((r) => `    - ${r}`)] : []),
      'hosting:',
      ...Object.entries(hosting).map(([k, v]) => `  ${k}: ${v}`),
      '',
    ];
    const file = join(this.dir, 'mta-sts.config.yaml');
    writeFileSync(file, lines.join('\n'));
    this.configText = lines.join('\n');
    mkdirSync(join(this.dir, 'home/.well-known'), { recursive: true });
    writeFileSync(join(this.dir, 'home/.well-known/mta-sts.txt'), options.policy ?? POLICY);
    return file;
  }

  /** As the pipeline runs the commands: its identity, with the roles setup gives it. */
  deps(extra: AzureCommandDeps = {}): AzureCommandDeps {
    return {
      credential: pipelineCredential,
      armCa: this.ca.certPem,
      fetcher: createPolicyFetcher({ port: this.https.port, ca: this.ca.certPem, timeoutMs: 2000 }),
      // Virtual time: a wait returns at once but moves the clock the deadlines are measured on.
      sleep: async (ms) => {
        this.waits.push(ms);
        this.skipped += ms;
      },
      now: () => Date.now() + this.skipped,
      // The operation-status answers carry no Retry-After, so the SDK would wait its default 2 s between polls.
      pollIntervalMs: 1,
      ...extra,
    };
  }

  /** Runs `mta-sts azure bind|publish-dns ARGS` in this process, in the scratch folder. */
  async run(which: 'bind' | 'publish-dns', args: string[], env: NodeJS.ProcessEnv = {}, deps: AzureCommandDeps = this.deps()): Promise<RunResult> {
    let out = '';
    let err = '';
    const command = which === 'bind' ? azureBindCommand(deps) : azurePublishDnsCommand(deps);
    const parsed = parseConfig(this.configText, 'mta-sts.config.yaml');
    // (A config that does not parse stops the command before any Azure call.)
    if (parsed.ok) grantPipeline(this.arm.authz, parsed.config, APP, WEB_RG, this.zoneGroups());
    const code = await runCommand(command, [...args, '--arm-endpoint', this.arm.endpoint, '--dns-server', this.dns.address], {
      out: (t) => (out += t), err: (t) => (err += t), cwd: this.dir, isTTY: false, env: { HOME: this.dir, ...env },
    });
    return { code, out, err };
  }

  /** What every run() prints first on stderr: its --dns-server is an override, and announced as one (issue 21). */
  overrideNotice(which: 'bind' | 'publish-dns'): string {
    return `mta-sts azure ${which}: override in force: --dns-server ${this.dns.address}: every DNS lookup goes to ${this.dns.address}, not to the system's resolvers; verdicts are what that server answers, which need not be what senders see\n`;
  }

  /** Every Azure DNS zone of the subscription and its resource group, as setup finds them. */
  zoneGroups(): Map<string, string> {
    const groups = new Map<string, string>();
    for (const [rg, zones] of this.arm.zones) for (const z of zones.keys()) groups.set(z, rg);
    return groups;
  }

  async close(): Promise<void> {
    await Promise.all([this.arm.close(), this.dns.close(), this.https.close()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
