// The Azure DevOps wrapper against the loopback emulation, through the real azure-devops-node-api client. The
// emulator answers as the published examples do (MicrosoftDocs/vsts-rest-api-specs, cited beside each route in
// devops-emulator.ts); the error bodies are those users have quoted (cited beside each test).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DevOps, DevOpsError, devopsAdvice, readDevOpsAnswer } from '../../src/azure/devops.ts';
import type { Clock } from '../../src/azure/retry.ts';
import { TestCA } from '../check/servers.ts';
import { startDevOpsEmulator, type DevOpsEmulator } from './devops-emulator.ts';

let ca: TestCA;
let dir: string;
let caFile: string;
let emulator: DevOpsEmulator;

beforeAll(async () => {
  ca = await TestCA.create();
  dir = await mkdtemp(join(tmpdir(), 'devops-test-'));
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, ca.certPem);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async (context) => {
  emulator = await startDevOpsEmulator(ca);
  context.onTestFinished(() => emulator.close());
});

/** Virtual time for the wait on a connection: no test waits real seconds. */
function virtualClock(): Clock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => { slept.push(ms); t += ms; } };
}

const connect = (token = emulator.token, clock: Clock = virtualClock()) => DevOps.connect(emulator.orgUrl, token, { caFile, readyTimeoutMs: 10_000, clock });

const armSpec = (name = 'mta-sts-azure') => ({
  name, tenantId: '0c9e2b1f-4d3a-4e5b-8c7d-6a5f4e3d2c1b', subscriptionId: 'sub-1', subscriptionName: 'Prod', resourceGroup: 'rg-mta-sts',
  armUrl: 'https://management.azure.com/', environment: 'AzureCloud',
});

describe('DevOps', () => {
  it('discovers the API areas the way the client does (OPTIONS, then ResourceAreas) and reads the project', async () => {
    const project = await connect().project('mail');
    expect(project).toEqual({ id: emulator.projects[0]!.id, name: 'mail', visibility: 'private' });
    const methods = emulator.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(methods).toContain('OPTIONS /contoso/_apis/Location');
    expect(methods).toContain('GET /contoso/_apis/ResourceAreas');
    expect(methods).toContain('OPTIONS /contoso/_apis/core');
  });

  it('names the project when it does not exist, and refuses a wrong token with 401', async () => {
    await expect(connect().project('nope')).rejects.toThrow(/project nope does not exist|TF200016/);
    const e = await connect('wrong').project('mail').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DevOpsError);
    expect((e as DevOpsError).status).toBe(401);
  });

  it('a project URL or an organisation that does not exist: says what --devops-org must be, not "Failed to find api location"', async () => {
    for (const url of [`${emulator.orgUrl}/mail`, emulator.orgUrl.replace(/contoso$/, 'wrongorg')]) {
      const e = await DevOps.connect(url, emulator.token, { caFile }).project('mail').catch((x: unknown) => x) as DevOpsError;
      expect(e).toBeInstanceOf(DevOpsError);
      expect(e.message).toContain('no Azure DevOps organisation answers at this URL: --devops-org must be the organisation\'s URL (https://dev.azure.com/ORGANISATION, not a project\'s URL)');
      expect((e.cause as Error).message).toMatch(/^Failed to find api location for area/);
    }
  });

  // Azure/azure-cli#27089 and #29250: a token Azure DevOps does not take answers 401 with
  // {"$id":"1","innerException":null,"message":"TF400813: The user '<id>' is not authorized to access this resource.",
  // "typeName":"Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, ...","typeKey":"UnauthorizedRequestException",...}
  // already on the OPTIONS discovery, and X-VSS-ResourceTenant names the organisation's tenant.
  it('a token from another tenant (401 TF400813) names the organisation\'s tenant to sign in to', async () => {
    const e = await connect('token-of-another-tenant').project('mail').catch((x: unknown) => x) as DevOpsError;
    expect(e.status).toBe(401);
    expect(emulator.requests[0]!.method).toBe('OPTIONS');
    expect(e.message).toContain(`HTTP 401 UnauthorizedRequestException: TF400813: The user 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' is not authorized to access this resource.; Azure DevOps does not accept the sign-in of az: the organisation is connected to Microsoft Entra tenant ${emulator.tenantId}, not the one az is signed in to`);
    expect(e.message).toContain(`az login --tenant ${emulator.tenantId})`);
    expect(e.message).not.toMatch(/[{}"]/);
  });

  it('a 401 without a tenant header (a Microsoft-account organisation: the zero tenant) still says what to do', () => {
    const error = Object.assign(new Error('TF400813: The user \'\' is not authorized to access this resource.'), {
      statusCode: 401, responseHeaders: { 'x-vss-resourcetenant': '00000000-0000-0000-0000-000000000000' },
    });
    const answer = readDevOpsAnswer(error);
    expect(answer.tenant).toBeUndefined();
    expect(answer.status).toBe(401);
    expect(devopsAdvice(answer)).toContain('Sign in to its tenant (az login --tenant TENANT; Organization settings > Microsoft Entra names it), then run the same command again');
  });

  // The body as users quote it, a byte-order mark before the JSON (so the client could not parse it and kept the raw
  // text as the message): the user still gets Azure DevOps' message and typeKey, never the JSON.
  it('reads an error body that the client could not parse (BOM before the JSON)', () => {
    const raw = '\uFEFF{"$id":"1","customProperties":{"Descriptor":null,"IdentityDisplayName":null,"Token":null,"RequestedPermissions":0,"NamespaceId":"00000000-0000-0000-0000-000000000000"},"innerException":null,"message":"Access Denied: The Personal Access Token used has expired.","typeName":"Microsoft.VisualStudio.Services.Security.AccessCheckException, Microsoft.VisualStudio.Services.WebApi","typeKey":"AccessCheckException","errorCode":0,"eventId":3000}';
    expect(readDevOpsAnswer(Object.assign(new Error(raw), { statusCode: 401 }))).toEqual({
      status: 401, message: 'Access Denied: The Personal Access Token used has expired.', typeKey: 'AccessCheckException', tenant: undefined,
    });
  });

  it('creates a variable group with a secret, reads it back without the value, and replaces it', async () => {
    const devops = connect();
    const project = await devops.project('mail');
    expect(await devops.variableGroup('mail', 'mta-sts')).toBeUndefined();
    const created = await devops.saveVariableGroup(project, { name: 'mta-sts', description: 'd', variables: { deployment_token: { value: 's3cret', isSecret: true } } });
    expect(created.id).toBe(1);
    expect(emulator.variableGroups[0]!.variables.deployment_token).toEqual({ value: 's3cret', isSecret: true });
    const read = await devops.variableGroup('mail', 'MTA-STS');
    expect(read?.variables?.deployment_token).toEqual({ value: null, isSecret: true });
    await devops.saveVariableGroup(project, { id: created.id, name: 'mta-sts', description: 'e', variables: { deployment_token: { value: 'other', isSecret: true } } });
    expect(emulator.variableGroups).toHaveLength(1);
    expect(emulator.variableGroups[0]!.variables.deployment_token!.value).toBe('other');
  });

  it('a second group of the same name: 409 VariableGroupExistsException, with what to do; 403 without the Library right names it', async () => {
    const devops = connect();
    const project = await devops.project('mail');
    await devops.saveVariableGroup(project, { name: 'mta-sts', description: '', variables: {} });
    const conflict = await devops.saveVariableGroup(project, { name: 'mta-sts', description: '', variables: {} }).catch((x: unknown) => x) as DevOpsError;
    expect(conflict.status).toBe(409);
    expect(conflict.message).toBe("creating variable group mta-sts: HTTP 409 VariableGroupExistsException: Variable group 'mta-sts' already exists.; a variable group of this name already exists (possibly one you cannot see): delete or rename it in Pipelines > Library, or ask who can see it, then run the same command again");
    emulator.denied.add('variablegroups.create');
    const denied = await devops.saveVariableGroup(project, { name: 'other', description: '', variables: {} }).catch((x: unknown) => x) as DevOpsError;
    expect(denied.status).toBe(403);
    expect(denied.message).toMatch(/^creating variable group other: HTTP 403 AccessCheckException: Access denied\. .*; your account lacks the Creator role on Pipelines > Library \(Security\) in Azure DevOps/);
  });

  it('finds a group by its exact name, not by the pattern Azure DevOps matches groupName against', async () => {
    const devops = connect();
    const project = await devops.project('mail');
    await devops.saveVariableGroup(project, { name: 'mta-sts-old', description: '', variables: {} });
    expect(await devops.variableGroup('mail', 'mta-sts')).toBeUndefined();
    expect((await devops.variableGroup('mail', 'MTA-STS-OLD'))?.name).toBe('mta-sts-old');
  });

  it('creates an automatic workload-identity ARM connection and waits (virtual time) until it is ready', async () => {
    const clock = virtualClock();
    const devops = connect(emulator.token, clock);
    const project = await devops.project('mail');
    const endpoint = await devops.createArmEndpoint(project, armSpec());
    expect(endpoint.isReady).toBe(true);
    expect(endpoint.operationStatus).toEqual({ state: 'Ready', statusMessage: '' });
    expect(clock.slept.length).toBeGreaterThan(0);
    expect(endpoint.authorization?.scheme).toBe('WorkloadIdentityFederation');
    expect(endpoint.authorization?.parameters?.scope).toBe('/subscriptions/sub-1/resourcegroups/rg-mta-sts');
    expect(endpoint.data?.creationMode).toBe('Automatic');
    expect((await devops.serviceEndpoint('mail', 'mta-sts-azure'))?.id).toBe(endpoint.id);
  });

  it('sends isReady: true, and takes operationStatus.state Ready as ready even when isReady stays false', async () => {
    emulator.readyOnlyInOperationStatus = true;
    try {
      const clock = virtualClock();
      const devops = connect(emulator.token, clock);
      const project = await devops.project('mail');
      const before = emulator.requests.length;
      const endpoint = await devops.createArmEndpoint(project, armSpec());
      expect(endpoint.isReady).toBe(false);
      expect(endpoint.operationStatus).toMatchObject({ state: 'Ready' });
      const post = emulator.requests.slice(before).find((r) => r.method === 'POST');
      expect((JSON.parse(post!.body) as { isReady?: boolean }).isReady).toBe(true);
    } finally {
      emulator.readyOnlyInOperationStatus = false;
    }
  });

  it('manual workload identity federation: ready at once, and the issuer and subject read back from Azure DevOps\' answer', async () => {
    const devops = connect();
    const project = await devops.project('mail');
    const before = emulator.requests.length;
    const endpoint = await devops.createArmEndpoint(project, { ...armSpec(), identity: { clientId: '5f0c7a2e-9b1d-4c3e-8f6a-2d4b6c8e0a1f' } });
    // One POST, no polling: a manual connection is ready when created.
    expect(emulator.requests.slice(before).map((r) => r.method).filter((m) => m !== 'OPTIONS')).toEqual(['POST']);
    expect(endpoint.isReady).toBe(true);
    expect(endpoint.data?.creationMode).toBe('Manual');
    const parameters = endpoint.authorization!.parameters!;
    expect(parameters.serviceprincipalid).toBe('5f0c7a2e-9b1d-4c3e-8f6a-2d4b6c8e0a1f');
    // Microsoft Entra issuer and the subject naming the organisation and this connection's id (known only after creation).
    expect(parameters.workloadIdentityFederationIssuer).toBe('https://login.microsoftonline.com/0c9e2b1f-4d3a-4e5b-8c7d-6a5f4e3d2c1b/v2.0');
    expect(parameters.workloadIdentityFederationSubject).toMatch(new RegExp(`^/eid1/c/pub/t/[A-Za-z0-9_-]{22}/a/rISbSSETf0KqFyZ8ppdXmA/sc/${emulator.organizationId}/${endpoint.id}$`));
    // Read back by name, the same parameters (observe reads them there on a re-run).
    const read = await devops.serviceEndpoint('mail', 'MTA-STS-AZURE');
    expect(read?.authorization?.parameters?.workloadIdentityFederationSubject).toBe(parameters.workloadIdentityFederationSubject);
  });

  it('a connection whose automatic creation fails (isReady false, operationStatus Failed): says so with Azure DevOps\' statusMessage', async () => {
    // MicrosoftDocs/azure-devops-docs troubleshoot-workload-identity.md, "Insufficient privileges".
    emulator.automaticFailsWith = 'Failed to create an app in Microsoft Entra ID. Error: Insufficient privileges to complete the operation in Microsoft Graph.\u001b[2J';
    const devops = connect();
    const project = await devops.project('mail');
    const e = await devops.createArmEndpoint(project, armSpec()).catch((x: unknown) => x) as DevOpsError;
    expect(e).toBeInstanceOf(DevOpsError);
    expect(e.message).toBe('creating service connection mta-sts-azure: Azure DevOps reports it failed: Failed to create an app in Microsoft Entra ID. Error: Insufficient privileges to complete the operation in Microsoft Graph.\\x1b[2J');
    // The failed connection still holds the name: it is found (includeFailed), with its state.
    const found = await devops.serviceEndpoint('mail', 'mta-sts-azure');
    expect(found?.isReady).toBe(false);
    expect(found?.operationStatus).toMatchObject({ state: 'Failed' });
  });

  it('a connection name already taken: Azure DevOps answers 500 DuplicateServiceConnectionException; says what to do', async () => {
    const devops = connect();
    const project = await devops.project('mail');
    await devops.createArmEndpoint(project, { ...armSpec(), identity: { clientId: '5f0c7a2e-9b1d-4c3e-8f6a-2d4b6c8e0a1f' } });
    const e = await devops.createArmEndpoint(project, { ...armSpec(), identity: { clientId: '5f0c7a2e-9b1d-4c3e-8f6a-2d4b6c8e0a1f' } }).catch((x: unknown) => x) as DevOpsError;
    expect(e.status).toBe(500);
    expect(e.message).toBe('creating service connection mta-sts-azure: HTTP 500 DuplicateServiceConnectionException: A service connection with name mta-sts-azure already exists. Use a different name.; a service connection of this name already exists (possibly one you cannot see): delete or rename it in Project settings > Service connections, or ask who can see it, then run the same command again');
  });

  it('without the Creator role on service connections (403 AccessCheckException): names the right and who grants it', async () => {
    emulator.denied.add('endpoints.create');
    const devops = connect();
    const project = await devops.project('mail');
    const e = await devops.createArmEndpoint(project, { ...armSpec(), identity: { clientId: '5f0c7a2e-9b1d-4c3e-8f6a-2d4b6c8e0a1f' } }).catch((x: unknown) => x) as DevOpsError;
    expect(e.status).toBe(403);
    expect(e.message).toMatch(/^creating service connection mta-sts-azure: HTTP 403 AccessCheckException: Access denied\. .*; your account lacks the Creator role on service connections \(Project settings > Service connections > Security; members of Endpoint Creators have it\) in Azure DevOps: ask a Project Administrator to grant it or to do this step$/);
    expect(emulator.endpoints).toHaveLength(0);
  });

  it('creates a YAML pipeline on an Azure Repos repository and authorises resources for it', async () => {
    const devops = connect();
    const project = await devops.project('mail');
    const repo = await devops.repository('mail', 'mta-sts');
    expect(repo?.id).toBe(emulator.repositories[0]!.id);
    expect(await devops.repository('mail', 'missing')).toBeUndefined();
    const queueId = await devops.agentQueue('mail', 'Azure Pipelines');
    expect(queueId).toBeTypeOf('number');
    const definition = await devops.createYamlDefinition(project, {
      name: 'mta-sts', yamlPath: 'azure-pipelines.yml', queueId: queueId!,
      repository: { type: 'TfsGit', id: repo!.id!, name: 'mta-sts', defaultBranch: 'refs/heads/main' },
    });
    expect((await devops.definition('mail', 'mta-sts'))?.id).toBe(definition.id);
    await expect(devops.createYamlDefinition(project, {
      name: 'mta-sts', yamlPath: 'azure-pipelines.yml', queueId: queueId!,
      repository: { type: 'TfsGit', id: repo!.id!, name: 'mta-sts', defaultBranch: 'refs/heads/main' },
    })).rejects.toMatchObject({ status: 409 });

    const group = await devops.saveVariableGroup(project, { name: 'mta-sts', description: '', variables: {} });
    expect(await devops.pipelineAuthorized('mail', 'variablegroup', String(group.id), definition.id!)).toBe(false);
    await devops.authorizePipeline('mail', 'variablegroup', String(group.id), definition.id!);
    expect(await devops.pipelineAuthorized('mail', 'variablegroup', String(group.id), definition.id!)).toBe(true);
    expect(await devops.pipelineAuthorized('mail', 'variablegroup', String(group.id), definition.id! + 1)).toBe(false);
    const patch = emulator.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.path).toMatch(/^\/contoso\/mail\/_apis\/pipelines\/pipelinePermissions\/variablegroup\/1\?|^\/contoso\/mail\/_apis\/pipelines\/pipelinePermissions\/variablegroup\/1$/);
    emulator.denied.add('pipelinepermissions.update');
    await expect(devops.authorizePipeline('mail', 'variablegroup', String(group.id), definition.id!)).rejects.toMatchObject({ status: 403 });
  });

  it('a public project asks for the Public hosted limit; a new organisation has none (resourceLimit.totalCount 0)', async () => {
    emulator.projects[0]!.visibility = 'public';
    const devops = connect();
    const project = await devops.project('mail');
    // The client turns "public" into ProjectVisibility.Public (2): the wrapper still says 'public'.
    expect(project.visibility).toBe('public');
    expect(await devops.hostedParallelJobs('public')).toBe(1);
    emulator.hostedParallelJobs = 0;
    expect(await devops.hostedParallelJobs('public')).toBe(0);
    const asked = emulator.requests.filter((r) => r.path.includes('/_apis/distributedtask/resourceusage')).map((r) => new URL(r.path, 'https://x').searchParams);
    expect(asked.map((q) => [q.get('parallelismTag'), q.get('poolIsHosted')])).toEqual([['Public', 'true'], ['Public', 'true']]);
  });

  it('finds a pipeline by its exact name, not by the pattern Azure DevOps matches name against', async () => {
    const devops = connect();
    const project = await devops.project('mail');
    const repo = await devops.repository('mail', 'mta-sts');
    const queueId = await devops.agentQueue('mail', 'Azure Pipelines');
    await devops.createYamlDefinition(project, {
      name: 'mta-sts-old', yamlPath: 'azure-pipelines.yml', queueId: queueId!,
      repository: { type: 'TfsGit', id: repo!.id!, name: 'mta-sts', defaultBranch: 'refs/heads/main' },
    });
    expect(await devops.definition('mail', 'mta-sts')).toBeUndefined();
    expect(await devops.definition('mail', 'mta-sts*')).toBeUndefined();
    expect((await devops.definition('mail', 'MTA-STS-OLD'))?.name).toBe('mta-sts-old');
  });

  it('a resource open to every pipeline (allPipelines.authorized, no pipeline listed) counts as authorised', async () => {
    const devops = connect();
    const project = await devops.project('mail');
    const group = await devops.saveVariableGroup(project, { name: 'mta-sts', description: '', variables: {} });
    emulator.openToAllPipelines.add(`variablegroup/${group.id}`);
    expect(await devops.pipelineAuthorized('mail', 'variablegroup', String(group.id), 42)).toBe(true);
  });
});
