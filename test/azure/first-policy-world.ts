// Azure's side of the first policy `azure setup` makes live (issue 24), on loopback, for setup-world.ts:
//
// - Static Web Apps: `swa deploy` (Azure/static-web-apps-cli 2.x, dist/core/deploy-client.js) fetches release
//   metadata from https://aka.ms/swalocaldeploy, downloads the StaticSitesClient binary it names into
//   ~/.swa/deploy (checking its sha256), and runs it with DEPLOYMENT_TOKEN, APP_LOCATION and DEPLOYMENT_ACTION in
//   its environment (dist/cli/commands/deploy/deploy.js); the binary uploads the folder to Azure (documented:
//   azure.github.io/static-web-apps-cli "swa deploy"; the download: Azure/static-web-apps-cli#631, #881). Here the
//   real CLI runs; only what it reaches on the internet is replaced, through the HTTPS_PROXY it honours
//   (dist/core/utils/fetch-proxy.js): the metadata, and a stand-in binary (fixtures/static-sites-client.mjs) that
//   uploads to the content service below with the token, which the service checks as Azure does.
// - App Service: Kudu at <app>.scm.azurewebsites.net. POST /api/zipdeploy?isAsync=true answers 202 and a Location
//   that answers 202 for a few looks, then 200 with status 4 (projectkudu/kudu wiki, "Deploying from a zip file";
//   microsoft/pipelines-appservice-lib KuduServiceClient). It takes the caller's Entra token and checks its role
//   for Microsoft.Web/sites/publish/Action on the site, as the real service does (authorization.ts).
// - The front end: every *.azurestaticapps.net / *.azurewebsites.net name resolves to it; it serves a bound host
//   with its own certificate once Azure has issued it (a Static Web App's custom domain Ready; a Function App's
//   binding SniEnabled), else the platform's wildcard certificate, and the content last deployed to the app.
// - The proxy: CONNECT to those names goes to the front end, to loopback addresses straight on; anything else is
//   refused and recorded (`refused`), so nothing leaves loopback.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { unzipSync } from 'fflate';
import { startHttps, type DnsServer, type HttpsTestServer, type KeyAndCert, type TestCA } from '../check/servers.ts';
import { SUBSCRIPTION, type ArmEmulator } from './arm-emulator.ts';
import type { FunctionAppArm, SetupArm } from './arm-setup-handlers.ts';
import { DeployError, type SwaDeployment } from '../../src/azure/deploy.ts';

const ROOT = process.cwd();
const FRONT_END = /^[a-z0-9-]+\.(azurestaticapps\.net|azurewebsites\.net|scm\.azurewebsites\.net)$/;
const SWA_RELEASES = new Set(['aka.ms', 'swalocaldeploy.azureedge.net']);

/** Every test domain's policy host: the certificate Azure issues once a host is bound (one, with every name). */
export const POLICY_HOSTS = ['contoso.com', 'fabrikam.com', 'eu.contoso.com', ...Array.from({ length: 11 }, (_, i) => `d${i + 2}.example`)].map((d) => `mta-sts.${d}`);

export interface Upload { app: string; files: Map<string, Buffer> }
export interface KuduDeployment { app: string; id: string; looks: number; dir: string }

export class FirstPolicyWorld {
  /** What each Static Web App serves ("resourceGroup/app", lower-case), as last uploaded. */
  readonly swaContent = new Map<string, Map<string, Buffer>>();
  /** Every accepted upload of StaticSitesClient, and every Kudu zip deployment. */
  readonly uploads: Upload[] = [];
  readonly deployments: KuduDeployment[] = [];
  /** Every request Kudu answered: method, path, status. */
  readonly kuduRequests: { method: string; path: string; status: number }[] = [];
  /** CONNECT targets the proxy refused (anything off loopback that is not Azure's stand-in). */
  readonly refused: string[] = [];
  /** Looks at a zip deployment's status that answer 202 before it completes. */
  kuduLooksInProgress = 2;
  /** The status URL Kudu names (default: its own /api/deployments/latest); remote text the client must not trust. */
  kuduLocation?: (host: string) => string;
  /** The status a complete deployment reports (4 success, 3 failed). */
  kuduOutcome = 4;
  functionApp?: FunctionAppArm;
  private handler?: (r: HttpRequest) => Promise<HttpResponseInit>;
  /** Open tunnels, ended on close. */
  private readonly tunnels = new Set<import('node:stream').Duplex>();
  private dir = '';
  private dns?: DnsServer;

  private constructor(
    readonly ca: TestCA,
    readonly https: HttpsTestServer,
    private readonly proxy: Server,
    private readonly content: Server,
    private readonly ownCert: KeyAndCert,
    private readonly binary: Buffer,
  ) {}

  static async start(ca: TestCA, scratch: string): Promise<FirstPolicyWorld> {
    const swaDefault = await ca.issue({ names: ['*.azurestaticapps.net'] });
    const https = await startHttps(swaDefault);
    const [appService, scm, release, own] = await Promise.all([
      ca.issue({ names: ['*.azurewebsites.net'] }), ca.issue({ names: ['*.scm.azurewebsites.net'] }),
      ca.issue({ names: [...SWA_RELEASES] }), ca.issue({ names: POLICY_HOSTS }),
    ]);
    const content = createServer();
    await new Promise<void>((resolve) => content.listen(0, '127.0.0.1', resolve));
    // The stand-in StaticSitesClient: a script that runs the fixture with this world's upload address.
    const uploadUrl = `http://127.0.0.1:${(content.address() as AddressInfo).port}/upload`;
    const binary = Buffer.from(`#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'test/azure/fixtures/static-sites-client.mjs')}" "${uploadUrl}"\n`);
    const proxy = createServer((_req, res) => res.writeHead(405).end());
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const world = new FirstPolicyWorld(ca, https, proxy, content, own, binary);
    world.dir = scratch;
    // Certificates by SNI: Azure's wildcard ones, the release host's, and a policy host's own once issued.
    const certs = https.certs;
    const plain = certs.get.bind(certs);
    certs.get = (name: string) => plain(name) ?? world.certificateOf(name, appService, scm, release);
    https.handlers.get = (host: string) => (req: IncomingMessage, res: import('node:http').ServerResponse) => void world.serve(host, req, res);
    proxy.on('connect', (req: IncomingMessage, socket, head) => world.tunnel(req, socket, head));
    content.on('request', (req, res) => void world.upload(req, res));
    return world;
  }

  /** Resets what a test left (its uploads, deployments, and the Function App it registered). */
  reset(scratch: string): void {
    this.swaContent.clear();
    this.uploads.length = 0;
    this.deployments.length = 0;
    this.kuduRequests.length = 0;
    this.refused.length = 0;
    this.kuduLooksInProgress = 2;
    this.kuduLocation = undefined;
    this.kuduOutcome = 4;
    this.functionApp = undefined;
    this.handler = undefined;
    this.dir = scratch;
  }

  arm!: ArmEmulator;
  setupArm!: SetupArm;

  /** The environment a setup run needs to reach this world: its proxy, the policy hosts' port. */
  env(): Record<string, string> {
    return {
      HTTPS_PROXY: `http://127.0.0.1:${(this.proxy.address() as AddressInfo).port}`,
      // The emulators on loopback are reached directly, as the SDKs reach an endpoint inside a company's network.
      NO_PROXY: '127.0.0.1,localhost',
      MTA_STS_HTTPS_PORT: String(this.https.port),
    };
  }

  /**
   * The deployer of in-process setup runs (setup-world.ts `setup`): what `swa deploy` and StaticSitesClient do to
   * this world, without their two processes (some 2 s of CPU a run). The same upload the stand-in binary makes, to
   * the same content service, with the same token check; the real CLI runs in the child-process tests.
   */
  readonly swaUpload = async (d: SwaDeployment): Promise<void> => {
    const files: Record<string, string> = {};
    for (const entry of readdirSync(d.folder, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files[relative(d.folder, join(entry.parentPath, entry.name)).split(sep).join('/')] = readFileSync(join(entry.parentPath, entry.name)).toString('base64');
    }
    d.onLine('Uploading build artifacts.');
    const response = await fetch(`http://127.0.0.1:${(this.content.address() as AddressInfo).port}/upload`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: d.token, files }),
    });
    const answer = (await response.json().catch(() => ({}))) as { message?: string };
    if (!response.ok) throw new DeployError(`swa deploy exited with code 1: Deployment Failed: ${answer.message ?? response.status}`);
    d.onLine('Status: Succeeded.');
  };

  /** Every Azure front-end name resolves to the front end (after what the zone says). */
  resolveFrontEnd(dns: DnsServer): void {
    this.dns = dns;
    const zone = dns.zone;
    const get = zone.get.bind(zone);
    const has = zone.has.bind(zone);
    zone.get = (name: string) => get(name) ?? (FRONT_END.test(name) || SWA_RELEASES.has(name) ? { a: ['127.0.0.1'] } : undefined);
    zone.has = (name: string) => has(name) || FRONT_END.test(name) || SWA_RELEASES.has(name);
  }

  async close(): Promise<void> {
    for (const t of this.tunnels) t.destroy();
    await this.https.close();
    await Promise.all([this.proxy, this.content].map((s) => new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    })));
  }

  private certificateOf(name: string, appService: KeyAndCert, scm: KeyAndCert, release: KeyAndCert): KeyAndCert | undefined {
    if (SWA_RELEASES.has(name)) return release;
    if (name.endsWith('.scm.azurewebsites.net')) return scm;
    if (name.endsWith('.azurewebsites.net')) return appService;
    if (this.functionApp) {
      if (!this.functionApp.fa.bindings.has(name)) return undefined;
      return this.functionApp.fa.bindings.get(name)?.sslState === 'SniEnabled' ? this.ownCert : appService;
    }
    return this.staticSiteServing(name) && this.digicertMayIssue(name) ? this.ownCert : undefined;
  }

  /** Azure's managed certificates come from DigiCert: a CAA set at the domain that names others forbids them (RFC 8659). */
  private digicertMayIssue(host: string): boolean {
    const caa = this.dns?.zone.get(host.replace(/^mta-sts\./, ''))?.caa?.filter((c) => c.tag === 'issue') ?? [];
    return caa.length === 0 || caa.some((c) => c.value === 'digicert.com');
  }

  /** The Static Web App ("rg/app") that has `host` as a Ready custom domain. */
  private staticSiteServing(host: string): string | undefined {
    for (const [key, site] of this.arm.sites) if (site.customDomains.get(host)?.status === 'Ready') return key;
    return undefined;
  }

  private async serve(host: string, req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (host === 'aka.ms' && path === '/swalocaldeploy') return void this.releases(res);
    if (host === 'swalocaldeploy.azureedge.net' && path.endsWith('/StaticSitesClient')) {
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(this.binary);
    }
    if (host.endsWith('.scm.azurewebsites.net')) return this.kudu(host, req, res);
    if (this.functionApp) {
      const own = this.functionApp.fa.site?.defaultHostName.toLowerCase() === host;
      if ((!own && !this.functionApp.fa.bindings.has(host)) || !this.handler) return void res.writeHead(404).end();
      const init = await this.handler(new HttpRequest({ method: req.method!, url: `https://${host}${req.url}`, headers: { host } }));
      const response = new HttpResponse(init);
      const headers: Record<string, string> = {};
      response.headers.forEach((v, k) => (headers[k] = v));
      return void res.writeHead(response.status, headers).end(Buffer.from(await response.arrayBuffer()));
    }
    // A custom domain Azure has validated, or the app's own default host name.
    const key = this.staticSiteServing(host) ?? [...this.arm.sites].find(([, site]) => site.defaultHostname === host)?.[0];
    const file = key ? this.swaContent.get(key)?.get(path.replace(/^\//, '')) : undefined;
    if (!file) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<html>404</html>');
    res.writeHead(200, { 'content-type': path.endsWith('.txt') ? 'text/plain; charset=utf-8' : 'text/html; charset=utf-8' }).end(file);
  }

  /** https://aka.ms/swalocaldeploy: the release list, as the CLI reads it (version, buildId, files[platform].url/sha). */
  private releases(res: import('node:http').ServerResponse): void {
    const sha = createHash('sha256').update(this.binary).digest('hex');
    const buildId = createHash('sha256').update(this.binary).digest('hex').slice(0, 40);
    const url = `https://swalocaldeploy.azureedge.net/downloads/${buildId}/linux/StaticSitesClient`;
    const files = { 'linux-x64': { url, sha }, 'win-x64': { url: `${url}.exe`, sha }, 'osx-x64': { url, sha } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([
      { version: 'latest', buildId, publishDate: '2026-01-01T00:00:00Z', files },
      { version: 'stable', buildId, publishDate: '2026-01-01T00:00:00Z', files },
    ]));
  }

  /** The content service StaticSitesClient uploads to: the token names the app, as Azure's does. */
  private async upload(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { token?: string; environment?: string; files?: Record<string, string> };
    const app = [...this.setupArm.tokens].find(([, t]) => t === body.token)?.[0];
    if (!app) return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'The deployment token is invalid.' }));
    if (body.environment) return void res.writeHead(400).end(JSON.stringify({ message: `setup deploys to production, not to ${body.environment}` }));
    const files = new Map(Object.entries(body.files ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
    this.swaContent.set(app, files);
    this.uploads.push({ app, files });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: `https://${this.arm.sites.get(app)?.defaultHostname ?? 'unknown'}` }));
  }

  private async kudu(host: string, req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `https://${host}`);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.kuduRequests.push({ method: req.method ?? '', path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body === undefined ? undefined : JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const site = this.functionApp?.fa.site;
    if (!site || host !== `${site.name.toLowerCase()}.scm.azurewebsites.net`) return answer(404, { Message: 'site not found' });
    // Entra ID bearer tokens, authorized by the caller's roles on the site (publish: Microsoft.Web/sites/*).
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const principal = token === undefined ? undefined : this.arm.authz.principals.get(token);
    if (!principal) return answer(401, undefined, { 'www-authenticate': 'Bearer' });
    const scope = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${site.resourceGroup}/providers/Microsoft.Web/sites/${site.name}`;
    if (!this.arm.authz.allowed(principal.objectId, { action: 'Microsoft.Web/sites/publish/Action', scope })) {
      return answer(403, { Message: `The client '${principal.client}' does not have Microsoft.Web/sites/publish/Action on ${scope}` });
    }
    if (req.method === 'POST' && url.pathname === '/api/zipdeploy') {
      const id = randomUUID().replace(/-/g, '');
      const dir = join(this.dir, 'kudu', id);
      for (const [name, bytes] of Object.entries(unzipSync(new Uint8Array(Buffer.concat(chunks))))) {
        mkdirSync(join(dir, name, '..'), { recursive: true });
        writeFileSync(join(dir, name), bytes);
      }
      this.deployments.push({ app: site.name, id, looks: 0, dir });
      return answer(202, undefined, { location: this.kuduLocation?.(host) ?? `https://${host}/api/deployments/latest?deployer=Push&time=${Date.now()}` });
    }
    if (req.method === 'GET' && url.pathname === '/api/deployments/latest') {
      const d = this.deployments.at(-1);
      if (!d) return answer(404, { Message: 'no deployment' });
      if (d.looks++ < this.kuduLooksInProgress) return answer(202, { id: d.id, status: 1, status_text: 'Building', complete: false });
      if (this.kuduOutcome !== 4) return answer(200, { id: d.id, status: this.kuduOutcome, status_text: 'npm install failed', complete: true });
      // Deployed: the app now runs the package's handler (with its node_modules from Kudu's npm install).
      const module = (await import(pathToFileURL(join(d.dir, 'src/handler.js')).href)) as { mtaSts: (r: HttpRequest) => Promise<HttpResponseInit> };
      this.handler = module.mtaSts;
      return answer(200, { id: d.id, status: 4, status_text: '', complete: true, active: true, deployer: 'Push' });
    }
    return answer(404, { Message: 'not found' });
  }

  private tunnel(req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void {
    const [host = '', port = '443'] = (req.url ?? '').split(':');
    const to = FRONT_END.test(host) || SWA_RELEASES.has(host)
      ? { host: '127.0.0.1', port: this.https.port }
      : /^127\.|^localhost$/.test(host) ? { host, port: Number(port) } : undefined;
    if (!to) {
      this.refused.push(req.url ?? '');
      return void socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    }
    this.tunnels.add(socket);
    socket.on('close', () => this.tunnels.delete(socket));
    const upstream = connect(to.port, to.host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    this.tunnels.add(upstream);
    upstream.on('close', () => this.tunnels.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  }
}
