// `mta-sts azure setup --github OWNER/REPO` (the GitHub Actions route) from a fresh clone, on the setup world's ARM
// emulator (setup-world.ts: Azure's role checks on every request) and a loopback GitHub REST emulator
// (test/github/github-emulator.ts): the managed identity's federated credential for GitHub's OIDC issuer, its
// roles and their scopes, the repository's variables, and a secret that opens (with the emulator's private key) to
// the app's deployment token; a second run writes nothing; without a token, the exact gh commands.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SUBSCRIPTION } from './arm-emulator.ts';
import { TENANT_ID } from './arm-setup-handlers.ts';
import { useSetupWorld, useFunctionApp, adminHolds, arm, bindAsIdentity, ca, setupArm, devops, dir, env, repo, setup, setupProcess, armWrites, filesUnder } from './setup-world.ts';
import { GitHubEmulator } from '../github/github-emulator.ts';

useSetupWorld();

let gh: GitHubEmulator;
let agent: Agent;
const githubFetch = ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
const GH_TOKEN = 'github_pat_emulated_0123456789';
const REPO = 'Contoso/mta-sts';
const SUBJECT = `repo:${REPO}:ref:refs/heads/main`;
/** setup --github REPO --yes, with GH_TOKEN set to `token` (null: no token at all). */
const run = (args: string[], token: string | null = GH_TOKEN) => {
  if (token === null) delete env.GH_TOKEN;
  else env.GH_TOKEN = token;
  return setup(['--github', REPO, '--yes', ...args], { deps: { githubFetch } });
};

beforeAll(async () => {
  gh = new GitHubEmulator();
  await gh.start(ca);
  agent = new Agent({ connect: { ca: ca.certPem } });
});
afterAll(async () => {
  await gh.close();
  await agent.close();
});
beforeEach(() => {
  gh.repositories.clear();
  gh.tokens.clear();
  gh.requests.length = 0;
  gh.addRepository(REPO);
  gh.tokens.set(GH_TOKEN, { repositories: [REPO], variables: true, secrets: true });
  env.GITHUB_API_URL = gh.endpoint;
});

const ROLE = { Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c', 'DNS Zone Contributor': 'befefa01-2a29-4197-83a8-272ff33ce314', 'Website Contributor': 'de139f84-1756-47ae-9be6-808fbbe84772' };
const granted = () => [...setupArm.roleAssignments].flatMap(([scope, m]) => [...m.values()].map((a) => [scope, a.roleDefinitionId.split('/').at(-1), a.principalId]));
const variables = () => Object.fromEntries([...gh.repositories.get(REPO.toLowerCase())!.variables].map(([k, v]) => [k, v.value]));

describe('mta-sts azure setup --github', () => {
  it('gives the workflow an identity trusted for runs of main, the narrow roles, the variables and the sealed token; a second run changes nothing', async () => {
    // The admin types the repository in another case: the subject takes GitHub's spelling (Entra compares it exactly).
    env.GH_TOKEN = GH_TOKEN;
    const first = await setup(['--github', 'contoso/MTA-STS', '--yes'], { deps: { githubFetch } });
    expect(first.err).not.toMatch(/^\s+at /m);
    expect(first.code, first.out + first.err).toBe(0);
    expect(first.out).toContain('GitHub spells the repository Contoso/mta-sts; using that');

    // The identity: a user-assigned managed identity (no Entra app, no secret), trusting exactly GitHub's tokens for main.
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    expect(identity).toBeDefined();
    expect([...identity.federated.keys()]).toEqual(['github-actions']);
    expect(identity.federated.get('github-actions')).toEqual({
      issuer: 'https://token.actions.githubusercontent.com', subject: SUBJECT, audiences: ['api://AzureADTokenExchange'],
    });
    // The same narrow roles as the Azure DevOps route: write on the one Static Web App, DNS records in the zones' group.
    expect(granted().sort()).toEqual([
      [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-dns`, ROLE['DNS Zone Contributor'], identity.principalId],
      [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-dns/providers/microsoft.web/staticsites/mta-sts-contoso-com`, ROLE.Contributor, identity.principalId],
    ]);
    // What the workflow reads: azure/login's three ids, and the token secret, sealed to the repository's key.
    const token = setupArm.tokens.get('rg-dns/mta-sts-contoso-com')!;
    expect(variables()).toEqual({
      AZURE_CLIENT_ID: identity.clientId, AZURE_TENANT_ID: TENANT_ID, AZURE_SUBSCRIPTION_ID: SUBSCRIPTION,
      MTA_STS_TOKEN_FINGERPRINT: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(gh.openSecret(REPO, 'AZURE_STATIC_WEB_APPS_API_TOKEN')).toBe(token);
    // Azure DevOps is not touched; the token is never printed nor written to a file, nor sent unsealed.
    expect(devops.writes()).toEqual([]);
    expect(first.out + first.err).not.toContain(token);
    expect(JSON.stringify(gh.requests)).not.toContain(token);
    for (const file of filesUnder(dir).filter((f) => !f.includes('/.git/objects'))) expect(readFileSync(file, 'latin1').includes(token), file).toBe(false);
    expect(first.out).toMatch(/Let mta-sts-pipeline trust GitHub Actions runs of main in Contoso\/mta-sts .*: done/);
    expect(first.out).toMatch(/Set the Actions variables AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID of Contoso\/mta-sts .*: done/);
    expect(first.out).toMatch(/Later changes: edit mta-sts.config.yaml, commit and push; the workflow deploys home\//);
    expect(first.out).not.toContain('Azure DevOps was not set up');

    const armBefore = armWrites().length;
    const ghBefore = gh.writes().length;
    const second = await run([]);
    expect(second.code, second.out + second.err).toBe(0);
    expect(second.out).toContain('Nothing to change');
    expect(armWrites().length).toBe(armBefore);
    expect(gh.writes().length).toBe(ghBefore);

    // A reset deployment token (az staticwebapp secrets reset-api-key): the next run seals the new one, and only that.
    setupArm.tokens.set('rg-dns/mta-sts-contoso-com', `${token}-reset`);
    const third = await run([]);
    expect(third.code, third.out + third.err).toBe(0);
    expect(third.out).toMatch(/Plan \(1 change\):\n {3}1\. Update the Actions secret AZURE_STATIC_WEB_APPS_API_TOKEN of Contoso\/mta-sts/);
    expect(gh.openSecret(REPO, 'AZURE_STATIC_WEB_APPS_API_TOKEN')).toBe(`${token}-reset`);
    expect(armWrites().length).toBe(armBefore);
  });

  it('without a token: makes the identity and its trust, and prints the exact gh commands (never the token)', async () => {
    delete env.GITHUB_TOKEN;
    const r = await run([], null);
    expect(r.code, r.out + r.err).toBe(0);
    expect(gh.requests).toEqual([]);
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    expect(identity.federated.get('github-actions')?.subject).toBe(SUBJECT);
    const tail = r.out.slice(r.out.indexOf('GitHub: no GH_TOKEN'));
    expect(tail.split('\n').slice(0, 7).join('\n')).toBe([
      'GitHub: no GH_TOKEN or GITHUB_TOKEN was set, so set the repository\'s variables and secret with the GitHub CLI (after gh auth login), or run this command again with GH_TOKEN set (docs/github-actions.md: "Setting the variables by hand"):',
      `  gh variable set AZURE_CLIENT_ID --repo ${REPO} --body ${identity.clientId}`,
      `  gh variable set AZURE_TENANT_ID --repo ${REPO} --body ${TENANT_ID}`,
      `  gh variable set AZURE_SUBSCRIPTION_ID --repo ${REPO} --body ${SUBSCRIPTION}`,
      `  az staticwebapp secrets list -n mta-sts-contoso-com -g rg-dns --query properties.apiKey -o tsv | gh secret set AZURE_STATIC_WEB_APPS_API_TOKEN --repo ${REPO}`,
      '  (the deployment token goes from az to gh through the pipe: it is never shown)',
      'Later changes: edit mta-sts.config.yaml, commit and push; the workflow deploys home/, binds new domains and publishes the TXT records once the new policy is live.',
    ].join('\n'));
    expect(r.out + r.err).not.toContain(setupArm.tokens.get('rg-dns/mta-sts-contoso-com')!);
    // A second run without a token writes nothing to Azure and prints the same commands.
    const before = armWrites().length;
    const again = await run([], null);
    expect(again.out).toContain('Nothing to change');
    expect(armWrites().length).toBe(before);
    expect(again.out).toContain(`gh variable set AZURE_CLIENT_ID --repo ${REPO} --body ${identity.clientId}`);
  });

  it('a token without the Variables and Secrets permissions: nothing is changed, the message names the permission, and a re-run with a good token finishes', async () => {
    gh.tokens.set('ghp_readonly', { repositories: [REPO], variables: false, secrets: false });
    const first = await run([], 'ghp_readonly');
    expect(first.code).toBe(1);
    // Reading the variables needs the permission too: nothing was changed, and the message says which.
    expect(first.err).toContain('cannot read GitHub repository Contoso/mta-sts: reading variable AZURE_CLIENT_ID: GitHub answered HTTP 403: Resource not accessible by personal access token');
    expect(first.err).toContain('(GitHub says the call needs actions_variables=read)');
    expect(first.err).toContain('(docs/github-actions.md: "Rights needed")');
    expect(first.err).toContain('Nothing was changed');
    expect(armWrites()).toEqual([]);
    const second = await run([]);
    expect(second.code, second.out + second.err).toBe(0);
    expect(gh.openSecret(REPO, 'AZURE_STATIC_WEB_APPS_API_TOKEN')).toBe(setupArm.tokens.get('rg-dns/mta-sts-contoso-com'));
  });

  it('a repository the token cannot see: says so before changing anything', async () => {
    gh.tokens.set('ghp_elsewhere', { repositories: ['Contoso/other'], variables: true, secrets: true });
    const r = await run([], 'ghp_elsewhere');
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read GitHub repository Contoso/mta-sts: reading repository Contoso/mta-sts: GitHub answered HTTP 404: Not Found; Contoso/mta-sts does not exist, or the token cannot see it');
    expect(armWrites()).toEqual([]);
  });

  it('a Function App deploys through azure/login: the variables and Website Contributor on its group, no token secret', async () => {
    useFunctionApp();
    const file = join(repo, 'mta-sts.config.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  kind: static-web-app\n', '  kind: function-app\n'));
    const r = await run([]);
    expect(r.code, r.out + r.err).toBe(0);
    const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
    expect(granted().sort()).toEqual([
      [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-dns`, ROLE['DNS Zone Contributor'], identity.principalId],
      [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-dns`, ROLE['Website Contributor'], identity.principalId],
    ]);
    expect(variables()).toEqual({ AZURE_CLIENT_ID: identity.clientId, AZURE_TENANT_ID: TENANT_ID, AZURE_SUBSCRIPTION_ID: SUBSCRIPTION });
    expect(gh.repositories.get(REPO.toLowerCase())!.secrets.size).toBe(0);
    expect(r.out).not.toContain('AZURE_STATIC_WEB_APPS_API_TOKEN');
    expect(r.out).toMatch(/Later changes: edit mta-sts.config.yaml, commit and push; the workflow deploys functions\//);
  });

  it('an admin who owns only the resource group sets it all up, and the workflow\'s identity may then bind with the roles it got', async () => {
    const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-dns`;
    adminHolds(['Owner', RG]);
    const r = await setup(['--github', REPO, '--resource-group', 'rg-dns', '--dns-resource-group', 'rg-dns', '--yes'], { deps: { githubFetch, sleep: async () => {} } });
    expect(r.code, r.out + r.err).toBe(0);
    expect(arm.authz.refusals).toEqual([]);
    // The Domains and Verify jobs sign in as the identity: azure bind with its two roles, refused nothing.
    arm.sites.get('rg-dns/mta-sts-contoso-com')!.customDomains.delete('mta-sts.contoso.com');
    const bind = await bindAsIdentity();
    expect(bind.code, bind.out + bind.err).toBe(0);
    expect(bind.out).toContain('contoso.com: bound mta-sts.contoso.com to mta-sts-contoso-com (status Ready)');
    expect(arm.authz.refusals).toEqual([]);
  });

  it('a repository whose default branch is not main: warns that the workflow deploys from main, and trusts main only', async () => {
    gh.addRepository(REPO, 'master');
    const r = await run([]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.err).toContain('Contoso/mta-sts\'s default branch is master, but .github/workflows/deploy.yml deploys from main: push to main, or rename the branch (docs/github-actions.md: "Troubleshooting")');
    expect(setupArm.identities.get('rg-dns/mta-sts-pipeline')!.federated.get('github-actions')?.subject).toBe(SUBJECT);
  });

  it('refuses what cannot work, before calling anything', async () => {
    for (const [args, message] of [
      [['--github', 'contoso'], '--github must be the repository as OWNER/REPO, like contoso/mta-sts (got "contoso")'],
      [['--github', 'a/b', '--devops-org', 'https://dev.azure.com/contoso', '--devops-project', 'mail'], '--github and --devops-org choose the route'],
      [['--github', 'a/b', '--cloud', 'AzureUSGovernment'], '--github sets up the workflow for the public Azure cloud (AzureCloud)'],
    ] as const) {
      const r = await setup([...args, '--yes'], { deps: { githubFetch } });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(message);
    }
    env.GITHUB_API_URL = 'http://127.0.0.1:1';
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('GITHUB_API_URL must be an https:// URL');
    expect(arm.requests).toEqual([]);
    expect(gh.requests).toEqual([]);
  });

  it('as a child process, exactly as an admin runs it: GH_TOKEN and Node\'s own fetch (NODE_EXTRA_CA_CERTS)', { timeout: 120_000 }, async () => {
    env.GH_TOKEN = GH_TOKEN;
    const r = await setupProcess(['--github', REPO, '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(variables().AZURE_CLIENT_ID).toBe(setupArm.identities.get('rg-dns/mta-sts-pipeline')!.clientId);
    expect(gh.openSecret(REPO, 'AZURE_STATIC_WEB_APPS_API_TOKEN')).toBe(setupArm.tokens.get('rg-dns/mta-sts-contoso-com'));
  });
});
