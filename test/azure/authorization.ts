// Azure RBAC as ARM applies it to every request, for the loopback ARM emulators: each bearer token names a
// principal; role assignments (principal, role, scope) hold; a request's action comes from its method and resource
// type (`<type>/read`, `/write`, `/delete`, or `<type>/<name>/action` for a POST such as listSecrets); it is allowed
// when a role assigned at the request's scope or any scope above it has the action in its Actions and not in its
// NotActions (wildcards, case-insensitive). Otherwise 403 AuthorizationFailed with Azure's own text
// (/work/shared/reference/azure-arm.md "Who may do what"; the body users receive, e.g.
// hashicorp/terraform-provider-azurerm#28451 for Microsoft.Web/locations/operationResults/read).
//
// The built-in roles' Actions and NotActions as Microsoft publishes them (MicrosoftDocs/azure-docs,
// articles/role-based-access-control/built-in-roles/: privileged.md for Owner, Contributor and User Access
// Administrator, networking.md for DNS Zone Contributor, web-and-mobile.md for Website Contributor, general.md for
// Reader). The GUIDs are the same in every tenant.
import { randomUUID } from 'node:crypto';

export interface RoleDefinition { id: string; actions: string[]; notActions: string[] }

export const BUILT_IN_ROLES = {
  Owner: { id: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', actions: ['*'], notActions: [] },
  Contributor: {
    id: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    actions: ['*'],
    notActions: [
      'Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/*/Write', 'Microsoft.Authorization/elevateAccess/Action',
      'Microsoft.Blueprint/blueprintAssignments/write', 'Microsoft.Blueprint/blueprintAssignments/delete',
      'Microsoft.Compute/galleries/share/action', 'Microsoft.Purview/consents/write', 'Microsoft.Purview/consents/delete',
      'Microsoft.Resources/deploymentStacks/manageDenySetting/action', 'Microsoft.Subscription/cancel/action', 'Microsoft.Subscription/enable/action',
    ],
  },
  Reader: { id: 'acdd72a7-3385-48ef-bd42-f606fba81ae7', actions: ['*/read'], notActions: [] },
  'User Access Administrator': { id: '18d7d88d-d35e-4fb5-a5c3-7773c6a72d9c', actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'], notActions: [] },
  'DNS Zone Contributor': {
    id: 'befefa01-2a29-4197-83a8-272ff33ce314',
    actions: [
      'Microsoft.Authorization/*/read', 'Microsoft.Insights/alertRules/*', 'Microsoft.Network/dnsZones/*',
      'Microsoft.ResourceHealth/availabilityStatuses/read', 'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read', 'Microsoft.Support/*',
    ],
    notActions: [],
  },
  'Website Contributor': {
    id: 'de139f84-1756-47ae-9be6-808fbbe84772',
    actions: [
      'Microsoft.Authorization/*/read', 'Microsoft.Insights/alertRules/*', 'Microsoft.Insights/components/*',
      'Microsoft.ResourceHealth/availabilityStatuses/read', 'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read', 'Microsoft.Support/*', 'Microsoft.Web/certificates/*',
      'Microsoft.Web/listSitesAssignedToHostName/read', 'Microsoft.Web/serverFarms/join/action', 'Microsoft.Web/serverFarms/read',
      'Microsoft.Web/sites/*',
    ],
    notActions: [],
  },
} as const satisfies Record<string, RoleDefinition>;
export type BuiltInRole = keyof typeof BUILT_IN_ROLES;

export interface Principal {
  objectId: string;
  /** How Azure names the caller in its refusal: a user's UPN, a managed identity's client id. */
  client: string;
}

export interface Assignment { principalId: string; roleId: string; scope: string }

/** The action and scope ARM authorizes a request as. */
export interface Access { action: string; scope: string }

const VERBS: Record<string, string> = { GET: 'read', HEAD: 'read', PUT: 'write', PATCH: 'write', DELETE: 'delete' };

/** The action of `method` on `path` (decoded, without query), and the scope it is checked at (the path itself). */
export function accessOf(method: string, path: string): Access {
  const segs = path.split('/').filter(Boolean);
  const scope = `/${segs.join('/')}`;
  const at = segs.map((s) => s.toLowerCase()).lastIndexOf('providers');
  let types: string[];
  let actionName: string | undefined;
  if (at >= 0 && at + 1 < segs.length) {
    const rest = segs.slice(at + 2);
    types = [segs[at + 1]!, ...rest.filter((_, i) => i % 2 === 0)];
    // An odd tail is a collection (GET: list) or, for a POST, the name of an action on the resource before it.
    if (rest.length % 2 === 1 && method === 'POST') actionName = types.pop();
  } else {
    // Microsoft.Resources: /subscriptions/{id}[/resourceGroups/{name}]
    types = ['Microsoft.Resources', ...segs.filter((_, i) => i % 2 === 0)];
  }
  const action = actionName ? `${types.join('/')}/${actionName}/action` : `${types.join('/')}/${VERBS[method] ?? 'action'}`;
  return { action, scope };
}

/** An Actions/NotActions pattern against an action: `*` is any text, case does not matter. */
export function matches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(action);
}

/** `outer` is `inner` or one of the scopes above it. */
export const covers = (outer: string, inner: string) => {
  const o = outer.toLowerCase().replace(/\/+$/, '');
  const i = inner.toLowerCase();
  return o === '' || i === o || i.startsWith(`${o}/`);
};

export class Authorization {
  /** Bearer token → principal. */
  readonly principals = new Map<string, Principal>();
  readonly assignments: Assignment[] = [];
  /** Every refusal, for tests to name. */
  readonly refusals: (Access & { principal: string })[] = [];

  /** A principal that signs in with `token`; its roles are given with assign(). */
  addPrincipal(token: string, principal: Partial<Principal> & { client: string }): Principal {
    const p = { objectId: principal.objectId ?? randomUUID(), client: principal.client };
    this.principals.set(token, p);
    return p;
  }

  assign(principalId: string, role: BuiltInRole | string, scope: string): void {
    const roleId = role in BUILT_IN_ROLES ? BUILT_IN_ROLES[role as BuiltInRole].id : role.split('/').pop()!;
    this.assignments.push({ principalId, roleId, scope });
  }

  /** The roles (by name) a principal holds at exactly `scope`. */
  rolesAt(principalId: string, scope: string): string[] {
    return this.assignments.filter((a) => a.principalId === principalId && a.scope.toLowerCase() === scope.toLowerCase()).map((a) => roleName(a.roleId));
  }

  allowed(principalId: string, access: Access): boolean {
    return this.assignments.some((a) => {
      if (a.principalId !== principalId || !covers(a.scope, access.scope)) return false;
      const role = Object.values(BUILT_IN_ROLES).find((r) => r.id === a.roleId);
      if (!role) return false;
      return role.actions.some((p) => matches(p, access.action)) && !role.notActions.some((p) => matches(p, access.action));
    });
  }

  /**
   * Undefined when the token's principal may do it; else Azure's answer: 401 for a token nobody issued, 403
   * AuthorizationFailed in ARM's shape and words.
   */
  check(authorization: string | undefined, method: string, path: string): { status: number; body: unknown } | undefined {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    const principal = token === undefined ? undefined : this.principals.get(token);
    if (!principal) return { status: 401, body: { error: { code: 'AuthenticationFailed', message: 'Authentication failed. The Authorization header is missing or invalid.' } } };
    const access = accessOf(method, path);
    if (this.allowed(principal.objectId, access)) return undefined;
    this.refusals.push({ ...access, principal: principal.objectId });
    return { status: 403, body: authorizationFailed(principal, access) };
  }
}

export const roleName = (roleId: string) => Object.entries(BUILT_IN_ROLES).find(([, r]) => r.id === roleId)?.[0] ?? roleId;

/** ARM's refusal, word for word as users receive it. */
export function authorizationFailed(principal: Principal, access: Access): unknown {
  return {
    error: {
      code: 'AuthorizationFailed',
      message: `The client '${principal.client}' with object id '${principal.objectId}' does not have authorization to perform action '${access.action}' over scope '${access.scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    },
  };
}
