// Azure DevOps through the official azure-devops-node-api client, signed in with an Entra token for Azure DevOps
// from the same az login as the ARM calls: the variable group, the YAML pipeline, the ARM service connection and
// the pipeline permissions that `mta-sts azure setup` needs.
import type { TokenCredential } from '@azure/identity';
import { getBearerHandler, WebApi } from 'azure-devops-node-api';
import { printable } from '../printable.ts';
import { poll, type Clock } from './retry.ts';
import type { BuildDefinition, BuildDefinitionReference } from 'azure-devops-node-api/interfaces/BuildInterfaces.js';
import type { GitRepository } from 'azure-devops-node-api/interfaces/GitInterfaces.js';
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces.js';
import type { VariableGroup, VariableGroupParameters } from 'azure-devops-node-api/interfaces/TaskAgentInterfaces.js';

/** Entra resource (application id) of Azure DevOps; its tokens are accepted by every organisation. */
export const DEVOPS_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';

/** An Azure DevOps call failed; `status` is the HTTP status when the service answered. */
export class DevOpsError extends Error {
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
  }
}

export interface ProjectRef { id: string; name: string; visibility?: 'private' | 'public' }

/** What a pipeline permission is granted on (REST resourceType). */
export type PermissionResource = 'variablegroup' | 'endpoint';

// PipelinePermissions is not wrapped by azure-devops-node-api: its location id, resolved through the client's own
// OPTIONS discovery so the call uses the client's auth, version negotiation and HTTP stack.
const PIPELINE_PERMISSIONS = { area: 'pipelinePermissions', locationId: 'b5b9a4a4-e6cd-4096-853c-ab7d8b0c4eb2', version: '7.1-preview.1' };

export interface ArmEndpointSpec {
  name: string;
  tenantId: string;
  subscriptionId: string;
  subscriptionName: string;
  resourceGroup: string;
  /** ARM endpoint of the cloud, e.g. https://management.azure.com/ */
  armUrl: string;
  /** Azure DevOps' name of the cloud: AzureCloud, AzureUSGovernment, AzureChinaCloud. */
  environment: string;
  /**
   * A user-assigned managed identity to sign in as (workload identity federation, manual): Azure DevOps then
   * registers nothing in Entra ID; the identity must trust the connection's issuer and subject.
   */
  identity?: { clientId: string };
}

export interface PipelineSpec {
  name: string;
  yamlPath: string;
  repository:
    | { type: 'TfsGit'; id: string; name: string; defaultBranch: string }
    | { type: 'GitHub'; fullName: string; connectionId: string; defaultBranch: string };
  queueId: number;
}

export interface DevOpsOptions {
  /** Extra CA file for Azure DevOps Server behind a private CA (and the tests' loopback emulation). */
  caFile?: string;
  /** Bound on the wait for an automatic service connection to become ready. */
  readyTimeoutMs?: number;
  /** The clock of that wait (tests: virtual time). */
  clock?: Clock;
}

/** A bearer token for Azure DevOps from the same credential (AzureCliCredential in the product). */
export async function devopsToken(credential: TokenCredential): Promise<string> {
  const token = await credential.getToken(`${DEVOPS_RESOURCE}/.default`);
  if (!token) throw new DevOpsError('could not get an Azure DevOps token from az (run az login)');
  return token.token;
}

/** What Azure DevOps answered, read from the client's error: its status, message, typeKey and tenant header. */
export interface DevOpsAnswer {
  status?: number;
  message: string;
  /** The .NET exception's short name from the error body, e.g. DuplicateServiceConnectionException. */
  typeKey?: string;
  /** X-VSS-ResourceTenant of a 401: the Entra tenant the organisation is connected to. */
  tenant?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Azure DevOps errors are {"$id","innerException","message","typeName","typeKey","errorCode","eventId"}; the
 * client keeps the parsed body as `result` and its message as the Error's message, but when the body does not
 * parse (a byte-order mark before the JSON, as users have quoted it) the message is the raw body: read it here so
 * that the user never sees raw JSON.
 */
export function readDevOpsAnswer(e: unknown): DevOpsAnswer {
  const err = e as { statusCode?: number; result?: unknown; responseHeaders?: Record<string, string | string[] | undefined> };
  let body = err.result && typeof err.result === 'object' ? err.result as { message?: unknown; typeKey?: unknown } : undefined;
  let message = e instanceof Error ? e.message : String(e);
  if (!body) {
    try {
      const parsed: unknown = JSON.parse(message.replace(/^\uFEFF/, ''));
      if (parsed && typeof parsed === 'object') body = parsed as { message?: unknown; typeKey?: unknown };
    } catch {
      // not JSON: the message is the service's text (or the client's own)
    }
  }
  if (body && typeof body.message === 'string') message = body.message;
  const header = err.responseHeaders?.['x-vss-resourcetenant'];
  const tenant = (Array.isArray(header) ? header[0] : header)?.trim();
  return {
    status: typeof err.statusCode === 'number' ? err.statusCode : undefined,
    message: message.replace(/\s+/g, ' ').trim(),
    typeKey: body && typeof body.typeKey === 'string' ? body.typeKey : undefined,
    // The all-zero tenant means a Microsoft-account organisation, not connected to Entra ID.
    tenant: tenant && GUID.test(tenant) && !/^[0-]+$/.test(tenant) ? tenant.toLowerCase() : undefined,
  };
}

/** Turns a client error into a DevOpsError naming the call, Azure DevOps' answer, and what to do about it. */
function failed(what: string, e: unknown, right?: string): DevOpsError {
  const answer = readDevOpsAnswer(e);
  const advice = devopsAdvice(answer, right);
  const code = answer.status ? `HTTP ${answer.status}${answer.typeKey ? ` ${printable(answer.typeKey)}` : ''}: ` : '';
  return new DevOpsError(`${what}: ${code}${printable(answer.message)}${advice ? `; ${advice}` : ''}`, answer.status, { cause: e });
}

/**
 * The answers whose raw text misleads: what they mean, and what to do. `right` names the Azure DevOps right the
 * call needs, for a 403.
 */
export function devopsAdvice(answer: DevOpsAnswer, right?: string): string | undefined {
  const { status, message, typeKey, tenant } = answer;
  // The client's route discovery found no API under the URL: a project URL, or an organisation that does not exist.
  if (/Failed to find api location for area|Could not find information for resource area/i.test(message)) {
    return 'no Azure DevOps organisation answers at this URL: --devops-org must be the organisation\'s URL (https://dev.azure.com/ORGANISATION, not a project\'s URL), of an organisation that exists and that you can open in a browser';
  }
  // TF400813 with 401: the token is valid but not for this organisation (another Entra tenant, or not a member).
  if (status === 401) {
    return `Azure DevOps does not accept the sign-in of az: the organisation is connected to ${tenant ? `Microsoft Entra tenant ${tenant}` : 'another Microsoft Entra tenant'}, not the one az is signed in to, or your account is not a member of it. Sign in to its tenant (az login --tenant ${tenant ?? 'TENANT'}${tenant ? '' : '; Organization settings > Microsoft Entra names it'}), then run the same command again`;
  }
  if (status === 403) {
    return right
      ? `your account lacks ${right} in Azure DevOps: ask a Project Administrator to grant it or to do this step`
      : 'your account lacks this right in Azure DevOps: ask a Project Administrator to grant it or to run this step';
  }
  // A name taken by a resource you may not see (another project shares it, or it is not shared with you).
  if (typeKey === 'DuplicateServiceConnectionException') {
    return 'a service connection of this name already exists (possibly one you cannot see): delete or rename it in Project settings > Service connections, or ask who can see it, then run the same command again';
  }
  if (typeKey === 'VariableGroupExistsException') {
    return 'a variable group of this name already exists (possibly one you cannot see): delete or rename it in Pipelines > Library, or ask who can see it, then run the same command again';
  }
  return undefined;
}

async function call<T>(what: string, run: () => Promise<T>, right?: string): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw failed(what, e, right);
  }
}

// The rights each write needs, named as the portal names them (403 advice).
const RIGHT = {
  variableGroup: 'the Creator role on Pipelines > Library (Security)',
  endpoint: 'the Creator role on service connections (Project settings > Service connections > Security; members of Endpoint Creators have it)',
  definition: 'the Edit build pipeline permission on Pipelines (Manage security)',
  permissions: 'the Administrator role on the resource (its Security page) to let a pipeline use it',
};

export class DevOps {
  /** One client per API area: each discovers its area's routes once (OPTIONS), not once per call. */
  private readonly clients = new Map<string, Promise<unknown>>();

  private constructor(private readonly api: WebApi, private readonly options: DevOpsOptions) {}

  private client<T>(key: string, what: string, make: () => Promise<T>): Promise<T> {
    let client = this.clients.get(key) as Promise<T> | undefined;
    if (!client) {
      client = call(`connecting to ${what}`, make);
      client.catch(() => this.clients.delete(key));
      this.clients.set(key, client);
    }
    return client;
  }

  static connect(orgUrl: string, token: string, options: DevOpsOptions = {}): DevOps {
    const requestOptions = options.caFile ? { cert: { caFile: options.caFile } } : {};
    return new DevOps(new WebApi(orgUrl.replace(/\/+$/, ''), getBearerHandler(token), requestOptions), options);
  }

  async project(name: string): Promise<ProjectRef> {
    const core = await this.client('getCoreApi', 'Azure DevOps', () => this.api.getCoreApi());
    const project = await call(`reading project ${name}`, () => core.getProject(name));
    if (!project?.id) throw new DevOpsError(`project ${name} does not exist in ${this.api.serverUrl} (or you cannot see it)`, 404);
    return { id: project.id, name: project.name ?? name, visibility: String(project.visibility).toLowerCase() === 'public' || project.visibility === 2 ? 'public' : 'private' };
  }

  /**
   * Microsoft-hosted parallel jobs the organisation may run for a project of this visibility (distributed-task
   * resource usage, poolIsHosted): 0 on a new organisation until its free grant is approved.
   */
  async hostedParallelJobs(visibility: 'private' | 'public'): Promise<number | undefined> {
    const agent = await this.client('getTaskAgentApi', 'Azure Pipelines', () => this.api.getTaskAgentApi());
    const usage = await call('reading the hosted parallel jobs', () => agent.getResourceUsage(visibility === 'public' ? 'Public' : 'Private', true, false));
    return usage?.resourceLimit?.totalCount;
  }

  async repository(project: string, name: string): Promise<GitRepository | undefined> {
    const git = await this.client('getGitApi', 'Azure Repos', () => this.api.getGitApi());
    return (await call(`reading repository ${name}`, () => git.getRepository(name, project))) ?? undefined;
  }

  async agentQueue(project: string, name: string): Promise<number | undefined> {
    const agent = await this.client('getTaskAgentApi', 'Azure Pipelines', () => this.api.getTaskAgentApi());
    const queues = await call(`reading agent queue ${name}`, () => agent.getAgentQueues(project, name));
    return queues?.find((q) => q.name?.toLowerCase() === name.toLowerCase())?.id;
  }

  async variableGroup(project: string, name: string): Promise<VariableGroup | undefined> {
    const agent = await this.client('getTaskAgentApi', 'Azure Pipelines', () => this.api.getTaskAgentApi());
    const groups = await call(`reading variable group ${name}`, () => agent.getVariableGroups(project, name));
    return groups?.find((g) => g.name?.toLowerCase() === name.toLowerCase());
  }

  /** Creates the group, or replaces it (by id) with these variables. */
  async saveVariableGroup(project: ProjectRef, group: { id?: number; name: string; description: string; variables: VariableGroupParameters['variables'] }): Promise<VariableGroup> {
    const agent = await this.client('getTaskAgentApi', 'Azure Pipelines', () => this.api.getTaskAgentApi());
    const parameters: VariableGroupParameters = {
      name: group.name,
      description: group.description,
      type: 'Vsts',
      variables: group.variables,
      variableGroupProjectReferences: [{ name: group.name, description: group.description, projectReference: { id: project.id, name: project.name } }],
    };
    return group.id === undefined
      ? call(`creating variable group ${group.name}`, () => agent.addVariableGroup(parameters), RIGHT.variableGroup)
      : call(`updating variable group ${group.name}`, () => agent.updateVariableGroup(parameters, group.id!), RIGHT.variableGroup);
  }

  async serviceEndpoint(project: string, name: string): Promise<ServiceEndpoint | undefined> {
    const endpoints = await this.client('getServiceEndpointApi', 'Azure DevOps service connections', () => this.api.getServiceEndpointApi());
    // includeFailed: a connection whose automatic creation failed still holds the name.
    const found = await call(`reading service connection ${name}`, () => endpoints.getServiceEndpointsByNames(project, [name], undefined, undefined, undefined, true));
    return found?.find((e) => e.name?.toLowerCase() === name.toLowerCase());
  }

  /**
   * An Azure Resource Manager connection with workload identity federation, created automatically (Azure DevOps
   * registers the app, its federated credential and a Contributor role on the resource group), then waits until
   * Azure DevOps reports it ready.
   */
  async createArmEndpoint(project: ProjectRef, spec: ArmEndpointSpec): Promise<ServiceEndpoint> {
    const api = await this.client('getServiceEndpointApi', 'Azure DevOps service connections', () => this.api.getServiceEndpointApi());
    const created = await call(`creating service connection ${spec.name}`, () => api.createServiceEndpoint({
      name: spec.name,
      type: 'azurerm',
      url: spec.armUrl,
      owner: 'library',
      isShared: false,
      // As Microsoft's automation guide and the REST example (CreateAzureRMEndpoint.json) send it.
      isReady: true,
      description: 'Created by mta-sts azure setup for the MTA-STS pipeline (Static Web App or Function App)',
      authorization: {
        scheme: 'WorkloadIdentityFederation',
        parameters: {
          serviceprincipalid: spec.identity?.clientId ?? '',
          tenantid: spec.tenantId,
          scope: `/subscriptions/${spec.subscriptionId}/resourcegroups/${spec.resourceGroup}`,
        },
      },
      data: {
        environment: spec.environment,
        scopeLevel: 'Subscription',
        subscriptionId: spec.subscriptionId,
        subscriptionName: spec.subscriptionName,
        creationMode: spec.identity ? 'Manual' : 'Automatic',
      },
      serviceEndpointProjectReferences: [{ name: spec.name, description: '', projectReference: { id: project.id, name: project.name } }],
    }), RIGHT.endpoint);
    // Automatic creation registers an app in Entra first: poll until the connection is ready, bounded.
    let endpoint = created;
    const result = await poll<ServiceEndpoint>(async (n) => {
      if (n > 1) {
        const next = await call(`reading service connection ${spec.name}`, () => api.getServiceEndpointDetails(project.id, created.id!));
        if (!next) throw new DevOpsError(`service connection ${spec.name} disappeared while Azure DevOps was creating it`);
        endpoint = next;
      }
      const state = endpoint.operationStatus as { state?: string; statusMessage?: string } | undefined;
      if (state?.state === 'Failed') {
        throw new DevOpsError(`creating service connection ${spec.name}: Azure DevOps reports it failed: ${printable(state.statusMessage || 'no reason given')}`);
      }
      // Ready by either sign, as the Terraform provider waits (isReady, or operationStatus.state Ready).
      const ready = endpoint.isReady === true || state?.state?.toLowerCase() === 'ready';
      return ready ? { done: true, value: endpoint } : { done: false, value: endpoint };
    }, {
      attempts: 120,
      delayMs: (n) => Math.min(1000 * 2 ** (n - 1), 5000),
      budgetMs: this.options.readyTimeoutMs ?? 120_000,
      clock: this.options.clock,
    });
    if (!result.done) {
      const state = endpoint.operationStatus as { state?: string } | undefined;
      throw new DevOpsError(`service connection ${spec.name} was created but is not ready yet (state ${state?.state ?? 'unknown'})`);
    }
    return result.value;
  }

  async definition(project: string, name: string): Promise<BuildDefinitionReference | undefined> {
    const build = await this.client('getBuildApi', 'Azure Pipelines', () => this.api.getBuildApi());
    const found = await call(`reading pipeline ${name}`, () => build.getDefinitions(project, name));
    return found?.find((d) => d.name?.toLowerCase() === name.toLowerCase());
  }

  /** A YAML pipeline (build definition with process type 2) on the repository's azure-pipelines.yml. */
  async createYamlDefinition(project: ProjectRef, spec: PipelineSpec): Promise<BuildDefinition> {
    const build = await this.client('getBuildApi', 'Azure Pipelines', () => this.api.getBuildApi());
    const r = spec.repository;
    const repository = r.type === 'TfsGit'
      ? { type: 'TfsGit', id: r.id, name: r.name, defaultBranch: r.defaultBranch }
      : {
          type: 'GitHub', id: r.fullName, name: r.fullName, url: `https://github.com/${r.fullName}.git`,
          defaultBranch: r.defaultBranch, properties: { connectedServiceId: r.connectionId },
        };
    const definition = {
      name: spec.name,
      path: '\\',
      type: 2, // DefinitionType.Build
      queueStatus: 0, // DefinitionQueueStatus.Enabled
      process: { type: 2, yamlFilename: spec.yamlPath },
      queue: { id: spec.queueId },
      repository,
      // Triggers come from the YAML's trigger:/pr: sections.
      triggers: [{ triggerType: 2, settingsSourceType: 2, branchFilters: [], pathFilters: [], batchChanges: false, maxConcurrentBuildsPerBranch: 1 }],
    } as unknown as BuildDefinition;
    return call(`creating pipeline ${spec.name}`, () => build.createDefinition(definition, project.id), RIGHT.definition);
  }

  /**
   * May the pipeline use the resource without a "Permit" prompt? Either it is listed, or the resource is open to
   * every pipeline (allPipelines.authorized, ResourcePipelinePermissions of the pipelinePermissions spec).
   */
  async pipelineAuthorized(project: string, type: PermissionResource, id: string, pipelineId: number): Promise<boolean> {
    const result = await this.pipelinePermissions('GET', project, type, id);
    if (result?.allPipelines?.authorized === true) return true;
    return (result?.pipelines ?? []).some((p) => p.id === pipelineId && p.authorized);
  }

  async authorizePipeline(project: string, type: PermissionResource, id: string, pipelineId: number): Promise<void> {
    await this.pipelinePermissions('PATCH', project, type, id, { pipelines: [{ id: pipelineId, authorized: true }] });
  }

  private async pipelinePermissions(method: 'GET' | 'PATCH', project: string, type: PermissionResource, id: string, body?: unknown) {
    const what = `${method === 'GET' ? 'reading' : 'granting'} pipeline permissions on ${type} ${id}`;
    type Permissions = { allPipelines?: { authorized?: boolean }; pipelines?: { id: number; authorized: boolean }[] };
    return call(what, async () => {
      const { apiVersion, requestUrl } = await this.api.vsoClient.getVersioningData(
        PIPELINE_PERMISSIONS.version, PIPELINE_PERMISSIONS.area, PIPELINE_PERMISSIONS.locationId, { project, resourceType: type, resourceId: id });
      if (!requestUrl) throw new Error(`Azure DevOps did not offer the ${PIPELINE_PERMISSIONS.area} API`);
      const options = { acceptHeader: `application/json;api-version=${apiVersion}` };
      const res = method === 'GET'
        ? await this.api.rest.get<Permissions>(requestUrl, options)
        : await this.api.rest.update<Permissions>(requestUrl, body, options);
      return res.result;
    }, method === 'PATCH' ? RIGHT.permissions : undefined);
  }
}
