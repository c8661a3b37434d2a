// The emulators' RBAC model (authorization.ts): actions as ARM names them, built-in roles as published, scope
// inheritance, and the 403 body Azure sends.
import { describe, expect, it } from 'vitest';
import { accessOf, Authorization } from './authorization.ts';

const SUB = '/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345';
const SITE = `${SUB}/resourceGroups/rg-web/providers/Microsoft.Web/staticSites/mta-sts-app`;

describe('the action of a request', () => {
  it.each([
    ['PUT', `${SITE}/customDomains/mta-sts.contoso.com`, 'Microsoft.Web/staticSites/customDomains/write'],
    ['GET', `${SITE}/customDomains`, 'Microsoft.Web/staticSites/customDomains/read'],
    ['POST', `${SITE}/listSecrets`, 'Microsoft.Web/staticSites/listSecrets/action'],
    ['GET', `${SUB}/providers/Microsoft.Web/locations/westus2/operationResults/0f1e`, 'Microsoft.Web/locations/operationResults/read'],
    ['PUT', `${SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/contoso.com/TXT/_mta-sts`, 'Microsoft.Network/dnsZones/TXT/write'],
    ['GET', `${SUB}/providers/Microsoft.Network/dnszones`, 'Microsoft.Network/dnszones/read'],
    ['PUT', `${SITE}/providers/Microsoft.Authorization/roleAssignments/1a2b`, 'Microsoft.Authorization/roleAssignments/write'],
    ['PUT', `${SUB}/resourcegroups/rg-web`, 'Microsoft.Resources/subscriptions/resourcegroups/write'],
    ['POST', `${SUB}/providers/Microsoft.Web/register`, 'Microsoft.Web/register/action'],
    ['DELETE', `${SUB}/resourceGroups/rg/providers/Microsoft.Web/certificates/mta-sts.contoso.com`, 'Microsoft.Web/certificates/delete'],
  ])('%s %s is %s', (method, path, action) => {
    expect(accessOf(method, path)).toEqual({ action, scope: path });
  });
});

describe('role assignments', () => {
  const world = () => {
    const a = new Authorization();
    const p = a.addPrincipal('t', { client: '00000000-aaaa-bbbb-cccc-000000000001' });
    return { a, p, can: (method: string, path: string) => a.check('Bearer t', method, path) === undefined };
  };

  it('a role holds at its scope and every scope below it, never above', () => {
    const { a, p, can } = world();
    a.assign(p.objectId, 'Contributor', SITE);
    expect(can('PUT', `${SITE}/customDomains/mta-sts.contoso.com`)).toBe(true);
    expect(can('GET', SITE)).toBe(true);
    expect(can('GET', `${SITE}-other`)).toBe(false); // a sibling whose name starts the same
    expect(can('GET', `${SUB}/providers/Microsoft.Web/locations/westus2/operationResults/1`)).toBe(false);
    a.assign(p.objectId, 'Reader', SUB);
    expect(can('GET', `${SUB}/providers/Microsoft.Web/locations/westus2/operationResults/1`)).toBe(true);
  });

  it('NotActions take away what Actions give: Contributor may not assign roles, Owner and User Access Administrator may', () => {
    const { a, p, can } = world();
    const assignment = `${SUB}/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/1`;
    a.assign(p.objectId, 'Contributor', SUB);
    expect(can('PUT', assignment)).toBe(false);
    expect(can('GET', assignment)).toBe(true);
    expect(can('POST', `${SUB}/providers/Microsoft.Web/register`)).toBe(true);
    a.assign(p.objectId, 'User Access Administrator', `${SUB}/resourceGroups/rg`);
    expect(can('PUT', assignment)).toBe(true);
  });

  it('DNS Zone Contributor writes record sets, not sites; Website Contributor sites and certificates, not plans', () => {
    const { a, p, can } = world();
    a.assign(p.objectId, 'DNS Zone Contributor', `${SUB}/resourceGroups/rg-dns`);
    a.assign(p.objectId, 'Website Contributor', `${SUB}/resourceGroups/rg-web`);
    expect(can('PUT', `${SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/contoso.com/CNAME/mta-sts`)).toBe(true);
    expect(can('PUT', `${SUB}/resourceGroups/rg-dns/providers/Microsoft.Web/sites/x`)).toBe(false);
    expect(can('PUT', `${SUB}/resourceGroups/rg-web/providers/Microsoft.Web/sites/x/hostNameBindings/mta-sts.contoso.com`)).toBe(true);
    expect(can('PUT', `${SUB}/resourceGroups/rg-web/providers/Microsoft.Web/certificates/mta-sts.contoso.com`)).toBe(true);
    expect(can('PUT', `${SUB}/resourceGroups/rg-web/providers/Microsoft.Web/serverfarms/asp`)).toBe(false);
    expect(can('GET', `${SUB}/resourceGroups/rg-web/providers/Microsoft.Web/serverfarms/asp`)).toBe(true);
  });

  it('answers 403 AuthorizationFailed in ARM\'s words, naming the client, its object id, the action and the scope; an unknown token 401', () => {
    const { a, p } = world();
    const path = `${SUB}/providers/Microsoft.Web/locations/westus2/operationResults/1`;
    expect(a.check('Bearer t', 'GET', path)).toEqual({
      status: 403,
      body: { error: { code: 'AuthorizationFailed', message: `The client '00000000-aaaa-bbbb-cccc-000000000001' with object id '${p.objectId}' does not have authorization to perform action 'Microsoft.Web/locations/operationResults/read' over scope '${path}' or the scope is invalid. If access was recently granted, please refresh your credentials.` } },
    });
    expect(a.check('Bearer other', 'GET', path)?.status).toBe(401);
    expect(a.check(undefined, 'GET', path)?.status).toBe(401);
  });
});
