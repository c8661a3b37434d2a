// One GitHub repository through GitHub's own REST client (@octokit/core), with a token the admin provides: the
// repository itself (its canonical OWNER/REPO, which the OIDC subject must match to the letter), its Actions
// variables, and its Actions secrets (sealed with its public key: sealed-box.ts). Endpoints and answers as GitHub's
// REST docs give them ("REST API endpoints for GitHub Actions variables", "… secrets", "… repositories").
import { Octokit } from '@octokit/core';
import { printable } from '../printable.ts';
import { sealForGitHub } from './sealed-box.ts';

export const GITHUB_API = 'https://api.github.com';
/** Where a GitHub Enterprise Server or GHE.com API lives (the same variable GitHub's runners set). */
export const GITHUB_API_ENV = 'GITHUB_API_URL';
/** The token variables, in the order gh reads them. */
export const GITHUB_TOKEN_ENVS = ['GH_TOKEN', 'GITHUB_TOKEN'] as const;
const API_VERSION = '2022-11-28';

/** OWNER/REPO as GitHub allows them: letters, digits, hyphens (owner); and dots and underscores (repository). */
export const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

export class GitHubError extends Error {
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
  }
}

export interface GitHubOptions {
  token: string;
  /** The API's base URL (GITHUB_API_URL; default api.github.com). */
  baseUrl?: string;
  /** Tests: a fetch that trusts the loopback emulator's CA. */
  fetch?: typeof fetch;
}

export interface RepositoryInfo { fullName: string; defaultBranch: string }

/** The token from the environment, as gh takes it (GH_TOKEN first); undefined when none is set. */
export function tokenFrom(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of GITHUB_TOKEN_ENVS) if (env[name]?.trim()) return env[name]!.trim();
  return undefined;
}

/** A problem with GITHUB_API_URL, or undefined: https only, no credentials or query in it. */
export function apiUrlError(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${GITHUB_API_ENV} must be a URL such as ${GITHUB_API} (got "${printable(value)}")`;
  }
  if (url.protocol !== 'https:') return `${GITHUB_API_ENV} must be an https:// URL (got "${printable(value)}")`;
  if (url.username || url.password || url.search || url.hash) return `${GITHUB_API_ENV} must be the API's base URL alone, with no credentials, query or fragment (got "${printable(value)}")`;
  return undefined;
}

export class GitHubRepository {
  private readonly octokit: Octokit;
  readonly owner: string;
  readonly repo: string;

  constructor(readonly fullName: string, options: GitHubOptions) {
    [this.owner, this.repo] = fullName.split('/') as [string, string];
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: (options.baseUrl ?? GITHUB_API).replace(/\/+$/, ''),
      userAgent: 'mta-sts-azure-setup',
      request: options.fetch ? { fetch: options.fetch } : undefined,
    });
  }

  private async call<T>(what: string, route: string, params: Record<string, unknown> = {}): Promise<{ status: number; data: T }> {
    try {
      const r = await this.octokit.request(route, { owner: this.owner, repo: this.repo, ...params, headers: { 'x-github-api-version': API_VERSION } });
      return { status: r.status, data: r.data as T };
    } catch (e) {
      throw failed(what, this.fullName, e);
    }
  }

  /** The repository as GitHub names it; a 404 means none, or none this token may see (GitHub does not tell them apart). */
  async read(): Promise<RepositoryInfo> {
    const { data } = await this.call<{ full_name?: string; default_branch?: string }>(`reading repository ${this.fullName}`, 'GET /repos/{owner}/{repo}');
    const fullName = typeof data.full_name === 'string' && REPOSITORY.test(data.full_name) ? data.full_name : this.fullName;
    return { fullName, defaultBranch: printable(String(data.default_branch ?? 'main')) };
  }

  /** An Actions variable's value; undefined when the repository has none of that name. */
  async variable(name: string): Promise<string | undefined> {
    try {
      const { data } = await this.call<{ value?: unknown }>(`reading variable ${name}`, 'GET /repos/{owner}/{repo}/actions/variables/{name}', { name });
      return typeof data.value === 'string' ? data.value : undefined;
    } catch (e) {
      if (e instanceof GitHubError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Creates the variable (POST, 201) or, when it exists, updates it (PATCH, 204). */
  async setVariable(name: string, value: string, exists: boolean): Promise<void> {
    if (exists) await this.call(`updating variable ${name}`, 'PATCH /repos/{owner}/{repo}/actions/variables/{name}', { name, value });
    else await this.call(`creating variable ${name}`, 'POST /repos/{owner}/{repo}/actions/variables', { name, value });
  }

  /** Whether an Actions secret of that name exists (GitHub never returns a secret's value). */
  async secretExists(name: string): Promise<boolean> {
    try {
      await this.call(`reading secret ${name}`, 'GET /repos/{owner}/{repo}/actions/secrets/{secret_name}', { secret_name: name });
      return true;
    } catch (e) {
      if (e instanceof GitHubError && e.status === 404) return false;
      throw e;
    }
  }

  /** Creates or updates a secret: sealed to the repository's public key, sent with that key's id. */
  async setSecret(name: string, value: string): Promise<void> {
    const { data: key } = await this.call<{ key_id?: unknown; key?: unknown }>('reading the repository\'s public key for secrets', 'GET /repos/{owner}/{repo}/actions/secrets/public-key');
    if (typeof key.key !== 'string' || typeof key.key_id !== 'string') throw new GitHubError(`reading the public key of ${this.fullName}: GitHub returned no key or key_id`);
    const encrypted = await sealForGitHub(key.key, value);
    await this.call(`setting secret ${name}`, 'PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}', { secret_name: name, encrypted_value: encrypted, key_id: key.key_id });
  }
}

/**
 * GitHub's answer, read from the client's error (its status, its body's message, and on a 403 the
 * X-Accepted-GitHub-Permissions header, which names the fine-grained permission the call needs), and what to do.
 */
function failed(what: string, repository: string, e: unknown): GitHubError {
  const err = e as { status?: unknown; message?: unknown; response?: { data?: unknown; headers?: Record<string, unknown> } };
  // Octokit reports a request that got no answer (refused, TLS, DNS) as status 500 without a response.
  const status = typeof err.status === 'number' && err.response ? err.status : undefined;
  if (status === undefined) {
    return new GitHubError(`${what}: could not reach GitHub's API: ${printable(e instanceof Error ? (e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message) : String(e))}`, undefined, { cause: e });
  }
  const body = err.response?.data as { message?: unknown } | undefined;
  const said = printable(String(typeof body?.message === 'string' ? body.message : err.message ?? '')).replace(/\s+/g, ' ').trim().slice(0, 300);
  const accepted = err.response?.headers?.['x-accepted-github-permissions'];
  const needs = typeof accepted === 'string' && /^[a-z_=;, ]+$/.test(accepted) ? ` (GitHub says the call needs ${accepted})` : '';
  const advice =
    status === 401 ? 'the token is wrong or expired: make a new one and set GH_TOKEN again (docs/github-actions.md: "Rights needed")'
    : status === 403 ? `the token may not do this on ${repository}${needs}: a fine-grained token needs the repository permissions Variables and Secrets (read and write), a classic token the repo scope, and its owner write access (docs/github-actions.md: "Rights needed")`
    : status === 404 ? `${repository} does not exist, or the token cannot see it (GitHub answers 404 for both): check OWNER/REPO and that the token was granted this repository (docs/github-actions.md: "Rights needed")`
    : '';
  return new GitHubError(`${what}: GitHub answered HTTP ${status}${said ? `: ${said}` : ''}${advice ? `; ${advice}` : ''}`, status, { cause: e });
}
