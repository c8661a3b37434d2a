// A loopback HTTPS emulation of the part of Azure Resource Manager a Function App's custom domains touch:
// Microsoft.Web sites (GET), hostNameBindings (list, PUT), certificates (GET, PUT) and, for the zones in Azure
// DNS, Microsoft.Network dnsZones and their CNAME/TXT record sets. Bodies follow azure-rest-api-specs
// specification/web/resource-manager/Microsoft.Web/stable/2024-04-01/examples/GetWebApp.json (the site, its
// customDomainVerificationId and defaultHostName), GetCertificate.json and CreateOrUpdateCertificate.json (the
// certificate and its thumbprint); a host-name binding has the HostNameBinding shape of the same API version
// (siteName, hostNameType, customHostNameDnsRecordType, sslState, thumbprint), for which the specs publish no
// example. App Service's refusal of a binding whose asuid TXT is missing is the body a real user received
// (rcl-letsencrypt-auto-ssl/Lets-Encrypt-Auto#25: 400, Microsoft.Web's {"Code","Message",…,ExtendedCode 04006}).
// Apart from test/azure/arm-emulator.ts, which emulates the Static Web App side.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startEndpoint, type TestCA } from '../check/servers.ts';
import { Authorization } from './authorization.ts';

export const FA_SUBSCRIPTION = '34adfa4f-cedf-4dc0-ba29-b6d1a69ab345'; // the examples' subscription id
export const FA_TOKEN = 'function-app-emulator-token';

export interface FunctionSite {
  name: string; resourceGroup: string; defaultHostName: string; customDomainVerificationId: string; location: string;
  /** Set when setup created it (the setup emulation); else the examples' plan. */
  serverFarmId?: string; httpsOnly?: boolean; siteConfig?: Record<string, unknown>;
  /** App Service's ARR affinity (an ARRAffinity Set-Cookie on every response); unset: not in the body. */
  clientAffinityEnabled?: boolean;
}
interface Binding { hostNameType: string; customHostNameDnsRecordType: string; sslState: string; thumbprint?: string }
interface Cert { canonicalName: string; serverFarmId: string; location: string; thumbprint: string }
/** A managed certificate App Service is still issuing: no resource yet (GET answers 404). */
interface Issuing { canonicalName: string; serverFarmId: string; location: string; looks: number; password?: unknown }

export class FunctionAppEmulator {
  endpoint = '';
  readonly requests: { method: string; path: string; auth?: string; body?: unknown }[] = [];
  readonly bindings = new Map<string, Binding>();
  /** Issued managed certificates; one still being issued is in `issuing` and does not exist for ARM. */
  readonly certificates = new Map<string, Cert>();
  readonly issuing = new Map<string, Issuing>();
  /** What App Service's resolver sees (the public DNS): CNAME targets and TXT values by name. */
  readonly publicCname = new Map<string, string>();
  readonly publicTxt = new Map<string, string[]>();
  /** Azure DNS: zone → "TYPE/relative" → properties; writes also reach publicCname/publicTxt. */
  readonly zones = new Map<string, Map<string, Record<string, unknown>>>();
  /**
   * App Service issues each managed certificate by itself, after this many GETs of it have answered 404 (Azure's
   * minutes, in looks); false: only when the test calls issue() (longer than any run waits).
   */
  autoIssue: number | false = false;
  private server?: Awaited<ReturnType<typeof startEndpoint>>;

  /** `token`: the bearer token it accepts (the pipelines' fake az hands out arm-emulator.ts's). */
  /** What App Service's resolver sees of a TXT name (the public DNS): publicTxt, or a test's DNS server. */
  seesTxt: (name: string) => string[] = (name) => this.publicTxt.get(name) ?? [];

  /** Who may do what when it answers on its own (behind the ARM emulator, that one's authorization applies). */
  readonly authz = new Authorization();

  /** `site` is undefined until created (the setup emulation creates it). `token` is the subscription's Owner. */
  constructor(public site: FunctionSite | undefined, readonly dnsResourceGroup = 'rg-dns', readonly token = FA_TOKEN) {
    const owner = this.authz.addPrincipal(token, { client: 'admin@contoso.com' });
    this.authz.assign(owner.objectId, 'Owner', `/subscriptions/${FA_SUBSCRIPTION}`);
  }

  async start(ca: TestCA, host = '127.0.0.1'): Promise<string> {
    this.server = await startEndpoint(ca, 'management.emulator.test', host, (req, res) => void this.handle(req, res));
    this.endpoint = this.server.url;
    return this.endpoint;
  }

  close(): Promise<void> {
    return this.server?.close() ?? Promise.resolve();
  }

  addZone(zone: string): void {
    this.zones.set(zone, new Map());
  }

  /** App Service finished issuing the managed certificate of `host`. */
  issue(host: string): void {
    const pending = this.issuing.get(host);
    if (!pending) throw new Error(`no certificate was requested for ${host}`);
    this.issuing.delete(host);
    const { looks: _, password: __, ...cert } = pending;
    this.certificates.set(host, { ...cert, thumbprint: randomUUID().replace(/-/g, '').toUpperCase().slice(0, 40).padEnd(40, '0') });
  }

  puts(part: string): number {
    return this.requests.filter((r) => r.method === 'PUT' && r.path.includes(part)).length;
  }

  private siteId(): string {
    return `/subscriptions/${FA_SUBSCRIPTION}/resourceGroups/${this.site!.resourceGroup}/providers/Microsoft.Web/sites/${this.site!.name}`;
  }

  private bindingBody(host: string, b: Binding) {
    return {
      id: `${this.siteId()}/hostNameBindings/${host}`,
      name: `${this.site!.name}/${host}`,
      type: 'Microsoft.Web/sites/hostNameBindings',
      properties: { siteName: this.site!.name, hostNameType: b.hostNameType, customHostNameDnsRecordType: b.customHostNameDnsRecordType, sslState: b.sslState, ...(b.thumbprint ? { thumbprint: b.thumbprint } : {}) },
    };
  }

  private certBody(name: string, c: Cert) {
    // GetCertificate.json, with a managed certificate's fields; it exists only once App Service has issued it.
    return {
      id: `/subscriptions/${FA_SUBSCRIPTION}/resourceGroups/${this.site!.resourceGroup}/providers/Microsoft.Web/certificates/${name}`,
      name,
      type: 'Microsoft.Web/certificates',
      location: c.location,
      properties: {
        friendlyName: '', subjectName: c.canonicalName, hostNames: [c.canonicalName], canonicalName: c.canonicalName, serverFarmId: c.serverFarmId,
        issuer: 'CACert', issueDate: '2015-11-12T23:40:25+00:00', expirationDate: '2039-12-31T23:59:59+00:00', thumbprint: c.thumbprint,
      },
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.endpoint);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = (text ? JSON.parse(text) : undefined) as { properties?: Record<string, unknown>; location?: string } | undefined;
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, auth: req.headers.authorization, body });
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID(), ...headers });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    const refused = this.authz.check(req.headers.authorization, method, decodeURIComponent(url.pathname));
    if (refused) return send(refused.status, refused.body);
    if (!this.route(method, decodeURIComponent(url.pathname), body, send)) {
      send(404, { error: { code: 'NoRoute', message: `the emulator has no route for ${method} ${url.pathname}` } });
    }
  }

  /**
   * Answers one request by its decoded path (sites, host-name bindings, certificates, DNS zones); false when the
   * path is none of these. Also reached from the setup emulation (addFunctionAppSetupHandlers), behind its ARM.
   */
  route(method: string, path: string, body: { properties?: Record<string, unknown>; location?: string } | undefined, send: (status: number, json?: unknown, headers?: Record<string, string>) => void): boolean {
    const rg = `/subscriptions/${FA_SUBSCRIPTION}/resourceGroups/`;
    const web = new RegExp(`^${rg}([^/]+)/providers/Microsoft\\.Web/(sites|certificates)/([^/]+)(?:/hostNameBindings(?:/([^/]+))?)?$`, 'i').exec(path);
    const zone = new RegExp(`^${rg}([^/]+)/providers/Microsoft\\.Network/dnsZones(?:/([^/]+)(?:/(CNAME|TXT)/([^/]+))?)?$`, 'i').exec(path);
    const notFound = (what: string) => answer(404, { error: { code: 'ResourceNotFound', message: `The Resource '${what}' under resource group '${web?.[1] ?? zone?.[1]}' was not found.` } });
    const site = this.site;
    const answer = (status: number, json?: unknown, headers?: Record<string, string>) => (send(status, json, headers), true);

    if (web && web[2]!.toLowerCase() === 'sites') {
      if (!site || web[1]!.toLowerCase() !== site.resourceGroup.toLowerCase() || web[3]!.toLowerCase() !== site.name.toLowerCase()) return notFound(`Microsoft.Web/sites/${web[3]}`);
      const host = web[4]?.toLowerCase();
      if (!path.toLowerCase().includes('/hostnamebindings')) {
        if (method !== 'GET') return answer(405);
        // GetWebApp.json's body, for this app (a Function App on Linux, Flex Consumption).
        const scmHost = site.defaultHostName.replace(/^([^.]+)\./, '$1.scm.');
        return answer(200, {
          id: this.siteId(), name: site.name, type: 'Microsoft.Web/sites', kind: 'functionapp,linux', location: site.location,
          properties: {
            // The deployment (Kudu) host is listed too, as in GetWebApp.json: `azure setup` deploys there.
            state: 'Running', hostNames: [site.defaultHostName], enabled: true, enabledHostNames: [site.defaultHostName, scmHost],
            hostNameSslStates: [{ name: site.defaultHostName, sslState: 'Disabled', hostType: 'Standard' }, { name: scmHost, sslState: 'Disabled', hostType: 'Repository' }],
            serverFarmId: site.serverFarmId ?? `/subscriptions/${FA_SUBSCRIPTION}/resourceGroups/${site.resourceGroup}/providers/Microsoft.Web/serverfarms/ASP-flex`,
            reserved: true, customDomainVerificationId: site.customDomainVerificationId, resourceGroup: site.resourceGroup,
            defaultHostName: site.defaultHostName, httpsOnly: site.httpsOnly ?? true, ...(site.siteConfig ? { siteConfig: site.siteConfig } : {}),
            ...(site.clientAffinityEnabled !== undefined ? { clientAffinityEnabled: site.clientAffinityEnabled } : {}),
          },
        });
      }
      if (!host) {
        if (method !== 'GET') return answer(405);
        return answer(200, { value: [...this.bindings].map(([h, b]) => this.bindingBody(h, b)) });
      }
      if (method === 'GET') {
        const b = this.bindings.get(host);
        return b ? answer(200, this.bindingBody(host, b)) : notFound(`Microsoft.Web/sites/${site.name}/hostNameBindings/${host}`);
      }
      if (method !== 'PUT') return answer(405);
      // App Service checks ownership before it adds a host: the asuid TXT with the app's id, and the CNAME.
      if (!this.bindings.has(host) && !this.seesTxt(`asuid.${host}`).includes(site.customDomainVerificationId)) {
        const message = `A TXT record pointing from asuid.${host} to ${site.customDomainVerificationId} was not found.`;
        return answer(400, {
          Code: 'BadRequest', Message: message, Target: null,
          Details: [{ Message: message }, { Code: 'BadRequest' }, { ErrorEntity: { ExtendedCode: '04006', MessageTemplate: 'A TXT record pointing from asuid.{0} to {1} was not found.', Parameters: [host, site.customDomainVerificationId], Code: 'BadRequest', Message: message } }],
          Innererror: null,
        });
      }
      const p = body?.properties ?? {};
      const thumbprint = typeof p.thumbprint === 'string' ? p.thumbprint : undefined;
      if (p.sslState === 'SniEnabled' && ![...this.certificates.values()].some((c) => c.thumbprint && c.thumbprint === thumbprint)) {
        return answer(400, { Code: 'BadRequest', Message: `Certificate with thumbprint ${thumbprint} was not found.`, Target: null, Details: [], Innererror: null });
      }
      const b: Binding = { hostNameType: String(p.hostNameType ?? 'Verified'), customHostNameDnsRecordType: String(p.customHostNameDnsRecordType ?? 'CName'), sslState: String(p.sslState ?? 'Disabled'), thumbprint };
      this.bindings.set(host, b);
      return answer(200, this.bindingBody(host, b));
    }

    if (web && web[2]!.toLowerCase() === 'certificates') {
      const name = web[3]!.toLowerCase();
      if (method === 'GET') {
        // Terraform's poller waits for this GET to stop answering 404 (azure-arm.md): the certificate exists once issued.
        const pending = this.issuing.get(name);
        if (pending && this.autoIssue !== false && pending.looks++ >= this.autoIssue) this.issue(name);
        const c = this.certificates.get(name);
        return c ? answer(200, this.certBody(name, c)) : notFound(`Microsoft.Web/certificates/${name}`);
      }
      if (method !== 'PUT') return answer(405);
      const p = body?.properties ?? {};
      const canonical = String(p.canonicalName ?? '').toLowerCase();
      // A managed certificate is issued only for a host already bound to an app of the plan.
      if (!this.bindings.has(canonical)) {
        return answer(400, { Code: 'BadRequest', Message: `Hostname '${canonical}' is not bound to any site in serverfarm.`, Target: null, Details: [], Innererror: null });
      }
      const issued = this.certificates.get(name);
      if (issued) return answer(200, this.certBody(name, issued));
      const pending = this.issuing.get(name) ?? { canonicalName: canonical, serverFarmId: String(p.serverFarmId ?? ''), location: body?.location ?? site?.location ?? 'westeurope', looks: 0, password: p.password };
      this.issuing.set(name, pending);
      // 202 Accepted with a Location to poll, no body: App Service is issuing it (azure-cli's create_managed_ssl_cert
      // polls that Location; @azure/arm-appservice's certificates.createOrUpdate accepts only 200).
      const operation = randomUUID();
      return answer(202, undefined, { location: `${this.endpoint}/subscriptions/${FA_SUBSCRIPTION}/providers/Microsoft.Web/locations/${pending.location.replace(/\s/g, '').toLowerCase()}/operationResults/${operation}?api-version=2024-04-01` });
    }

    if (zone) {
      if (zone[1]!.toLowerCase() !== this.dnsResourceGroup.toLowerCase()) return notFound('Microsoft.Network/dnsZones');
      if (!zone[2]) {
        return answer(200, { value: [...this.zones.keys()].map((z) => ({ id: `${rg}${this.dnsResourceGroup}/providers/Microsoft.Network/dnsZones/${z}`, name: z, type: 'Microsoft.Network/dnsZones', location: 'global', properties: {} })) });
      }
      const sets = this.zones.get(zone[2]!.toLowerCase());
      if (!sets || !zone[3]) return notFound(`Microsoft.Network/dnsZones/${zone[2]}`);
      const type = zone[3]!.toUpperCase();
      const relative = zone[4]!.toLowerCase();
      const key = `${type}/${relative}`;
      const setBody = (props: Record<string, unknown>) => ({ id: `${rg}${this.dnsResourceGroup}/providers/Microsoft.Network/dnsZones/${zone[2]}/${type}/${relative}`, name: relative, type: `Microsoft.Network/dnsZones/${type}`, etag: randomUUID(), properties: props });
      if (method === 'GET') {
        const props = sets.get(key);
        return props ? answer(200, setBody(props)) : answer(404, { error: { code: 'NotFound', message: `The resource record '${relative}' does not exist in resource group '${this.dnsResourceGroup}' of subscription '${FA_SUBSCRIPTION}'.` } });
      }
      if (method !== 'PUT') return answer(405);
      const props = body?.properties ?? {};
      sets.set(key, props);
      const fqdn = relative === '@' ? zone[2]!.toLowerCase() : `${relative}.${zone[2]!.toLowerCase()}`;
      if (type === 'CNAME') this.publicCname.set(fqdn, String((props.CNAMERecord as { cname: string }).cname));
      else this.publicTxt.set(fqdn, (props.TXTRecords as { value: string[] }[]).map((r) => r.value.join('')));
      return answer(200, setBody(props));
    }
    return false;
  }
}
