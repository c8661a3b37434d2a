// The Azure DevOps wrapper against the loopback emulation, through the real azure-devops-node-api client.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DevOps, DevOpsError } from '../../src/azure/devops.ts';
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

const connect = (token = emulator.token) => DevOps.connect(emulator.orgUrl, token, { caFile, readyTimeoutMs: 10_000 });

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

  it('a token from another tenant (401 TF400813) says to sign in to the organisation\'s tenant', async () => {
    const e = await connect('token-of-another-tenant').project('mail').catch((x: unknown) => x) as DevOpsError;
    expect(e.status).toBe(401);
    expect(e.message).toContain('HTTP 401: TF400813: The user is not authorized to access this resource.; Azure DevOps does not accept the sign-in of az: the organisation is connected to another Microsoft Entra tenant');
    expect(e.message).toContain('az login --tenant TENANT');
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

  it('reports 409 for a second group of the same name and 403 without the Library right', async () => {
    const devops = connect();
    const project = await devops.project('mail');
    await devops.saveVariableGroup(project, { name: 'mta-sts', description: '', variables: {} });
    await expect(devops.saveVariableGroup(project, { name: 'mta-sts', description: '', variables: {} })).rejects.toMatchObject({ status: 409 });
    emulator.denied.add('variablegroups.create');
    await expect(devops.saveVariableGroup(project, { name: 'other', description: '', variables: {} })).rejects.toMatchObject({ status: 403 });
  });

  it('creates an automatic workload-identity ARM connection and waits until it is ready', async () => {
    const devops = connect();
    const project = await devops.project('mail');
    const endpoint = await devops.createArmEndpoint(project, {
      name: 'mta-sts-azure', tenantId: 't-1', subscriptionId: 'sub-1', subscriptionName: 'Prod', resourceGroup: 'rg-mta-sts',
      armUrl: 'https://management.azure.com/', environment: 'AzureCloud',
    });
    expect(endpoint.isReady).toBe(true);
    expect(endpoint.authorization?.scheme).toBe('WorkloadIdentityFederation');
    expect(endpoint.authorization?.parameters?.scope).toBe('/subscriptions/sub-1/resourcegroups/rg-mta-sts');
    expect(endpoint.data?.creationMode).toBe('Automatic');
    expect((await devops.serviceEndpoint('mail', 'mta-sts-azure'))?.id).toBe(endpoint.id);
    await expect(devops.createArmEndpoint(project, {
      name: 'mta-sts-azure', tenantId: 't', subscriptionId: 's', subscriptionName: 'n', resourceGroup: 'r', armUrl: 'https://x/', environment: 'AzureCloud',
    })).rejects.toMatchObject({ status: 409 });
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
    expect(await devops.authorizedPipelines('mail', 'variablegroup', String(group.id))).toEqual([]);
    await devops.authorizePipeline('mail', 'variablegroup', String(group.id), definition.id!);
    expect(await devops.authorizedPipelines('mail', 'variablegroup', String(group.id))).toEqual([definition.id]);
    const patch = emulator.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.path).toMatch(/^\/contoso\/mail\/_apis\/pipelines\/pipelinePermissions\/variablegroup\/1\?|^\/contoso\/mail\/_apis\/pipelines\/pipelinePermissions\/variablegroup\/1$/);
    emulator.denied.add('pipelinepermissions.update');
    await expect(devops.authorizePipeline('mail', 'variablegroup', String(group.id), definition.id!)).rejects.toMatchObject({ status: 403 });
  });
});
