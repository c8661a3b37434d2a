// A loopback HTTPS emulation of exactly the Azure Resource Manager calls the azure commands make through the
// official SDK clients (@azure/arm-appservice 18, api-version 2025-03-01; @azure/arm-dns 5, 2018-05-01).
// Request and response bodies follow Azure's published REST API examples (Azure/azure-rest-api-specs):
//   Microsoft.Web/stable/2024-04-01/examples/GetStaticSite.json, GetStaticSiteCustomDomains.json,
//     CreateOrUpdateStaticSiteCustomDomain.json (202 + azure-asyncoperation)
//   dns/resource-manager/Microsoft.Network/stable/2018-05-01/examples/ListZonesByResourceGroup.json, ListZonesBySubscription.json,
//     GetTXTRecordset.json, CreateOrUpdateTXTRecordset.json, CreateOrUpdateCNAMERecordset.json,
//     DeleteTXTRecordset.json
// and behave as /work/shared/reference/azure-arm.md describes: long-running custom-domain PUTs polled
// through Azure-AsyncOperation, validation that fails until the CNAME exists ("CNAME Record is invalid" or
// "CNAMERecord is invalid"), If-Match / If-None-Match on record sets (412), 429 with Retry-After, and a
// record-set PUT that replaces the whole set. Its refusals are the bodies real users were sent:
//   the plan's custom-domain quota: 400 with App Service's {Code,Message,Details} (Azure/azure-cli#21186);
//   a host still attached to another app: 409 "Request Envelope is invalid…" (Azure/static-web-apps#925, #1804);
//   an operation that ends Failed with ResourceOperationFailure and details [{"code":"Unspecified","message":""}]
//   (Azure/static-web-apps#225).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startEndpoint, type TestCA, type Zone } from '../check/servers.ts';
import { Authorization, type Principal } from './authorization.ts';

export const SUBSCRIPTION = '34adfa4f-cedf-4dc0-ba29-b6d1a69ab345'; // the examples' subscription id
export const TOKEN = 'emulator-token';
/** The user az signs in as with TOKEN: Owner of the subscription unless a test says otherwise. */
export const ADMIN = { objectId: 'f0a3c2d1-5b6e-4c7d-8e9f-0a1b2c3d4e5f', client: 'admin@contoso.com' } as const;

export interface CustomDomain {
  status: 'Validating' | 'Ready' | 'Failed'; createdOn: string;
  /** Why validation failed, as the resource reports it (StaticSiteCustomDomainOverviewARMResource.errorMessage). */
  errorMessage?: string;
  /** The operation still running for it: a GET of the domain, like a poll, moves it on (Azure's time passing). */
  operation?: string;
}
export interface StaticSite { defaultHostname: string; sku: 'Free' | 'Standard'; customDomains: Map<string, CustomDomain> }
/** A record set as ARM stores it: the `properties` of the REST body, plus its etag. */
export interface RecordSetState { etag: string; properties: Record<string, unknown> }

export interface Throttle {
  /** Which requests are throttled, e.g. (m, p) => m === 'PUT' && p.includes('/customDomains/'). */
  match: (method: string, path: string) => boolean;
  /** How many 429s to send before letting requests through; more than the SDK's own 3 retries exercises ours. */
  remaining: number;
  retryAfterSeconds: number;
}

/** One request as an extension handler sees it; `p` is the path split at "/" and decoded. */
export interface ArmRequest {
  method: string;
  p: string[];
  url: URL;
  body: unknown;
  send: (status: number, json?: unknown, headers?: Record<string, string>) => void;
  error: (status: number, code: string, message: string, headers?: Record<string, string>) => void;
}

export interface LoggedRequest { method: string; path: string; query: URLSearchParams; headers: IncomingMessage['headers']; body?: unknown }

const QUOTA = { Free: 2, Standard: 5 } as const;

/** App Service's own error body (Microsoft.Web), as Azure/azure-cli#21186 shows it; not ARM's {error:{…}}. */
export function appServiceError(code: string, message: string, entity: Record<string, unknown> = {}): unknown {
  return {
    Code: code, Message: message, Target: null,
    Details: [{ Message: message }, { Code: code }, { ErrorEntity: { ...entity, Code: code, Message: message } }],
    Innererror: null,
  };
}

export class ArmEmulator {
  readonly requests: LoggedRequest[] = [];
  /** Static sites by "resourceGroup/name" (lower-case). */
  readonly sites = new Map<string, StaticSite>();
  /** Azure DNS: resource group -> zone -> "TYPE/relative" -> record set. */
  readonly zones = new Map<string, Map<string, Map<string, RecordSetState>>>();
  throttles: Throttle[] = [];
  /** Run before each request is handled: a test's "someone else changed it meanwhile". */
  beforeRequest?: (method: string, path: string) => void;
  /** The spelling of the validation error (Azure uses both). */
  cnameErrorText = 'CNAME Record is invalid.  Please ensure the CNAME record has been created.';
  /** Fail validation at the first PUT (400) instead of in the long-running operation. */
  cnameErrorAtPut = false;
  /** Validations that still fail although the CNAME exists: Azure's lag (Azure/static-web-apps#202, #911). */
  validationLag = 0;
  /**
   * Reads (polls of the operation, or GETs of the custom domain) answered InProgress / Validating before the
   * operation completes: Azure validates a domain over minutes, never at the first look.
   */
  pollsInProgress = 3;
  /** Hosts still attached to another (possibly deleted) app: 409 Request Envelope is invalid. */
  readonly linkedElsewhere = new Set<string>();
  /** Custom-domain operations that end Failed with ResourceOperationFailure and no reason (counts down). */
  failWithoutReason = 0;
  /** Extra public DNS the validation consults besides the Azure DNS zones (host -> CNAME target). */
  readonly publicCnames = new Map<string, string>();
  /** Handlers other tests add for calls this file does not emulate; the first that returns true has answered. */
  readonly extensions: ((request: ArmRequest) => boolean)[] = [];
  private readonly operations = new Map<string, { polls: number; finish: () => Record<string, unknown>; result?: Record<string, unknown> }>();
  private server?: Awaited<ReturnType<typeof startEndpoint>>;
  endpoint = '';
  /** Who may do what (test/azure/authorization.ts); every request is checked as the principal its token names. */
  authz = new Authorization();
  admin!: Principal;

  /** `dnsZone`, when given, is kept in step with the Azure DNS record sets, as Azure's name servers are. */
  constructor(private readonly dnsZone?: Zone) {
    this.resetAuthorization();
  }

  /** Only the admin (TOKEN), Owner of the subscription. */
  resetAuthorization(): void {
    this.authz = new Authorization();
    this.admin = this.authz.addPrincipal(TOKEN, ADMIN);
    this.authz.assign(ADMIN.objectId, 'Owner', `/subscriptions/${SUBSCRIPTION}`);
  }

  async start(ca: TestCA, host = '127.0.0.1'): Promise<string> {
    this.server = await startEndpoint(ca, 'management.emulator.test', host, (req, res) => void this.handle(req, res));
    this.endpoint = this.server.url;
    return this.endpoint;
  }

  close(): Promise<void> {
    return this.server?.close() ?? Promise.resolve();
  }

  addSite(resourceGroup: string, name: string, site: Partial<StaticSite> & { defaultHostname: string }): StaticSite {
    const full: StaticSite = { sku: 'Standard', customDomains: new Map(), ...site };
    this.sites.set(`${resourceGroup}/${name}`.toLowerCase(), full);
    return full;
  }

  addZone(resourceGroup: string, zone: string): void {
    if (!this.zones.has(resourceGroup)) this.zones.set(resourceGroup, new Map());
    this.zones.get(resourceGroup)!.set(zone, new Map());
  }

  /** A record set made outside our code (by hand, or by someone else meanwhile). */
  setRecordSet(resourceGroup: string, zone: string, type: 'TXT' | 'CNAME', relative: string, properties: Record<string, unknown>): RecordSetState {
    const set = { etag: randomUUID(), properties };
    this.zones.get(resourceGroup)!.get(zone)!.set(`${type}/${relative}`, set);
    this.mirror(zone, type, relative, set);
    return set;
  }

  recordSet(resourceGroup: string, zone: string, type: 'TXT' | 'CNAME', relative: string): RecordSetState | undefined {
    return this.zones.get(resourceGroup)?.get(zone)?.get(`${type}/${relative}`);
  }

  /** TXT values of a set, each record's strings joined. */
  txt(resourceGroup: string, zone: string, relative: string): string[] | undefined {
    const set = this.recordSet(resourceGroup, zone, 'TXT', relative);
    return set && (set.properties.TXTRecords as { value: string[] }[]).map((r) => r.value.join(''));
  }

  calls(method?: string, pathPart?: string): LoggedRequest[] {
    return this.requests.filter((r) => (!method || r.method === method) && (!pathPart || r.path.includes(pathPart)));
  }

  // ------------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Some SDK paths start with two slashes ('/{scope}/providers/…' with a scope that starts with one): one path.
    const url = new URL((req.url ?? '/').replace(/^\/+/, '/'), this.endpoint);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? JSON.parse(text) : undefined;
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body });
    this.beforeRequest?.(method, url.pathname);
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID(), ...headers });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    const error = (status: number, code: string, message: string, headers?: Record<string, string>) => send(status, { error: { code, message } }, headers);

    const refused = this.authz.check(req.headers.authorization, method, decodeURIComponent(url.pathname));
    if (refused) return send(refused.status, refused.body);
    if (!url.searchParams.get('api-version')) return error(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    const throttle = this.throttles.find((t) => t.remaining > 0 && t.match(method, url.pathname));
    if (throttle) {
      throttle.remaining--;
      return error(429, 'TooManyRequests', 'The request is being throttled.', { 'retry-after': String(throttle.retryAfterSeconds) });
    }

    const p = url.pathname.split('/').map(decodeURIComponent);
    if (this.extensions.some((handle) => handle({ method, p, url, body, send, error }))) return;
    // ListZonesBySubscription.json: every zone of every resource group.
    if (method === 'GET' && p[3] === 'providers' && p[4]?.toLowerCase() === 'microsoft.network' && p[5]?.toLowerCase() === 'dnszones' && p.length === 6) {
      return send(200, {
        value: [...this.zones].flatMap(([rg, zones]) => [...zones.keys()].map((z) => ({
          id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Network/dnsZones/${z}`,
          etag: randomUUID(), location: 'global', name: z, type: 'Microsoft.Network/dnsZones',
          properties: { maxNumberOfRecordSets: 10000, numberOfRecordSets: zones.get(z)!.size + 2, nameServers: ['ns1-01.azure-dns.com'] },
        }))),
      });
    }
    // /subscriptions/{sub}/providers/Microsoft.Web/locations/{loc}/operationResults/{id}
    if (p[3] === 'providers' && p[7] === 'operationResults') return this.poll(p[8]!, send);
    if (p[1] !== 'subscriptions' || p[2] !== SUBSCRIPTION) return error(404, 'SubscriptionNotFound', `The subscription '${p[2]}' could not be found.`);
    const rg = p[4] ?? '';
    const provider = `${p[6]}/${p[7]}`;
    if (p[3] === 'resourceGroups' && provider === 'Microsoft.Web/staticSites') return this.web(method, rg, p.slice(8), body, url, send, error);
    if (p[3] === 'resourceGroups' && provider === 'Microsoft.Network/dnsZones') return this.dns(method, rg, p.slice(8), body, req.headers, send, error);
    return error(404, 'InvalidResourceType', `The resource type could not be found in the namespace '${p[6]}'.`);
  }

  private web(
    method: string, rg: string, rest: string[], body: unknown, url: URL,
    send: (s: number, j?: unknown, h?: Record<string, string>) => void,
    error: (s: number, c: string, m: string) => void,
  ): void {
    const [name = '', collection, host] = rest;
    const site = this.sites.get(`${rg}/${name}`.toLowerCase());
    const siteId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Web/staticSites/${name}`;
    if (!site) return error(404, 'ResourceNotFound', `The Resource 'Microsoft.Web/staticSites/${name}' under resource group '${rg}' was not found.`);
    const domainJson = (h: string, d: CustomDomain) => ({
      id: `${siteId}/customDomains/${h}`, name: h, type: 'Microsoft.Web/staticSites/customDomains',
      properties: { domainName: h, createdOn: d.createdOn, status: d.status, ...(d.status === 'Failed' ? { errorMessage: d.errorMessage ?? '' } : {}) },
    });
    if (method === 'GET' && collection === undefined) {
      // GetStaticSite.json
      return send(200, {
        id: siteId, name, type: 'Microsoft.Web/staticSites', location: 'West US 2',
        properties: { defaultHostname: site.defaultHostname, customDomains: [...site.customDomains.keys()], provisioningState: 'Succeeded' },
        sku: { name: site.sku, tier: site.sku },
      });
    }
    if (collection !== 'customDomains') return error(404, 'NotFound', 'not emulated');
    if (method === 'GET' && host === undefined) {
      // GetStaticSiteCustomDomains.json
      return send(200, { value: [...site.customDomains].map(([h, d]) => domainJson(h, d)), nextLink: null });
    }
    const key = host!.toLowerCase();
    if (method === 'GET') {
      const d = site.customDomains.get(key);
      if (d?.operation) this.progress(d.operation);
      return d ? send(200, domainJson(key, d)) : error(404, 'NotFound', `Custom domain ${key} was not found.`);
    }
    if (method !== 'PUT') return error(405, 'MethodNotAllowed', method);
    const props = (body as { properties?: { validationMethod?: string } } | undefined)?.properties ?? {};
    if (props.validationMethod && props.validationMethod !== 'cname-delegation' && props.validationMethod !== 'dns-txt-token') {
      return error(400, 'BadRequest', `Invalid validation method ${props.validationMethod}.`);
    }
    const existing = site.customDomains.get(key);
    if (!existing && site.customDomains.size >= QUOTA[site.sku]) {
      // Azure/azure-cli#21186: 400, App Service's own capitalised shape, the limit in the message.
      const message = `The maximum number of custom domains allowed for this static site is ${QUOTA[site.sku]}.`;
      return send(400, appServiceError('BadRequest', message, { ExtendedCode: '59334', MessageTemplate: 'The maximum number of custom domains allowed for this static site is {0}.', Parameters: [String(QUOTA[site.sku])] }));
    }
    if (this.linkedElsewhere.has(key)) {
      // Azure/static-web-apps#925, #1804: "(Conflict) Request Envelope is invalid…" for a host another app still holds.
      return send(409, appServiceError('Conflict', 'Request Envelope is invalid.  Please ensure the custom domain is not linked to another site.'));
    }
    if (this.cnameErrorAtPut && !this.validates(site, key)) return error(400, 'BadRequest', this.cnameErrorText);
    const domain: CustomDomain = { status: 'Validating', createdOn: existing?.createdOn ?? new Date().toISOString() };
    site.customDomains.set(key, domain);
    const withoutReason = this.failWithoutReason > 0;
    if (withoutReason) this.failWithoutReason--;
    const operation = this.startOperation(url, () => this.finishBinding(site, key, withoutReason));
    domain.operation = new URL(operation).pathname.split('/').pop();
    // CreateOrUpdateStaticSiteCustomDomain.json, response 202: its one published header, the operation's status URL
    // at the subscription's scope (readable only with Microsoft.Web/locations/operationResults/read there).
    send(202, domainJson(key, domain), { 'azure-asyncoperation': operation });
  }

  /**
   * A long-running operation: its Azure-AsyncOperation URL, answered InProgress `pollsInProgress` times, then
   * with what `finish` returns ({status:'Succeeded'} or {status:'Failed', error}).
   */
  startOperation(url: URL, finish: () => Record<string, unknown>): string {
    const id = randomUUID();
    this.operations.set(id, { polls: 0, finish });
    return `${this.endpoint}/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Web/locations/westus2/operationResults/${id}?api-version=${url.searchParams.get('api-version')}`;
  }

  private finishBinding(site: StaticSite, host: string, withoutReason: boolean): Record<string, unknown> {
    const domain = site.customDomains.get(host)!;
    delete domain.operation;
    if (withoutReason) {
      domain.status = 'Failed';
      domain.errorMessage = '';
      // Azure/static-web-apps#225: the operation's status body, as the activity log showed it.
      return {
        status: 'Failed',
        error: { code: 'ResourceOperationFailure', message: "The resource operation completed with terminal provisioning state 'Failed'.", details: [{ code: 'Unspecified', message: '' }] },
      };
    }
    if (domain.status === 'Validating') domain.status = this.validates(site, host) ? 'Ready' : 'Failed';
    if (domain.status === 'Ready') return { status: 'Succeeded' };
    domain.errorMessage = this.cnameErrorText;
    return { status: 'Failed', error: { code: 'BadRequest', message: this.cnameErrorText } };
  }

  /** The Azure-AsyncOperation status resource: InProgress, then what the operation's `finish` says. */
  private poll(id: string, send: (s: number, j?: unknown) => void): void {
    if (!this.operations.has(id)) return send(404, { error: { code: 'NotFound', message: 'operation not found' } });
    const result = this.progress(id);
    return send(200, { id, name: id, ...(result ?? { status: 'InProgress' }) });
  }

  /** One more look at an operation: undefined while in progress, then its (lasting) result. */
  private progress(id: string): Record<string, unknown> | undefined {
    const op = this.operations.get(id);
    if (!op) return undefined;
    if (op.result) return op.result;
    if (op.polls++ < this.pollsInProgress) return undefined;
    return (op.result = op.finish());
  }

  /** Validation by cname-delegation: the host must be a CNAME to the app's default host name, once Azure sees it. */
  private validates(site: StaticSite, host: string): boolean {
    const target = site.defaultHostname.toLowerCase();
    const seen = this.dnsZone?.get(host)?.cname?.toLowerCase() ?? this.publicCnames.get(host)?.toLowerCase();
    if (seen !== target) return false;
    if (this.validationLag > 0) {
      this.validationLag--;
      return false;
    }
    return true;
  }

  private dns(
    method: string, rg: string, rest: string[], body: unknown, headers: IncomingMessage['headers'],
    send: (s: number, j?: unknown) => void,
    error: (s: number, c: string, m: string) => void,
  ): void {
    const zones = this.zones.get(rg);
    if (!zones) return error(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
    const [zoneName, type, relative] = rest;
    if (zoneName === undefined) {
      // ListZonesByResourceGroup.json
      return send(200, {
        value: [...zones.keys()].map((z) => ({
          id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Network/dnsZones/${z}`,
          etag: randomUUID(), location: 'global', name: z, type: 'Microsoft.Network/dnsZones',
          properties: { maxNumberOfRecordSets: 10000, numberOfRecordSets: zones.get(z)!.size + 2, nameServers: ['ns1-01.azure-dns.com'] },
        })),
      });
    }
    const zone = zones.get(zoneName.toLowerCase());
    if (!zone) return error(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${zoneName}' not found.`);
    if (type !== 'TXT' && type !== 'CNAME') return error(400, 'BadRequest', `record type ${type} not emulated`);
    const key = `${type}/${relative}`;
    const current = zone.get(key);
    const json = (set: RecordSetState) => ({
      // GetTXTRecordset.json / CreateOrUpdateTXTRecordset.json
      id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Network/dnsZones/${zoneName}/${type}/${relative}`,
      etag: set.etag, name: relative, type: `Microsoft.Network/dnsZones/${type}`,
      properties: { ...set.properties, fqdn: `${relative === '@' ? '' : `${relative}.`}${zoneName}`, provisioningState: 'Succeeded' },
    });
    const ifMatch = headers['if-match'];
    const ifNoneMatch = headers['if-none-match'];
    const precondition = () => {
      if (ifMatch !== undefined && (!current || (ifMatch !== '*' && ifMatch !== current.etag))) return false;
      if (ifNoneMatch === '*' && current) return false;
      return true;
    };
    const preconditionFailed = () => error(412, 'PreconditionFailed', `The Record set ${relative} has been modified (etag mismatch).`);
    if (method === 'GET') {
      return current ? send(200, json(current)) : error(404, 'NotFound', `The resource record '${relative}' does not exist in resource group '${rg}' of subscription '${SUBSCRIPTION}'.`);
    }
    if (method === 'DELETE') {
      if (!precondition()) return preconditionFailed();
      if (!current) return send(204); // DeleteTXTRecordset.json: 200 or 204
      zone.delete(key);
      this.mirror(zoneName, type, relative, undefined);
      return send(200);
    }
    if (method !== 'PUT') return error(405, 'MethodNotAllowed', method);
    if (!precondition()) return preconditionFailed();
    // A PUT replaces the whole set: whatever records it had are gone, only the body's remain.
    const properties = { ...((body as { properties?: Record<string, unknown> }).properties ?? {}) };
    const set = { etag: randomUUID(), properties };
    zone.set(key, set);
    this.mirror(zoneName, type, relative, set);
    return send(current ? 200 : 201, json(set));
  }

  /** Azure's name servers answer from the zone at once: reflect each change in the test DNS server. */
  private mirror(zoneName: string, type: string, relative: string, set: RecordSetState | undefined): void {
    if (!this.dnsZone) return;
    const fqdn = relative === '@' ? zoneName : `${relative}.${zoneName}`;
    const entry = { ...this.dnsZone.get(fqdn) };
    if (type === 'TXT') {
      if (set) entry.txt = (set.properties.TXTRecords as { value: string[] }[]).map((r) => r.value);
      else delete entry.txt;
    } else if (set) {
      entry.cname = (set.properties.CNAMERecord as { cname: string }).cname.replace(/\.$/, '');
    } else delete entry.cname;
    if (Object.keys(entry).length === 0) this.dnsZone.delete(fqdn);
    else this.dnsZone.set(fqdn, entry);
  }
}
