// Azure Resource Manager access for the azure commands: which credential, the SDK clients (the cloud is in cloud.ts), and
// our own bounded retry of throttled calls on top of the SDK's.
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { DnsManagementClient } from '@azure/arm-dns';
import { AzureCliCredential, type TokenCredential } from '@azure/identity';
import { rememberErrorBody } from './azure-error.ts';
import { clockOf, poll } from './retry.ts';

export { ARM_ENDPOINT_ENV, CLOUDS, activeCloud, armEndpointError, isCloudName, type CloudName } from './cloud.ts';

export interface ArmConnection {
  endpoint: string;
  subscription: string;
  credential: TokenCredential;
  /** Extra trusted CAs for the endpoint (tests in this process); child processes use NODE_EXTRA_CA_CERTS. */
  ca?: string;
}

/**
 * The logged-in az's token (AzureCLI@2 with a service connection, azure/login, or a local `az login`).
 * Never a credential that probes the instance metadata endpoint.
 */
export const cliCredential = (): TokenCredential => new AzureCliCredential();

export interface ArmClients {
  web: WebSiteManagementClient;
  dns: DnsManagementClient;
}

/**
 * The options every ARM client of ours takes. The generated clients build URLs from $host (or endpoint) and take
 * the token audience from credentialScopes (older generation: arm-dns, arm-msi, arm-authorization) or
 * credentials.scopes (newer: arm-appservice 19, arm-resources 8, which otherwise ask for the public cloud's
 * audience whatever the endpoint): set them all, so a sovereign or private cloud gets its own token.
 */
export function armClientOptions(c: Pick<ArmConnection, 'endpoint' | 'ca'>) {
  const endpoint = c.endpoint.replace(/\/+$/, '');
  const scopes = [`${endpoint}/.default`];
  return {
    endpoint,
    $host: endpoint,
    credentialScopes: scopes,
    credentials: { scopes },
    // Outside the retries (perCall), so it sees the answer the error is made of.
    additionalPolicies: [{ policy: keepErrorBodies, position: 'perCall' as const }],
    ...(c.ca ? { tlsOptions: { ca: c.ca } } : {}),
  };
}

/** Remembers the text of every error answer, for readAzureError (see rememberErrorBody). */
const keepErrorBodies = {
  name: 'mtaStsKeepErrorBodies',
  async sendRequest<Q extends object, R extends { status: number; bodyAsText?: string | null }>(request: Q, next: (request: Q) => Promise<R>): Promise<R> {
    const response = await next(request);
    if (response.status >= 400 && response.bodyAsText) rememberErrorBody(request, response.bodyAsText);
    return response;
  },
};

export function armClients(c: ArmConnection): ArmClients {
  const options = armClientOptions(c);
  return {
    web: new WebSiteManagementClient(c.credential, c.subscription, options),
    dns: new DnsManagementClient(c.credential, c.subscription, options),
  };
}

/** The SDK's RestError, recognised by shape: @azure/core-rest-pipeline is not a direct dependency. */
interface RestErrorLike extends Error {
  statusCode?: number;
  code?: string;
  response?: { headers: { get(name: string): string | undefined } };
}

function isRestError(e: unknown): e is RestErrorLike {
  return e instanceof Error && e.name === 'RestError';
}

/** The HTTP status of an SDK error, when the service answered. */
export function statusOf(e: unknown): number | undefined {
  return isRestError(e) ? e.statusCode : undefined;
}

export interface ThrottleOptions {
  /** Our own tries after the SDK has given up on a 429 (it retries 3 times itself). */
  attempts?: number;
  /** Used when a 429 carries no Retry-After. */
  defaultDelayMs?: number;
  /** Upper bound of any single wait, whatever Retry-After says. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onWait?: (ms: number, attempt: number) => void;
}

/**
 * Runs `call`, and when ARM still answers 429 Too Many Requests after the SDK's own retries, waits as long
 * as its Retry-After says (bounded) and calls again, at most `attempts` times in all.
 */
export async function withThrottleRetry<T>(call: () => Promise<T>, options: ThrottleOptions = {}): Promise<T> {
  const clock = clockOf(options);
  const result = await poll<{ ok?: T; error?: unknown }>(async () => {
    try {
      return { done: true, value: { ok: await call() } };
    } catch (e) {
      if (statusOf(e) !== 429) throw e;
      return { done: false, value: { error: e }, waitMs: retryAfterMs(e, clock.now()) ?? options.defaultDelayMs ?? 30_000 };
    }
  }, {
    attempts: options.attempts ?? 5,
    delayMs: options.defaultDelayMs ?? 30_000,
    maxDelayMs: options.maxDelayMs ?? 120_000,
    clock,
    onWait: (ms, n) => options.onWait?.(ms, n),
  });
  if (!result.done) throw result.value.error;
  return result.value.ok as T;
}

function retryAfterMs(e: unknown, now: number): number | undefined {
  if (!isRestError(e)) return undefined;
  const value = e.response?.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value); // Retry-After may be an HTTP date (RFC 9110 §10.2.3)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
