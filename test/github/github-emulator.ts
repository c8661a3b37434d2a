// GitHub's REST API for one purpose, on loopback over TLS (the test CA): what `mta-sts azure setup --github` calls,
// answered as GitHub's REST docs say ("REST API endpoints for repositories": Get a repository; "… for GitHub
// Actions variables": Get / Create (201) / Update (204) a repository variable; "… for GitHub Actions secrets": Get a
// repository public key, Get a repository secret (name and dates, never the value), Create or update a repository
// secret (201 created, 204 updated), the value sealed with libsodium to that key), and refused as GitHub refuses:
// 401 "Bad credentials" for an unknown token; 404 "Not Found" for a repository that does not exist or that the token
// cannot see (GitHub does not tell them apart); 403 "Resource not accessible by personal access token" for a
// fine-grained token without the permission, with the X-Accepted-GitHub-Permissions header naming it (GitHub's
// "Troubleshooting the REST API"; the body as users quote it, saadmk11/github-actions-version-updater#110).
// The private key stays here: a test opens the sealed secret with it, as GitHub would.
import type { IncomingMessage, ServerResponse } from 'node:http';
import sodium from 'libsodium-wrappers';
import { startEndpoint, type TestCA } from '../check/servers.ts';

export interface EmulatedRepository {
  fullName: string;
  defaultBranch: string;
  variables: Map<string, { name: string; value: string; created_at: string; updated_at: string }>;
  secrets: Map<string, { name: string; encrypted: string; keyId: string; created_at: string; updated_at: string }>;
}

/** What a token may do: which repositories it sees, and whether it may write variables and secrets. */
export interface TokenGrant { repositories: 'all' | string[]; variables: boolean; secrets: boolean }

export interface GitHubRequest { method: string; path: string; body?: unknown; status: number }

const DOCS = 'https://docs.github.com/rest';

export class GitHubEmulator {
  private server?: Awaited<ReturnType<typeof startEndpoint>>;
  endpoint = '';
  readonly repositories = new Map<string, EmulatedRepository>();
  readonly tokens = new Map<string, TokenGrant>();
  readonly requests: GitHubRequest[] = [];
  /** A test's own answer to a request, before the emulated API's (a server that misbehaves). */
  answer?: (method: string, path: string) => { status: number; body: unknown } | undefined;
  private keys!: { publicKey: Uint8Array; privateKey: Uint8Array };
  readonly keyId = '012345678912345678';

  async start(ca: TestCA, host = '127.0.0.1'): Promise<string> {
    await sodium.ready;
    this.keys = sodium.crypto_box_keypair();
    this.server = await startEndpoint(ca, 'api.github.emulator.test', host, (req, res) => void this.handle(req, res));
    this.endpoint = this.server.url;
    return this.endpoint;
  }

  close(): Promise<void> {
    return this.server?.close() ?? Promise.resolve();
  }

  addRepository(fullName: string, defaultBranch = 'main'): EmulatedRepository {
    const repo: EmulatedRepository = { fullName, defaultBranch, variables: new Map(), secrets: new Map() };
    this.repositories.set(fullName.toLowerCase(), repo);
    return repo;
  }

  /** A secret as GitHub holds it, opened with the repository's private key (what only GitHub can do). */
  openSecret(fullName: string, name: string): string | undefined {
    const s = this.repositories.get(fullName.toLowerCase())?.secrets.get(name.toUpperCase());
    if (!s) return undefined;
    return sodium.to_string(sodium.crypto_box_seal_open(sodium.from_base64(s.encrypted, sodium.base64_variants.ORIGINAL), this.keys.publicKey, this.keys.privateKey));
  }

  writes(): GitHubRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', this.endpoint).pathname;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const logged: GitHubRequest = { method, path, body, status: 0 };
    this.requests.push(logged);
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      logged.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28', ...headers });
      res.end(json === undefined ? '' : JSON.stringify(json));
    };
    const error = (status: number, message: string, doc = DOCS, headers: Record<string, string> = {}) =>
      send(status, { message, documentation_url: doc, status: String(status) }, headers);

    const own = this.answer?.(method, path);
    if (own) return send(own.status, own.body);
    const token = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const grant = token === undefined ? undefined : this.tokens.get(token);
    if (!grant) return error(401, 'Bad credentials');
    if (req.headers['x-github-api-version'] !== '2022-11-28') return error(400, 'Unsupported API version');

    const p = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (p[0] !== 'repos' || p.length < 3) return error(404, 'Not Found');
    const repo = this.repositories.get(`${p[1]}/${p[2]}`.toLowerCase());
    const sees = repo && (grant.repositories === 'all' || grant.repositories.some((r) => r.toLowerCase() === repo.fullName.toLowerCase()));
    if (!repo || !sees) return error(404, 'Not Found', `${DOCS}/repos/repos#get-a-repository`);
    const now = new Date().toISOString();
    const rest = p.slice(3);

    if (rest.length === 0 && method === 'GET') {
      const [owner, name] = repo.fullName.split('/');
      return send(200, { id: 1296269, node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5', name, full_name: repo.fullName, owner: { login: owner, type: 'Organization' }, private: true, default_branch: repo.defaultBranch, visibility: 'private' });
    }
    if (rest[0] !== 'actions') return error(404, 'Not Found');

    if (rest[1] === 'variables') {
      const doc = `${DOCS}/actions/variables`;
      if (!grant.variables) return error(403, 'Resource not accessible by personal access token', doc, { 'x-accepted-github-permissions': `actions_variables=${method === 'GET' ? 'read' : 'write'}` });
      const b = body as { name?: unknown; value?: unknown } | undefined;
      if (rest.length === 2 && method === 'POST') {
        if (typeof b?.name !== 'string' || typeof b.value !== 'string') return error(422, 'Invalid request.', `${doc}#create-a-repository-variable`);
        const key = b.name.toUpperCase();
        // A name that exists is not created twice (the docs list only 201; this 409 is the emulator's, and setup
        // never meets it: it reads each variable first and PATCHes one that exists).
        if (repo.variables.has(key)) return error(409, 'Already exists - Variable already exists', `${doc}#create-a-repository-variable`);
        repo.variables.set(key, { name: key, value: b.value, created_at: now, updated_at: now });
        return send(201, {});
      }
      if (rest.length === 3) {
        const key = rest[2]!.toUpperCase();
        const v = repo.variables.get(key);
        if (method === 'GET') return v ? send(200, v) : error(404, 'Not Found', `${doc}#get-a-repository-variable`);
        if (method === 'PATCH') {
          if (!v) return error(404, 'Not Found', `${doc}#update-a-repository-variable`);
          if (typeof b?.value === 'string') v.value = b.value;
          v.updated_at = now;
          return send(204);
        }
      }
      return error(404, 'Not Found');
    }

    if (rest[1] === 'secrets') {
      const doc = `${DOCS}/actions/secrets`;
      if (!grant.secrets) return error(403, 'Resource not accessible by personal access token', doc, { 'x-accepted-github-permissions': `secrets=${method === 'GET' ? 'read' : 'write'}` });
      if (rest.length === 3 && rest[2] === 'public-key' && method === 'GET') {
        return send(200, { key_id: this.keyId, key: sodium.to_base64(this.keys.publicKey, sodium.base64_variants.ORIGINAL) });
      }
      if (rest.length === 3) {
        const key = rest[2]!.toUpperCase();
        const s = repo.secrets.get(key);
        if (method === 'GET') return s ? send(200, { name: s.name, created_at: s.created_at, updated_at: s.updated_at }) : error(404, 'Not Found', `${doc}#get-a-repository-secret`);
        if (method === 'PUT') {
          const b = body as { encrypted_value?: unknown; key_id?: unknown } | undefined;
          if (typeof b?.encrypted_value !== 'string' || b.key_id !== this.keyId) return error(422, 'Invalid request.', `${doc}#create-or-update-a-repository-secret`);
          repo.secrets.set(key, { name: key, encrypted: b.encrypted_value, keyId: b.key_id, created_at: s?.created_at ?? now, updated_at: now });
          return send(s ? 204 : 201, s ? undefined : {});
        }
      }
      return error(404, 'Not Found');
    }
    return error(404, 'Not Found');
  }
}
