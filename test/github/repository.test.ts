// The GitHub client (src/github/repository.ts) against the loopback GitHub REST emulator: variables created then
// updated, a secret sealed to the repository's key that only the key's holder opens, and GitHub's refusals read
// into what to do.
import sodium from 'libsodium-wrappers';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubError, GitHubRepository, apiUrlError, tokenFrom } from '../../src/github/repository.ts';
import { sealForGitHub } from '../../src/github/sealed-box.ts';
import { TestCA } from '../check/servers.ts';
import { GitHubEmulator } from './github-emulator.ts';

let ca: TestCA;
let gh: GitHubEmulator;
let agent: Agent;
/** A fetch that trusts the test CA (the product's is Node's, which reads NODE_EXTRA_CA_CERTS). */
const testFetch = ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
const connect = (fullName: string, token = 'ghp_full') => new GitHubRepository(fullName, { token, baseUrl: gh.endpoint, fetch: testFetch });

beforeAll(async () => {
  ca = await TestCA.create();
  agent = new Agent({ connect: { ca: ca.certPem } });
  gh = new GitHubEmulator();
  await gh.start(ca);
});
afterAll(async () => {
  await gh.close();
  await agent.close();
});
beforeEach(() => {
  gh.answer = undefined;
  gh.repositories.clear();
  gh.tokens.clear();
  gh.requests.length = 0;
  gh.addRepository('Contoso/mta-sts');
  gh.tokens.set('ghp_full', { repositories: 'all', variables: true, secrets: true });
});

describe('GitHubRepository', () => {
  it('reads the repository as GitHub spells it, whatever case the admin typed', async () => {
    expect(await connect('contoso/MTA-STS').read()).toEqual({ fullName: 'Contoso/mta-sts', defaultBranch: 'main' });
  });

  it('creates a variable (POST), reads it, updates it (PATCH)', async () => {
    const repo = connect('Contoso/mta-sts');
    expect(await repo.variable('AZURE_CLIENT_ID')).toBeUndefined();
    await repo.setVariable('AZURE_CLIENT_ID', 'one', false);
    expect(await repo.variable('AZURE_CLIENT_ID')).toBe('one');
    await repo.setVariable('AZURE_CLIENT_ID', 'two', true);
    expect(await repo.variable('AZURE_CLIENT_ID')).toBe('two');
    expect(gh.writes().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /repos/Contoso/mta-sts/actions/variables 201',
      'PATCH /repos/Contoso/mta-sts/actions/variables/AZURE_CLIENT_ID 204',
    ]);
  });

  it('seals a secret to the repository\'s public key: GitHub (holding the private key) opens it; the value never travels in clear', async () => {
    const repo = connect('Contoso/mta-sts');
    const value = 'swa-deployment-token-0123456789abcdef';
    expect(await repo.secretExists('AZURE_STATIC_WEB_APPS_API_TOKEN')).toBe(false);
    await repo.setSecret('AZURE_STATIC_WEB_APPS_API_TOKEN', value);
    expect(gh.openSecret('Contoso/mta-sts', 'AZURE_STATIC_WEB_APPS_API_TOKEN')).toBe(value);
    expect(await repo.secretExists('AZURE_STATIC_WEB_APPS_API_TOKEN')).toBe(true);
    await repo.setSecret('AZURE_STATIC_WEB_APPS_API_TOKEN', `${value}-2`);
    expect(gh.openSecret('Contoso/mta-sts', 'AZURE_STATIC_WEB_APPS_API_TOKEN')).toBe(`${value}-2`);
    const puts = gh.writes().filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.status)).toEqual([201, 204]);
    for (const r of puts) {
      expect(JSON.stringify(r.body)).not.toContain(value);
      expect(r.body).toMatchObject({ key_id: gh.keyId });
    }
  });

  it('a sealed box opens only with the key it was sealed to, and differs each time (ephemeral sender key)', async () => {
    await sodium.ready;
    const mine = sodium.crypto_box_keypair();
    const other = sodium.crypto_box_keypair();
    const b64 = (k: Uint8Array) => sodium.to_base64(k, sodium.base64_variants.ORIGINAL);
    const a = await sealForGitHub(b64(mine.publicKey), 'secret');
    expect(a).not.toBe(await sealForGitHub(b64(mine.publicKey), 'secret'));
    const box = sodium.from_base64(a, sodium.base64_variants.ORIGINAL);
    expect(sodium.to_string(sodium.crypto_box_seal_open(box, mine.publicKey, mine.privateKey))).toBe('secret');
    expect(() => sodium.crypto_box_seal_open(box, other.publicKey, other.privateKey)).toThrow();
    await expect(sealForGitHub('not base64!', 'x')).rejects.toThrow(/not base64/);
    await expect(sealForGitHub(b64(new Uint8Array(16)), 'x')).rejects.toThrow(/16 bytes, not 32/);
  });

  it('401: the token is wrong or expired', async () => {
    const e = await connect('Contoso/mta-sts', 'ghp_wrong').read().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GitHubError);
    expect((e as GitHubError).status).toBe(401);
    expect((e as Error).message).toBe('reading repository Contoso/mta-sts: GitHub answered HTTP 401: Bad credentials; the token is wrong or expired: make a new one and set GH_TOKEN again (docs/github-actions.md: "Rights needed")');
  });

  it('404: a repository the token was not granted looks like none (GitHub tells them not apart)', async () => {
    gh.tokens.set('ghp_other', { repositories: ['Contoso/other'], variables: true, secrets: true });
    const e = (await connect('Contoso/mta-sts', 'ghp_other').read().catch((x: unknown) => x)) as GitHubError;
    expect(e.status).toBe(404);
    expect(e.message).toContain('GitHub answered HTTP 404: Not Found; Contoso/mta-sts does not exist, or the token cannot see it');
  });

  it('403: a fine-grained token without Variables or Secrets says which permission the call needs', async () => {
    gh.tokens.set('ghp_read', { repositories: 'all', variables: false, secrets: false });
    const repo = connect('Contoso/mta-sts', 'ghp_read');
    const v = (await repo.setVariable('AZURE_CLIENT_ID', 'x', false).catch((x: unknown) => x)) as GitHubError;
    expect(v.status).toBe(403);
    expect(v.message).toContain('creating variable AZURE_CLIENT_ID: GitHub answered HTTP 403: Resource not accessible by personal access token; the token may not do this on Contoso/mta-sts (GitHub says the call needs actions_variables=write)');
    const s = (await repo.setSecret('X', 'y').catch((x: unknown) => x)) as GitHubError;
    expect(s.message).toContain('(GitHub says the call needs secrets=read)');
    expect(gh.repositories.get('contoso/mta-sts')!.variables.size).toBe(0);
  });

  it('GitHub\'s text cannot steer the terminal or the CI log: controls are escaped, the answer is cut short', async () => {
    gh.answer = () => ({ status: 500, body: { message: `\u001b]0;pwned\u0007\r\n::error::injected\u202e${'x'.repeat(1000)}` } });
    const e = (await connect('Contoso/mta-sts').read().catch((x: unknown) => x)) as GitHubError;
    expect(e.status).toBe(500);
    expect(e.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(e.message).toContain('GitHub answered HTTP 500: \\x1b]0;pwned\\x07\\x0d\\x0a::error::injected\\u{202e}xxx');
    expect(e.message.length).toBeLessThan(450);
    // And a public key that is not one is refused before anything is sealed to it.
    gh.answer = (_method, path) => (path.endsWith('/public-key') ? { status: 200, body: { key_id: '1', key: 'AAAA' } } : undefined);
    await expect(connect('Contoso/mta-sts').setSecret('X', 'y')).rejects.toThrow(/public key of 3 bytes, not 32/);
    expect(gh.writes()).toEqual([]);
  });

  it('an unreachable API is said as such, never a stack trace', async () => {
    const repo = new GitHubRepository('Contoso/mta-sts', { token: 'ghp_full', baseUrl: 'https://127.0.0.1:1', fetch: testFetch });
    const e = (await repo.read().catch((x: unknown) => x)) as GitHubError;
    expect(e.status).toBeUndefined();
    expect(e.message).toMatch(/^reading repository Contoso\/mta-sts: could not reach GitHub's API: /);
  });

  it('takes the token as gh does (GH_TOKEN, then GITHUB_TOKEN) and only an https API URL', () => {
    expect(tokenFrom({ GH_TOKEN: ' a ', GITHUB_TOKEN: 'b' })).toBe('a');
    expect(tokenFrom({ GH_TOKEN: '', GITHUB_TOKEN: 'b' })).toBe('b');
    expect(tokenFrom({})).toBeUndefined();
    expect(apiUrlError('https://github.example.com/api/v3')).toBeUndefined();
    expect(apiUrlError('http://api.github.com')).toMatch(/https/);
    expect(apiUrlError('https://user:pw@api.github.com')).toMatch(/no credentials/);
    expect(apiUrlError('nope')).toMatch(/must be a URL/);
  });
});
