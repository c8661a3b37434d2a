// The pipeline's Azure identity without Entra rights: a user-assigned managed identity in the app's resource group
// (@azure/arm-msi), exactly the roles it needs (@azure/arm-authorization), and a federated credential that trusts
// the Azure DevOps service connection's issuer and subject. Creating these needs Owner, or Contributor plus User
// Access Administrator, on the resource groups; no Entra directory role (Microsoft's manual configuration of
// workload identity federation with a managed identity).
import { createHash } from 'node:crypto';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { armClientOptions, statusOf, type ArmConnection } from './arm.ts';
import { TOKEN_EXCHANGE_AUDIENCES } from './cloud.ts';

export const IDENTITY_NAME = 'mta-sts-pipeline';
export const FEDERATED_CREDENTIAL = 'azure-devops';
/** The audience Entra expects in the service connection's token in the public cloud (others: cloud.ts). */
export const TOKEN_EXCHANGE_AUDIENCE = TOKEN_EXCHANGE_AUDIENCES.AzureCloud;

/** Built-in role definitions (the same GUIDs in every tenant). */
export const ROLES = {
  // Binding custom domains writes to the static site.
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  // CNAME and TXT record sets in the Azure DNS zones.
  'DNS Zone Contributor': 'befefa01-2a29-4197-83a8-272ff33ce314',
  // A Function App: deploy (AzureFunctionApp@2), host-name bindings, and the managed certificates that live in the
  // app's resource group beside its plan (Microsoft.Web/sites/*, certificates/*, serverFarms/join).
  'Website Contributor': 'de139f84-1756-47ae-9be6-808fbbe84772',
} as const;
export type RoleName = keyof typeof ROLES;

export interface Identity { id: string; clientId: string; principalId: string; tenantId: string }
export interface RoleGrant { role: RoleName; scope: string }

export interface IdentityClients { msi: ManagedServiceIdentityClient; auth: AuthorizationManagementClient }

export function identityClients(c: ArmConnection): IdentityClients {
  const options = armClientOptions(c);
  return {
    msi: new ManagedServiceIdentityClient(c.credential, c.subscription, options),
    auth: new AuthorizationManagementClient(c.credential, c.subscription, options),
  };
}

export async function readIdentity(clients: IdentityClients, resourceGroup: string, name = IDENTITY_NAME): Promise<Identity | undefined> {
  try {
    return toIdentity(await clients.msi.userAssignedIdentities.get(resourceGroup, name));
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
}

export async function createIdentity(clients: IdentityClients, resourceGroup: string, location: string, name = IDENTITY_NAME): Promise<Identity> {
  return toIdentity(await clients.msi.userAssignedIdentities.createOrUpdate(resourceGroup, name, { location, tags: { 'managed-by': 'mta-sts' } }));
}

function toIdentity(i: { id?: string; clientId?: string; principalId?: string; tenantId?: string }): Identity {
  if (!i.id || !i.clientId || !i.principalId || !i.tenantId) throw new Error('Azure returned a managed identity without its ids');
  return { id: i.id, clientId: i.clientId, principalId: i.principalId, tenantId: i.tenantId };
}

const roleDefinitionId = (subscription: string, role: RoleName) => `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${ROLES[role]}`;

/** A role assignment's name derived from what it grants, so a re-run PUTs the same one instead of a duplicate. */
export function roleAssignmentName(scope: string, role: RoleName, principalId: string): string {
  const h = createHash('sha256').update(`${scope.toLowerCase()}|${ROLES[role]}|${principalId.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${(8 + (parseInt(h[16]!, 16) & 3)).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The grants of `wanted` the principal does not hold yet (read per scope, filtered to the principal). */
export async function missingGrants(clients: IdentityClients, principalId: string, wanted: RoleGrant[]): Promise<RoleGrant[]> {
  const missing: RoleGrant[] = [];
  for (const grant of wanted) {
    let held = false;
    for await (const a of clients.auth.roleAssignments.listForScope(grant.scope, { filter: `principalId eq '${principalId}'` })) {
      if (a.roleDefinitionId?.toLowerCase().endsWith(`/${ROLES[grant.role]}`)) held = true;
    }
    if (!held) missing.push(grant);
  }
  return missing;
}

export async function grant(clients: IdentityClients, subscription: string, principalId: string, g: RoleGrant): Promise<void> {
  try {
    await clients.auth.roleAssignments.create(g.scope, roleAssignmentName(g.scope, g.role, principalId), {
      roleDefinitionId: roleDefinitionId(subscription, g.role), principalId, principalType: 'ServicePrincipal',
      description: 'mta-sts pipeline (set by mta-sts azure setup)',
    });
  } catch (e) {
    // The same grant under another name is as good (RoleAssignmentExists).
    if (statusOf(e) === 409 && /RoleAssignmentExists/i.test(String((e as { code?: string }).code))) return;
    throw e;
  }
}

/** The az command someone with the right runs for a grant setup could not make. */
export const grantCommand = (principalId: string, g: RoleGrant) =>
  `az role assignment create --assignee-object-id ${principalId} --assignee-principal-type ServicePrincipal --role "${g.role}" --scope ${g.scope}`;

/** One trust of the identity: tokens from `issuer` about `subject`, for `audience` (Entra matches all three exactly). */
export interface FederatedCredential { name: string; issuer: string; subject: string; audience: string }

/** The identity trusts tokens the service connection presents: its issuer and subject, the cloud's token-exchange audience. */
export async function federate(clients: IdentityClients, resourceGroup: string, issuer: string, subject: string, audience = TOKEN_EXCHANGE_AUDIENCE, name = IDENTITY_NAME): Promise<void> {
  await federateAs(clients, resourceGroup, { name: FEDERATED_CREDENTIAL, issuer, subject, audience }, name);
}

/** Whether the identity already trusts exactly this issuer and subject, for this audience. */
export async function isFederated(clients: IdentityClients, resourceGroup: string, issuer: string, subject: string, audience = TOKEN_EXCHANGE_AUDIENCE, name = IDENTITY_NAME): Promise<boolean> {
  return isFederatedAs(clients, resourceGroup, { name: FEDERATED_CREDENTIAL, issuer, subject, audience }, name);
}

/** Creates or replaces the federated credential `c.name` of the identity (PUT …/federatedIdentityCredentials/{name}). */
export async function federateAs(clients: IdentityClients, resourceGroup: string, c: FederatedCredential, identity = IDENTITY_NAME): Promise<void> {
  await clients.msi.federatedIdentityCredentials.createOrUpdate(resourceGroup, identity, c.name, { issuer: c.issuer, subject: c.subject, audiences: [c.audience] });
}

/** Whether the identity's federated credential `c.name` trusts exactly this issuer and subject, for this audience. */
export async function isFederatedAs(clients: IdentityClients, resourceGroup: string, c: FederatedCredential, identity = IDENTITY_NAME): Promise<boolean> {
  try {
    const f = await clients.msi.federatedIdentityCredentials.get(resourceGroup, identity, c.name);
    return f.issuer === c.issuer && f.subject === c.subject && (f.audiences ?? []).includes(c.audience);
  } catch (e) {
    if (statusOf(e) === 404) return false;
    throw e;
  }
}

/** GitHub Actions' OIDC issuer (GitHub's "About security hardening with OpenID Connect"). */
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const GITHUB_FEDERATED_CREDENTIAL = 'github-actions';
/** The branch the workflow deploys from (.github/workflows/deploy.yml: on push to main, and the daily run on it). */
export const GITHUB_BRANCH = 'main';

/**
 * The credential for the workflow's jobs on main: GitHub's `sub` claim of a job without an environment is
 * repo:OWNER/REPO:ref:refs/heads/BRANCH (pushes and schedules alike), so only runs of main can sign in, never a
 * pull request's (repo:OWNER/REPO:pull_request). No environment subject: environments need a paid plan for private
 * repositories. Entra compares the subject case-sensitively: OWNER/REPO as GitHub spells it.
 */
export const githubCredential = (repository: string, audience = TOKEN_EXCHANGE_AUDIENCE): FederatedCredential => ({
  name: GITHUB_FEDERATED_CREDENTIAL, issuer: GITHUB_ISSUER, subject: `repo:${repository}:ref:refs/heads/${GITHUB_BRANCH}`, audience,
});

/** The az command that creates a federated credential, for someone with the rights (and for the printed plan). */
export const federateCommand = (resourceGroup: string, c: FederatedCredential, identity = IDENTITY_NAME) =>
  `az identity federated-credential create --name ${c.name} --identity-name ${identity} -g ${resourceGroup} --issuer "${c.issuer}" --subject "${c.subject}" --audiences ${c.audience}`;
