// The one reader of Azure's error answers. ARM's common shape is {"error":{"code","message","details"}}, but
// Microsoft.Web (Static Web Apps, App Service) answers with its own {"Code","Message","Details":[{"Message"},
// {"Code"},{"ErrorEntity":{…}}]} (Azure/azure-cli#21186), and the SDK then hands us the raw JSON as the message.
// Long-running operations that end Failed reach us as core-lro's "The long-running operation has failed. CODE.
// MESSAGE" text. Whatever the shape, the user gets one line: what failed, Azure's code and message, what to do.
import { printable } from '../printable.ts';

export interface AzureErrorDetail { code?: string; message?: string }

export interface AzureError {
  /** The HTTP status, when Azure answered at all. */
  status?: number;
  code?: string;
  /** Azure's message; '' when it gave none (it does: Azure/static-web-apps#225). */
  message: string;
  /** Every nested detail, flattened, without repeats of the top message. */
  details: AzureErrorDetail[];
}

/** What the advice may name: the app, its resource group, the host being bound and the app's default host. */
export interface ErrorContext {
  app?: string;
  resourceGroup?: string;
  host?: string;
  target?: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A property in either casing (`code` / `Code`, `innererror` / `InnerError`). */
function prop(o: Json, name: string): unknown {
  const lower = name.toLowerCase();
  const key = Object.keys(o).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : o[key];
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** Details in ARM's nesting (details[].details[]), App Service's ErrorEntity, and inner errors, depth-first. */
function collectDetails(o: Json, into: AzureErrorDetail[], depth = 0): void {
  if (depth > 8) return; // untrusted input: bounded
  const children: unknown[] = [];
  const details = prop(o, 'details');
  if (Array.isArray(details)) children.push(...details);
  for (const key of ['errorEntity', 'innerError']) {
    const inner = prop(o, key);
    if (isObject(inner)) children.push(inner);
  }
  for (const child of children.slice(0, 50)) {
    if (!isObject(child)) continue;
    const code = text(prop(child, 'code'));
    const message = text(prop(child, 'message'));
    if (code !== undefined || message !== undefined) into.push({ ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}) });
    collectDetails(child, into, depth + 1);
  }
}

/** Reads an error body: ARM's or App Service's JSON in either casing; any other text as its first words. */
export function parseErrorBody(body: string): Omit<AzureError, 'status'> | undefined {
  const trimmed = body.trim();
  if (!trimmed) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    // An HTML error page (a proxy, a gateway): its title, else its text without tags, shortened.
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1];
    const plain = (title ?? trimmed.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
    return { message: plain.length > 200 ? `${plain.slice(0, 200)}…` : plain, details: [] };
  }
  if (!isObject(parsed)) return undefined;
  const wrapped = prop(parsed, 'error');
  const root = isObject(wrapped) ? wrapped : parsed;
  const code = text(prop(root, 'code'));
  const message = text(prop(root, 'message'));
  if (code === undefined && message === undefined) return undefined;
  const details: AzureErrorDetail[] = [];
  collectDetails(root, details);
  return { ...(code !== undefined ? { code } : {}), message: message ?? '', details: dedupe(details, message ?? '', code) };
}

/** Drops details that only repeat the top code or message, and repeats among themselves. */
function dedupe(details: AzureErrorDetail[], message: string, code: string | undefined): AzureErrorDetail[] {
  const seen = new Set<string>();
  const out: AzureErrorDetail[] = [];
  for (const d of details) {
    const sameMessage = !d.message || d.message === message;
    const sameCode = !d.code || d.code === code;
    if (sameMessage && sameCode && (d.message || d.code)) continue;
    const key = `${d.code ?? ''}\u0000${d.message ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** The SDK's RestError, recognised by shape: @azure/core-rest-pipeline is not a direct dependency. */
interface RestErrorLike extends Error {
  statusCode?: number;
  code?: string;
  request?: object;
  response?: { bodyAsText?: string | null };
}

// The newer generated clients (arm-appservice 19, arm-resources 8) parse the body before they throw and keep only
// ARM's {error:{code,message}} of it: App Service's {Code,Message,Details} would come out as "Unexpected status
// code: 400". A pipeline policy (arm.ts) remembers each error answer's text by its request, which the error keeps.
const errorBodies = new WeakMap<object, string>();

/** Called by the clients' pipeline for every answer of 400 or more. */
export function rememberErrorBody(request: object, text: string): void {
  errorBodies.set(request, text);
}

// core-lro's text for an operation that ended Failed: ". CODE. MESSAGE" follows when the status body had an error.
const LRO_FAILED = /^The long-running operation has failed(?:\. (\S*)\. ([\s\S]*))?$/;

/** A custom domain that ended Failed: its errorMessage, which may be empty (Azure/static-web-apps#225). */
export class DomainFailure extends Error {
  constructor(readonly azure: AzureError) {
    super(azure.message);
    this.name = 'DomainFailure';
  }
}

export const domainFailure = (errorMessage: string | undefined) => new DomainFailure({ code: 'Failed', message: errorMessage ?? '', details: [] });

/** Azure's status, code, message and details from whatever the SDK or core-lro threw. */
export function readAzureError(e: unknown): AzureError {
  if (e instanceof DomainFailure) return e.azure;
  if (e instanceof Error && e.name === 'RestError') {
    const rest = e as RestErrorLike;
    const raw = rest.response?.bodyAsText || (rest.request ? errorBodies.get(rest.request) : undefined);
    const body = raw ? parseErrorBody(raw) : undefined;
    const status = rest.statusCode;
    if (body) return { ...(status !== undefined ? { status } : {}), ...body };
    // The SDK's own text; when it is the raw body (unknown shape), it went through parseErrorBody above.
    return { ...(status !== undefined ? { status } : {}), ...(rest.code ? { code: rest.code } : {}), message: rest.message, details: [] };
  }
  // AzureCliCredential: az missing or not signed in. Not Azure's answer, but the line says what to do all the same.
  if (e instanceof Error && e.name === 'CredentialUnavailableError') return { code: e.name, message: e.message.split('\n')[0]!, details: [] };
  if (e instanceof Error) {
    const lro = LRO_FAILED.exec(e.message);
    if (lro) {
      const code = lro[1] && lro[1] !== 'undefined' ? lro[1] : undefined;
      return { ...(code ? { code } : {}), message: (lro[2] ?? '').replace(/^undefined$/, ''), details: [] };
    }
    return { message: e.message, details: [] };
  }
  return { message: String(e), details: [] };
}

/** Whether Azure's answer says anything at all (Azure/static-web-apps#225: `[{"code":"Unspecified","message":""}]`). */
function saysNothing(a: AzureError): boolean {
  const vague = (code?: string) => !code || /^(Unspecified|ResourceOperationFailure|InternalServerError|Failed)$/i.test(code);
  const generic = /terminal provisioning state 'Failed'|^$/;
  return generic.test(a.message.trim()) && vague(a.code) && a.details.every((d) => !d.message?.trim() && vague(d.code));
}

export type AzureErrorKind =
  | 'no-cli' | 'signin' | 'quota' | 'plan-quota' | 'unregistered' | 'linked-elsewhere' | 'cname-invalid' | 'no-reason' | 'unauthenticated'
  | 'forbidden' | 'not-found' | 'throttled' | 'other';

const all = (a: AzureError) => [a.message, ...a.details.map((d) => d.message ?? '')].join('\n');

/** Which of the answers we know how to advise on. */
export function classify(a: AzureError): AzureErrorKind {
  const words = all(a);
  if (a.code === 'CredentialUnavailableError') return /could not be found|not installed/i.test(words) ? 'no-cli' : 'signin';
  if (/maximum number of custom domains/i.test(words)) return 'quota';
  // App Service's answer to a plan PUT in a subscription without quota for the tier: 401 (or 400) Unauthorized,
  // "Operation cannot be completed without additional quota." (azure-arm.md): no sign-in problem.
  if (/without additional quota/i.test(words)) return 'plan-quota';
  if (/^MissingSubscriptionRegistration$/i.test(a.code ?? '') || a.details.some((d) => /^MissingSubscriptionRegistration$/i.test(d.code ?? ''))) return 'unregistered';
  if (/Request Envelope is invalid/i.test(words)) return 'linked-elsewhere';
  if (/CNAME ?Record is invalid/i.test(words)) return 'cname-invalid';
  if (a.status === 401) return 'unauthenticated';
  if (a.status === 403 || /^AuthorizationFailed$/i.test(a.code ?? '')) return 'forbidden';
  if (a.status === 404) return 'not-found';
  if (a.status === 429) return 'throttled';
  if (saysNothing(a)) return 'no-reason';
  return 'other';
}

/** The custom-domain limit Azure names in its quota message ("… for this static site is 2."). */
export function quotaLimit(a: AzureError): number | undefined {
  const m = /maximum number of custom domains allowed for this static site is (\d+)/i.exec(all(a));
  return m ? Number(m[1]) : undefined;
}

/** The resource provider Azure says the subscription is not registered for ("… to use namespace 'Microsoft.Web'."). */
export function unregisteredNamespace(a: AzureError): string | undefined {
  const m = /namespace '([A-Za-z0-9.]+)'/i.exec(all(a));
  return m?.[1];
}

/** The action and scope a 403 AuthorizationFailed names ("… to perform action 'X' over scope 'Y' …"). */
export function refusedAccess(a: AzureError): { action: string; scope: string } | undefined {
  const m = /perform action '([^']+)' over scope '([^']+)'/i.exec(all(a));
  return m ? { action: printable(m[1]!), scope: printable(m[2]!) } : undefined;
}

/** What to do about it, for the kinds we know. */
export function advice(a: AzureError, c: ErrorContext = {}): string {
  const app = c.app ?? 'the app';
  const host = c.host ?? 'the host';
  switch (classify(a)) {
    case 'no-cli':
      return 'the Azure CLI (az) is not installed, or not on PATH: install it (https://aka.ms/installazurecli), run az login, then re-run';
    case 'signin':
      return 'az has no usable sign-in: run az login (in a pipeline: check the service connection), then re-run';
    case 'quota': {
      const limit = quotaLimit(a);
      return `the app's plan allows ${limit ?? 'no more'} custom domains per app (Free 2, Standard 5): serve the other domains from a second Static Web App, move ${app} to the Standard plan (az staticwebapp update -n ${app}${c.resourceGroup ? ` -g ${c.resourceGroup}` : ''} --sku Standard), or host the policy on Azure Functions (500 custom domains per app)`;
    }
    case 'plan-quota':
      return `the subscription has no quota for this App Service plan tier in this region (a quota refusal, not a sign-in problem): request more (Azure portal > Quotas > App Service, or a support request for the tier and region), or choose another region (--region), or host on a Static Web App (hosting.kind static-web-app; its Free plan needs no App Service quota and serves 2 domains per app)`;
    case 'unregistered': {
      const ns = unregisteredNamespace(a) ?? '<the namespace Azure named>';
      return `the subscription has never used ${ns}: someone with Contributor or Owner on the subscription registers it once (az provider register --namespace ${ns}, then az provider show -n ${ns} --query registrationState until Registered), then re-run`;
    }
    case 'linked-elsewhere':
      return `${host} is still attached to another Static Web App, perhaps one already deleted: remove it there (Custom domains > Delete, or az staticwebapp hostname delete), or, when that app is gone, ask Azure support to release the host name; then re-run`;
    case 'cname-invalid':
      return `Azure cannot see ${host} as a CNAME to ${c.target ?? "the app's default host name"} yet: check it with dig +short CNAME ${host}, wait for DNS to propagate, then re-run`;
    case 'no-reason':
      return `Azure gave no reason: check that ${host} is a CNAME to ${c.target ?? "the app's default host name"} as public DNS sees it, that no CAA record forbids digicert.com (Azure's certificate authority), and re-run (a failed binding is tried again)`;
    case 'unauthenticated':
      return 'the Azure login is missing or expired: run az login (in a pipeline: check the service connection), then re-run';
    case 'forbidden': {
      const refused = refusedAccess(a);
      if (!refused) return 'the signed-in account lacks the right for this: ask someone with Owner or User Access Administrator there to grant it (docs/azure-rights.md: "Who needs which Azure rights"), or to run this command';
      return `the signed-in identity may not ${refused.action} over ${refused.scope}: someone with Owner or User Access Administrator on that scope (or one above it) grants a role that allows it (docs/azure-rights.md: "Who needs which Azure rights"), or runs this command`;
    }
    case 'not-found':
      return 'check the name, the resource group and --subscription (az account show), then re-run';
    case 'throttled':
      return 'Azure is throttling this subscription: wait a few minutes, then re-run';
    default:
      return 're-run the same command (it continues where it stopped); if it fails the same way, check https://status.azure.com';
  }
}

/** Azure's part of the line: "HTTP 400 BadRequest: The maximum number … (details: …)". */
export function azureSaid(a: AzureError): string {
  const head = [a.status !== undefined ? `HTTP ${a.status}` : undefined, a.code].filter(Boolean).join(' ');
  const message = a.message.trim() || '(no message)';
  const extra = a.details
    .filter((d) => d.message?.trim() || (d.code && d.code !== a.code))
    .map((d) => [d.code, d.message?.trim()].filter(Boolean).join(': '))
    .slice(0, 3);
  return printable(`${head ? `${head}: ` : ''}${message}${extra.length ? ` (details: ${extra.join('; ')})` : ''}`.replace(/\s+/g, ' '));
}

/** The one line: what failed, what Azure said, what to do. */
export function azureErrorLine(what: string, e: unknown, c: ErrorContext = {}): string {
  const a = readAzureError(e);
  if (a.code === 'CredentialUnavailableError') return `${what} failed: no Azure sign-in (${printable(a.message)}); ${advice(a, c)}`;
  return `${what} failed: Azure answered ${azureSaid(a)}; ${advice(a, c)}`;
}
