// A loopback HTTPS stand-in for the Azure DevOps REST calls `mta-sts azure setup` makes through the official
// azure-devops-node-api client: resource-area discovery (OPTIONS _apis/<area>, GET _apis/ResourceAreas), projects,
// Git repositories, agent queues, variable groups, build definitions, service endpoints and pipeline
// permissions. Each route names the published example it answers like (MicrosoftDocs/vsts-rest-api-specs,
// specification/<area>/<version>/httpExamples/...) and the azure-devops-node-api typing it must satisfy
// (node_modules/azure-devops-node-api/interfaces/*.d.ts). Errors carry Azure DevOps' own body, as users quote it:
// {"$id","innerException","message","typeName","typeKey","errorCode","eventId"} (see devopsErrorBody below).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHttps, type HttpsTestServer, type TestCA } from '../check/servers.ts';

/** A resource location as OPTIONS _apis/<area> lists it (VsoClient negotiates versions and builds URLs from it). */
interface ResourceLocation {
  id: string;
  area: string;
  resourceName: string;
  routeTemplate: string;
  resourceVersion: number;
  minVersion: string;
  maxVersion: string;
  releasedVersion: string;
}

const location = (id: string, area: string, resourceName: string, routeTemplate: string, resourceVersion: number): ResourceLocation =>
  ({ id, area, resourceName, routeTemplate, resourceVersion, minVersion: '1.0', maxVersion: '7.2', releasedVersion: '7.1' });

// Location ids as the client sends them (azure-devops-node-api *Api.js); route templates as Azure DevOps publishes them.
const AREAS: Record<string, { id?: string; locations: ResourceLocation[] }> = {
  // OPTIONS _apis/Location: one location, ResourceAreas, route _apis/{resource}/{areaId} (as Azure DevOps Services lists it).
  location: { locations: [location('e81700f7-3be2-46de-8624-2eb35882fcaa', 'Location', 'ResourceAreas', '_apis/{resource}/{areaId}', 1)] },
  core: { id: '79134c72-4a58-4b42-976c-04e7115f32bf', locations: [location('603fe2ac-9723-48b9-88ad-09305aa6c6e1', 'core', 'projects', '_apis/{resource}/{*projectId}', 4)] },
  git: { id: '4e080c62-fa21-4fbc-8fef-2a10a2b38049', locations: [location('225f7195-f9c7-4d14-ab28-a83f7ff77e1f', 'git', 'repositories', '{project}/_apis/{area}/{resource}/{repositoryId}', 2)] },
  build: { id: '965220d5-5bb9-42cf-8d67-9b146df2a5a4', locations: [location('dbeaf647-6167-421a-bda9-c9327b25e2e6', 'build', 'definitions', '{project}/_apis/{area}/{resource}/{definitionId}', 7)] },
  distributedtask: {
    id: 'a85b8835-c1a1-4aac-ae97-1c3d0ba72dbd',
    locations: [
      location('f5b09dd5-9d54-45a1-8b5a-1c8287d634cc', 'distributedtask', 'variablegroups', '{project}/_apis/{area}/{resource}/{groupId}', 2),
      location('ef5b7057-ffc3-4c77-bbad-c10b4a4abcc7', 'distributedtask', 'variablegroups', '_apis/{area}/{resource}/{groupId}', 2),
      location('900fa995-c559-4923-aae7-f8424fe4fbea', 'distributedtask', 'queues', '{project}/_apis/{area}/{resource}/{queueId}', 1),
      // TaskAgentApi.getResourceUsage: GET _apis/distributedtask/resourceusage?parallelismTag=&poolIsHosted=
      location('eae1d376-a8b1-4475-9041-1dfdbe8f0143', 'distributedtask', 'resourceusage', '_apis/{area}/{resource}', 2),
    ],
  },
  serviceendpoint: {
    id: '1814ab31-2f4f-4a9f-8761-f4d77dc5a5d7',
    locations: [
      location('e85f1c62-adfc-4b74-b618-11a150fb195e', 'serviceendpoint', 'endpoints', '{project}/_apis/{area}/{resource}/{endpointId}', 4),
      location('14e48fdc-2c8b-41ce-a0c3-e26f6cc55bd0', 'serviceendpoint', 'endpoints', '_apis/{area}/{resource}/{endpointId}', 4),
    ],
  },
  // specification/approvalsAndChecks/7.1/pipelinePermissions.json: area pipelinePermissions, its resource-area id.
  pipelinepermissions: {
    id: 'a81a0441-de52-4000-aa15-ff0e07bfbbaa',
    locations: [location('b5b9a4a4-e6cd-4096-853c-ab7d8b0c4eb2', 'pipelinePermissions', 'pipelinePermissions', '{project}/_apis/pipelines/{resource}/{resourceType}/{resourceId}', 1)],
  },
};

const USER = { displayName: 'Mail Admin', id: '3b3db741-9d03-4e32-a7c0-6c3dfc2013c1', uniqueName: 'admin@contoso.com', descriptor: 'aad.MWIzZGI3NDE' };

export interface Project { id: string; name: string; visibility?: 'private' | 'public' }
export interface Repository { id: string; name: string; projectId: string; defaultBranch: string }
export interface StoredVariableGroup {
  id: number;
  name: string;
  description: string;
  projectIds: string[];
  /** Values as stored, secrets included (the REST answers never return a secret's value). */
  variables: Record<string, { value: string; isSecret: boolean }>;
}
export interface StoredDefinition { id: number; name: string; projectId: string; body: Record<string, unknown> }
export interface StoredEndpoint {
  id: string;
  body: Record<string, unknown>;
  projectIds: string[];
  readyAfterGets: number;
  /** Automatic creation failed with this message (e.g. no right to register an app in Entra ID). */
  failed?: string;
  /** Automatic creation will fail with this message once readyAfterGets reads have passed (InProgress until then). */
  failsWith?: string;
}

/** Rights the signed-in user may lack; each missing one turns the matching call into Azure DevOps' 403. */
export type Right = 'variablegroups.create' | 'endpoints.create' | 'definitions.create' | 'pipelinepermissions.update';

export interface DevOpsEmulator {
  /** The organisation URL, as the user passes it: https://127.0.0.1:PORT/contoso */
  orgUrl: string;
  token: string;
  /** The Entra tenant the organisation is connected to: its 401s name it in X-VSS-ResourceTenant. */
  tenantId: string;
  /** The organisation's id: the subject of a workload identity federation connection names it. */
  organizationId: string;
  projects: Project[];
  repositories: Repository[];
  variableGroups: StoredVariableGroup[];
  definitions: StoredDefinition[];
  endpoints: StoredEndpoint[];
  /** `${resourceType}/${resourceId}` → pipeline id → authorized */
  permissions: Map<string, Map<number, boolean>>;
  /** `${resourceType}/${resourceId}` of resources open to every pipeline (allPipelines.authorized). */
  openToAllPipelines: Set<string>;
  denied: Set<Right>;
  /**
   * Automatic workload identity federation fails with this statusMessage (the caller may not register an app in
   * Entra ID: MicrosoftDocs/azure-devops-docs troubleshoot-workload-identity.md, "Insufficient privileges").
   */
  automaticFailsWith?: string;
  /**
   * Answers carry isReady false even once operationStatus.state is Ready (the Terraform provider waits on either:
   * microsoft/terraform-provider-azuredevops serviceendpoint/commons.go).
   */
  readyOnlyInOperationStatus?: boolean;
  /** Microsoft-hosted parallel jobs of the organisation: 0 for a new one until its free grant is approved. */
  hostedParallelJobs: number;
  /** Every request with its body, for assertions ("a second run changes nothing"). */
  requests: { method: string; path: string; body: string }[];
  /** Requests that changed something (POST, PUT, PATCH, DELETE). */
  writes(): { method: string; path: string; body: string }[];
  close(): Promise<void>;
}

export interface DevOpsEmulatorOptions {
  org?: string;
  token?: string;
  tenantId?: string;
  projects?: string[];
  repositories?: { name: string; project: string; defaultBranch?: string }[];
}

/**
 * The .NET exception behind each typeKey, as `typeName` names it ("Namespace.Type, Assembly"). Sources: users'
 * reports of the exact bodies — UnauthorizedRequestException (Azure/azure-cli#27089, #29250), AccessCheckException
 * (microsoft/vscode-vsce reports of "Access Denied: The Personal Access Token used has expired."),
 * DuplicateServiceConnectionException (answered with HTTP 500, as scripts that create connections expect),
 * VariableGroupExistsException (HTTP 409 in the distributed-task exception map) — and the namespaces of the
 * azure-devops-node-api areas for the rest.
 */
const TYPE_NAMES: Record<string, string> = {
  UnauthorizedRequestException: 'Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server',
  AccessCheckException: 'Microsoft.VisualStudio.Services.Security.AccessCheckException, Microsoft.VisualStudio.Services.WebApi',
  ProjectDoesNotExistWithNameException: 'Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistWithNameException, Microsoft.TeamFoundation.Core.WebApi',
  GitRepositoryNotFoundException: 'Microsoft.TeamFoundation.Git.Server.GitRepositoryNotFoundException, Microsoft.TeamFoundation.Git.Server',
  VariableGroupExistsException: 'Microsoft.TeamFoundation.DistributedTask.WebApi.VariableGroupExistsException, Microsoft.TeamFoundation.DistributedTask.WebApi',
  VariableGroupNotFoundException: 'Microsoft.TeamFoundation.DistributedTask.WebApi.VariableGroupNotFoundException, Microsoft.TeamFoundation.DistributedTask.WebApi',
  DuplicateServiceConnectionException: 'Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.DuplicateServiceConnectionException, Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi',
  ServiceEndpointNotFoundException: 'Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.ServiceEndpointNotFoundException, Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi',
  DefinitionExistsException: 'Microsoft.TeamFoundation.Build.WebApi.DefinitionExistsException, Microsoft.TeamFoundation.Build2.WebApi',
  BuildQueueNotFoundException: 'Microsoft.TeamFoundation.Build.WebApi.BuildQueueNotFoundException, Microsoft.TeamFoundation.Build2.WebApi',
  VssVersionNotSpecifiedException: 'Microsoft.VisualStudio.Services.WebApi.VssVersionNotSpecifiedException, Microsoft.VisualStudio.Services.WebApi',
  VssVersionOutOfRangeException: 'Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException, Microsoft.VisualStudio.Services.WebApi',
  ArgumentException: 'System.ArgumentException, mscorlib',
  ResourceNotFoundException: 'Microsoft.Azure.Pipelines.Authorization.WebApi.ResourceNotFoundException, Microsoft.Azure.Pipelines.Authorization.WebApi',
};

/** Azure DevOps' error body: {"$id","innerException","message","typeName","typeKey","errorCode","eventId"}. */
export function devopsErrorBody(typeKey: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $id: '1',
    ...extra,
    innerException: null,
    message,
    typeName: TYPE_NAMES[typeKey] ?? `Microsoft.VisualStudio.Services.WebApi.${typeKey}, Microsoft.VisualStudio.Services.WebApi`,
    typeKey,
    errorCode: 0,
    eventId: 3000,
  };
}

/** A name filter as Azure DevOps reads it: `*` matches anything, case-insensitive. */
function namePattern(wanted: string | null): RegExp | undefined {
  if (!wanted) return undefined;
  const escape = (x: string) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp('^' + wanted.split('*').map(escape).join('.*') + '$', 'i');
}

class HttpError extends Error {
  constructor(readonly status: number, readonly typeKey: string, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

export async function startDevOpsEmulator(ca: TestCA, options: DevOpsEmulatorOptions = {}): Promise<DevOpsEmulator> {
  const server: HttpsTestServer = await startHttps(await ca.issue({ names: ['localhost'], ips: ['127.0.0.1'] }));
  const org = options.org ?? 'contoso';
  const projects = (options.projects ?? ['mail']).map((name) => ({ id: randomUUID(), name }));
  const projectByName = (name: string) => projects.find((p) => p.name.toLowerCase() === decodeURIComponent(name).toLowerCase() || p.id === name);
  const state: DevOpsEmulator = {
    orgUrl: `https://127.0.0.1:${server.port}/${org}`,
    token: options.token ?? 'devops-test-token',
    tenantId: options.tenantId ?? '4a1c8f3e-2b7d-4e96-9f0a-6d5e3c2b1a90',
    organizationId: randomUUID(),
    projects,
    repositories: (options.repositories ?? [{ name: 'mta-sts', project: projects[0]!.name }]).map((r) => ({
      id: randomUUID(), name: r.name, projectId: projectByName(r.project)!.id, defaultBranch: r.defaultBranch ?? 'refs/heads/main',
    })),
    variableGroups: [],
    definitions: [],
    endpoints: [],
    permissions: new Map(),
    openToAllPipelines: new Set(),
    denied: new Set(),
    hostedParallelJobs: 1,
    requests: [],
    writes: () => state.requests.filter((r) => r.method !== 'GET' && r.method !== 'OPTIONS'),
    close: () => server.close(),
  };
  const orgBase = `${state.orgUrl}/`;
  const queues = new Map<string, { id: number; name: string; pool: { id: number; name: string; isHosted: boolean } }>(projects.map((p, i) => [p.id, { id: 10 + i, name: 'Azure Pipelines', pool: { id: 9, name: 'Azure Pipelines', isHosted: true } }]));
  let nextGroupId = 1;
  let nextDefinitionId = 1;

  const project = (name: string): Project => {
    const p = projectByName(name);
    if (!p) throw new HttpError(404, 'ProjectDoesNotExistWithNameException', `TF200016: The following project does not exist: ${decodeURIComponent(name)}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`);
    return p;
  };
  // 403 AccessCheckException with its customProperties, the body users quote (microsoft/vscode-vsce reports).
  const deny = (right: Right, what: string) => {
    if (state.denied.has(right)) {
      throw new HttpError(403, 'AccessCheckException', `Access denied. ${USER.displayName} needs ${what} permissions to perform the action. For more information, contact the Azure DevOps Server administrator.`, {
        customProperties: { Descriptor: null, IdentityDisplayName: null, Token: null, RequestedPermissions: 0, NamespaceId: '00000000-0000-0000-0000-000000000000' },
      });
    }
  };
  // Entra's subject of a workload identity federation connection: /eid1/c/pub/t/{tenant}/a/{Azure DevOps app}/sc/{org id}/{connection id},
  // GUIDs as base64url of their little-endian bytes (MicrosoftDocs/azure-devops-docs convert-service-connections.md:
  // the Entra issuer https://login.microsoftonline.com/{tenant}/v2.0 replaces https://vstoken.dev.azure.com/{org id}).
  const guid64 = (g: string) => {
    const hex = g.replace(/-/g, '');
    const bytes = Buffer.from(hex, 'hex');
    const le = Buffer.concat([Buffer.from(bytes.subarray(0, 4)).reverse(), Buffer.from(bytes.subarray(4, 6)).reverse(), Buffer.from(bytes.subarray(6, 8)).reverse(), bytes.subarray(8)]);
    return le.toString('base64url');
  };
  const federation = (tenant: string, endpointId: string) => ({
    workloadIdentityFederationIssuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
    workloadIdentityFederationIssuerType: 'EntraID',
    workloadIdentityFederationSubject: `/eid1/c/pub/t/${guid64(tenant)}/a/${guid64('499b84ac-1321-427f-aa17-267ca6975798')}/sc/${state.organizationId}/${endpointId}`,
  });

  // VariableGroup (TaskAgentInterfaces.d.ts): specification/distributedTask/7.2/httpExamples/variablegroups/POST_CreateVariableGroup.json
  // — a secret's value comes back null, with isSecret true; a plain variable has no isSecret.
  const groupView = (g: StoredVariableGroup) => ({
    variables: Object.fromEntries(Object.entries(g.variables).map(([k, v]) => [k, v.isSecret ? { value: null, isSecret: true } : { value: v.value }])),
    id: g.id,
    type: 'Vsts',
    name: g.name,
    description: g.description,
    createdBy: USER,
    createdOn: '2026-12-01T08:00:00.000Z',
    modifiedBy: USER,
    modifiedOn: '2026-12-01T08:00:00.000Z',
    isShared: false,
    variableGroupProjectReferences: g.projectIds.map((id) => ({
      projectReference: { id, name: projects.find((p) => p.id === id)?.name }, name: g.name, description: g.description,
    })),
  });

  // PUT replaces the whole set: a variable not sent is deleted (MicrosoftDocs/vsts-rest-api-specs#235).
  const readGroupBody = (body: Record<string, unknown>, existing?: StoredVariableGroup): StoredVariableGroup => {
    const refs = body.variableGroupProjectReferences as { projectReference?: { id?: string } }[] | undefined;
    const projectIds = (refs ?? []).map((r) => r.projectReference?.id).filter((id): id is string => !!id && projects.some((p) => p.id === id));
    if (projectIds.length === 0) throw new HttpError(400, 'ArgumentException', 'Variable group must be shared with at least one project: variableGroupProjectReferences is empty.');
    if (typeof body.name !== 'string' || !/^[^\\/:*?"<>|]{1,100}$/.test(body.name)) throw new HttpError(400, 'ArgumentException', 'Variable group name is invalid.');
    const variables: StoredVariableGroup['variables'] = {};
    for (const [name, v] of Object.entries((body.variables ?? {}) as Record<string, { value?: string | null; isSecret?: boolean }>)) {
      const isSecret = v.isSecret === true;
      // Azure DevOps keeps a secret's stored value when an update sends it back as null.
      const value = v.value ?? (isSecret ? existing?.variables[name]?.value : undefined) ?? '';
      variables[name] = { value, isSecret };
    }
    return { id: existing?.id ?? nextGroupId++, name: body.name, description: String(body.description ?? ''), projectIds, variables };
  };

  const definitionReference = (d: StoredDefinition) => ({
    ...d.body,
    id: d.id,
    name: d.name,
    url: `${orgBase}${d.projectId}/_apis/build/Definitions/${d.id}?revision=1`,
    uri: `vstfs:///Build/Definition/${d.id}`,
    path: '\\',
    type: 'build',
    queueStatus: 'enabled',
    revision: 1,
    project: { id: d.projectId, name: projects.find((p) => p.id === d.projectId)?.name, state: 'wellFormed', visibility: 'private' },
    authoredBy: USER,
    createdDate: '2026-12-01T08:00:00.000Z',
    quality: 'definition',
  });

  // ServiceEndpoint (ServiceEndpointInterfaces.d.ts): specification/serviceEndpoint/7.2/httpExamples/endpoints/CreateAzureRMEndpoint.json
  // and 6.1/httpExamples/endpoints/GetServiceEndpointDetails.json (owner "Library", secrets null). operationStatus is
  // `any` in the typings; Azure DevOps fills it with {state: "Ready" | "InProgress" | "Failed", statusMessage}, the
  // states microsoft/terraform-provider-azuredevops serviceendpoint/commons.go waits on.
  const endpointView = (e: StoredEndpoint) => {
    const ready = !e.failed && e.readyAfterGets <= 0;
    const auth = e.body.authorization as { scheme?: string; parameters?: Record<string, string | null> } | undefined;
    const secret = /^(serviceprincipalkey|password|accesstoken|apitoken)$/i;
    return {
      ...e.body,
      authorization: auth && { ...auth, parameters: auth.parameters && Object.fromEntries(Object.entries(auth.parameters).map(([k, v]) => [k, secret.test(k) ? null : v])) },
      id: e.id,
      isReady: ready && !state.readyOnlyInOperationStatus,
      operationStatus: e.failed ? { state: 'Failed', statusMessage: e.failed } : ready ? { state: 'Ready', statusMessage: '' } : { state: 'InProgress', statusMessage: '' },
      createdBy: USER,
      owner: 'Library',
      isShared: false,
      isOutdated: false,
    };
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', orgBase);
    const method = req.method ?? 'GET';
    const prefix = `/${org}/`;
    if (!url.pathname.startsWith(prefix)) throw new HttpError(404, 'NotFound', `The resource cannot be found: ${url.pathname}`);
    if (req.headers.authorization !== `Bearer ${state.token}`) {
      // A token Azure DevOps does not accept here (another tenant's, or of a non-member): 401 with TF400813 naming
      // the caller's id, on every call including OPTIONS discovery (Azure/azure-cli#27089, #29250), and the
      // organisation's tenant in X-VSS-ResourceTenant and the Bearer challenge (Git Credential Manager reads it there).
      const caller = req.headers.authorization?.startsWith('Bearer ') ? 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' : '';
      res.writeHead(401, {
        'content-type': 'application/json; charset=utf-8',
        'www-authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/${state.tenantId}, Basic realm="https://tfsprodweu5.visualstudio.com/"`,
        'x-vss-resourcetenant': state.tenantId,
      }).end(JSON.stringify(devopsErrorBody('UnauthorizedRequestException', `TF400813: The user '${caller}' is not authorized to access this resource.`)));
      return;
    }
    if (method !== 'OPTIONS') {
      // Every REST call names its version, in the Accept header (as the client does) or the query.
      const version = /api-version=([0-9.]+)/.exec(String(req.headers.accept ?? ''))?.[1] ?? url.searchParams.get('api-version')?.match(/^[0-9.]+/)?.[0];
      if (!version) {
        throw new HttpError(400, 'VssVersionNotSpecifiedException', `No api-version was supplied for the "${method}" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. "?api-version=1.0").`);
      }
      if (Number(version) > 7.2) {
        throw new HttpError(400, 'VssVersionOutOfRangeException', `The requested REST API version of ${version} is out of range for this server. The latest REST API version for this server is 7.2.`);
      }
    }
    const path = url.pathname.slice(prefix.length).split('/').filter(Boolean);
    const json = () => (body ? JSON.parse(body) as Record<string, unknown> : {});
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8; api-version=7.2' }).end(JSON.stringify(value));
    };
    const list = (values: unknown[]) => send(200, { count: values.length, value: values });
    const lower = path.map((s) => s.toLowerCase());

    // Discovery: OPTIONS _apis/<area> lists ApiResourceLocation (azure-devops-node-api interfaces/common/VsoBaseInterfaces.d.ts)
    // as {count, value}; GET _apis/ResourceAreas lists {id, name, locationUrl} (interfaces/LocationsInterfaces.d.ts ResourceAreaInfo).
    if (method === 'OPTIONS' && lower[0] === '_apis' && path.length === 2) {
      const area = AREAS[lower[1]!];
      return list(area ? area.locations : []);
    }
    if (method === 'GET' && lower[0] === '_apis' && lower[1] === 'resourceareas') {
      return list(Object.entries(AREAS).filter(([, a]) => a.id).map(([name, a]) => ({ id: a.id, name, locationUrl: orgBase })));
    }
    // TeamProject (CoreInterfaces.d.ts): specification/core/5.0/httpExamples/projects/GET__projects__projectName_.json,
    // plus visibility (core.json 7.1); an unknown name is 404 TF200016 (the client turns any 404 into null).
    if (method === 'GET' && lower[0] === '_apis' && lower[1] === 'projects' && path[2]) {
      const p = project(path.slice(2).join('/'));
      return send(200, {
        id: p.id, name: p.name, url: `${orgBase}_apis/projects/${p.id}`, description: '', state: 'wellFormed', revision: 11, visibility: p.visibility ?? 'private',
        _links: { self: { href: `${orgBase}_apis/projects/${p.id}` }, web: { href: `${orgBase}${encodeURIComponent(p.name)}` } },
        defaultTeam: { id: randomUUID(), name: `${p.name} Team`, url: `${orgBase}_apis/projects/${p.id}/teams` },
        lastUpdateTime: '2026-11-01T00:00:00Z',
      });
    }

    // ResourceUsage {resourceLimit, usedCount, usedMinutes, runningRequests} (TaskAgentInterfaces.d.ts; the
    // ResourceUsage definition of specification/distributedTask/7.1/taskAgent.json): GET
    // _apis/distributedtask/resourceusage?parallelismTag=Private|Public&poolIsHosted=true — the org's hosted limit.
    if (method === 'GET' && lower[0] === '_apis' && lower[1] === 'distributedtask' && lower[2] === 'resourceusage') {
      const tag = url.searchParams.get('parallelismTag') ?? 'Private';
      const hosted = url.searchParams.get('poolIsHosted') === 'true';
      const total = hosted ? state.hostedParallelJobs : 1;
      return send(200, {
        resourceLimit: { parallelismTag: tag, isHosted: hosted, isPremium: false, totalCount: total, totalMinutes: hosted && total > 0 ? 1800 : 0, failedToReachAllProviders: false, resourceLimitsData: {} },
        usedCount: 0, usedMinutes: 0, runningRequests: [],
      });
    }

    // Organisation-level variable groups (POST creates, PUT replaces): specification/distributedTask/7.2/httpExamples/variablegroups/POST_CreateVariableGroup.json
    // (POST _apis/distributedtask/variablegroups with variableGroupProjectReferences); PUT _apis/distributedtask/variablegroups/{groupId}
    // answers the same VariableGroup (4.1/httpExamples/variablegroups/PUT_UpdateVariableGroup.json).
    if (lower[0] === '_apis' && lower[1] === 'distributedtask' && lower[2] === 'variablegroups') {
      const body = json();
      if (method === 'POST') {
        deny('variablegroups.create', 'Administrator (Library)');
        const group = readGroupBody(body);
        // A name taken in one of the projects: 409 VariableGroupExistsException (Conflict in the distributed-task exception map).
        if (state.variableGroups.some((g) => g.name.toLowerCase() === group.name.toLowerCase() && g.projectIds.some((id) => group.projectIds.includes(id)))) {
          nextGroupId--;
          throw new HttpError(409, 'VariableGroupExistsException', `Variable group '${group.name}' already exists.`);
        }
        state.variableGroups.push(group);
        return send(200, groupView(group));
      }
      if (method === 'PUT' && path[3]) {
        const existing = state.variableGroups.find((g) => g.id === Number(path[3]));
        if (!existing) throw new HttpError(404, 'VariableGroupNotFoundException', `Variable group ${path[3]} could not be found.`);
        const group = readGroupBody(body, existing);
        Object.assign(existing, group);
        return send(200, groupView(existing));
      }
    }
    // POST _apis/serviceendpoint/endpoints: specification/serviceEndpoint/7.2/httpExamples/endpoints/CreateAzureRMEndpoint.json.
    if (lower[0] === '_apis' && lower[1] === 'serviceendpoint' && lower[2] === 'endpoints' && method === 'POST') {
      const body = json();
      deny('endpoints.create', 'Creator (Service connections)');
      const refs = (body.serviceEndpointProjectReferences ?? []) as { projectReference?: { id?: string }; name?: string }[];
      const projectIds = refs.map((r) => r.projectReference?.id).filter((id): id is string => !!id && projects.some((p) => p.id === id));
      if (projectIds.length === 0) throw new HttpError(400, 'ArgumentException', 'serviceEndpointProjectReferences must name an existing project.');
      const name = String(body.name ?? '');
      // A name taken in the project: Azure DevOps answers 500 (not 409) with DuplicateServiceConnectionException.
      if (state.endpoints.some((e) => String(e.body.name).toLowerCase() === name.toLowerCase() && e.projectIds.some((id) => projectIds.includes(id)))) {
        throw new HttpError(500, 'DuplicateServiceConnectionException', `A service connection with name ${name} already exists. Use a different name.`);
      }
      const id = randomUUID();
      const stored: StoredEndpoint = { id, body: structuredClone(body), projectIds, readyAfterGets: 0 };
      const auth = stored.body.authorization as { scheme?: string; parameters?: Record<string, string> } | undefined;
      const data = (stored.body.data ?? {}) as Record<string, string>;
      if (auth?.scheme === 'WorkloadIdentityFederation' && data.creationMode === 'Automatic') {
        // Automatic: Azure DevOps creates the app registration and its federated credential, then the endpoint is ready.
        auth.parameters = { ...auth.parameters, serviceprincipalid: randomUUID(), ...federation(String(auth.parameters?.tenantid), id) };
        stored.readyAfterGets = 1;
        stored.failsWith = state.automaticFailsWith;
      } else if (auth?.scheme === 'WorkloadIdentityFederation' && data.creationMode === 'Manual') {
        // Manual (microsoft/azure-pipelines-tasks docs/service-connections/azure-oidc/manual-configuration.md): the
        // caller names the identity (serviceprincipalid = its client id); Azure DevOps only adds the issuer and
        // subject the identity must trust, and the connection is ready at once.
        auth.parameters = { ...auth.parameters, ...federation(String(auth.parameters?.tenantid), id) };
      }
      state.endpoints.push(stored);
      return send(200, endpointView(stored));
    }

    // Project-level routes: {project}/_apis/...
    if (lower[1] !== '_apis') throw new HttpError(404, 'NotFound', `The resource cannot be found: ${url.pathname}`);
    const p = project(path[0]!);
    const [area, resource, ...rest] = lower.slice(2);
    // GitRepository (GitInterfaces.d.ts): specification/git/4.1/httpExamples/repositories/GET__git_repositories__repositoryId_.json;
    // an unknown name is 404 TF401019 (null through the client).
    if (method === 'GET' && area === 'git' && resource === 'repositories' && rest[0]) {
      const key = decodeURIComponent(path[4]!).toLowerCase();
      const r = state.repositories.find((x) => x.projectId === p.id && (x.name.toLowerCase() === key || x.id === key));
      if (!r) throw new HttpError(404, 'GitRepositoryNotFoundException', `TF401019: The Git repository with name or identifier ${decodeURIComponent(path[4]!)} does not exist or you do not have permissions for the operation you are attempting.`);
      return send(200, {
        id: r.id, name: r.name, url: `${orgBase}${p.id}/_apis/git/repositories/${r.id}`,
        project: { id: p.id, name: p.name, state: 'wellFormed' }, defaultBranch: r.defaultBranch, size: 1024,
        remoteUrl: `${orgBase}${p.name}/_git/${r.name}`, webUrl: `${orgBase}${p.name}/_git/${r.name}`, isDisabled: false,
        _links: { self: { href: `${orgBase}${p.id}/_apis/git/repositories/${r.id}` }, web: { href: `${orgBase}${p.name}/_git/${r.name}` } },
      });
    }
    // TaskAgentQueue list (TaskAgentInterfaces.d.ts): specification/distributedTask/5.0/httpExamples/queues/GET__distributedtask_queues.json.
    if (method === 'GET' && area === 'distributedtask' && resource === 'queues') {
      const q = queues.get(p.id)!;
      const wanted = url.searchParams.get('queueName');
      return list(!wanted || wanted.toLowerCase() === q.name.toLowerCase() ? [{ ...q, projectId: p.id }] : []);
    }
    // specification/distributedTask/5.2/httpExamples/variablegroups/GET_VariableGroupsByGroupName.json: groupName is a
    // pattern ("Test*"), {count, value}.
    if (method === 'GET' && area === 'distributedtask' && resource === 'variablegroups') {
      const pattern = namePattern(url.searchParams.get('groupName'));
      return list(state.variableGroups.filter((g) => g.projectIds.includes(p.id) && (!pattern || pattern.test(g.name))).map(groupView));
    }
    // BuildDefinition (BuildInterfaces.d.ts): specification/build/4.1/httpExamples/definitions/POST__build_definitions.json
    // (repository type written "tfsgit" there: the service takes any casing); GET ?name= lists references.
    if (area === 'build' && resource === 'definitions') {
      if (method === 'GET' && !rest[0]) {
        // name is a pattern, like groupName (azure-devops-node-api BuildApi.d.ts getDefinitions: "filters to definitions whose names match this pattern").
        const pattern = namePattern(url.searchParams.get('name'));
        return list(state.definitions.filter((d) => d.projectId === p.id && (!pattern || pattern.test(d.name))).map(definitionReference));
      }
      if (method === 'POST') {
        const body = json();
        deny('definitions.create', 'Edit build pipeline');
        const name = String(body.name ?? '');
        if (state.definitions.some((d) => d.projectId === p.id && d.name.toLowerCase() === name.toLowerCase())) {
          throw new HttpError(409, 'DefinitionExistsException', `The build pipeline ${name} already exists in folder \\.`);
        }
        const process = body.process as { type?: number; yamlFilename?: string } | undefined;
        if (process?.type !== 2 || !process.yamlFilename) throw new HttpError(400, 'ArgumentException', 'A YAML pipeline needs process.type 2 and process.yamlFilename.');
        const repo = body.repository as { id?: string; type?: string; properties?: { connectedServiceId?: string } } | undefined;
        if (repo?.type?.toLowerCase() === 'tfsgit') {
          if (!state.repositories.some((r) => r.id === repo.id)) throw new HttpError(404, 'GitRepositoryNotFoundException', `TF401019: The Git repository with name or identifier ${repo.id} does not exist.`);
        } else if (repo?.type?.toLowerCase() === 'github') {
          const connection = state.endpoints.find((e) => e.id === repo.properties?.connectedServiceId && String(e.body.type).toLowerCase() === 'github');
          if (!connection) throw new HttpError(400, 'ServiceEndpointNotFoundException', `Service connection ${repo.properties?.connectedServiceId} for the GitHub repository could not be found.`);
        } else {
          throw new HttpError(400, 'ArgumentException', `Unsupported repository type ${repo?.type}.`);
        }
        const queue = body.queue as { id?: number } | undefined;
        if (queue?.id !== queues.get(p.id)!.id) throw new HttpError(400, 'BuildQueueNotFoundException', 'No agent queue was found with identifier ' + queue?.id + '.');
        const d: StoredDefinition = { id: nextDefinitionId++, name, projectId: p.id, body };
        state.definitions.push(d);
        return send(200, definitionReference(d));
      }
    }
    // GET {project}/_apis/serviceendpoint/endpoints/{id}: specification/serviceEndpoint/6.1/httpExamples/endpoints/GetServiceEndpointDetails.json;
    // ?endpointNames=: 6.0/httpExamples/endpoints/GetServiceEndpointsByName.json ({count, value}; failed ones only with includeFailed).
    if (area === 'serviceendpoint' && resource === 'endpoints' && method === 'GET') {
      if (rest[0]) {
        const e = state.endpoints.find((x) => x.id === path[4] && x.projectIds.includes(p.id));
        if (!e) return send(200, null); // an unknown id gives an empty result, not an error
        const view = endpointView(e);
        e.readyAfterGets--;
        if (e.readyAfterGets <= 0 && e.failsWith) e.failed = e.failsWith;
        return send(200, view);
      }
      const names = (url.searchParams.get('endpointNames') ?? '').split(',').filter(Boolean).map((n) => n.toLowerCase());
      const includeFailed = url.searchParams.get('includeFailed') === 'true';
      return list(state.endpoints.filter((e) => e.projectIds.includes(p.id) && (includeFailed || !e.failed) && (names.length === 0 || names.includes(String(e.body.name).toLowerCase()))).map(endpointView));
    }
    // ResourcePipelinePermissions {resource, allPipelines?, pipelines}: specification/approvalsAndChecks/7.0/httpExamples/
    // pipelinePermissions/GET__GetPipelinePermissionsForResource.json and 7.1/.../PATCH__UpdatePipelinePermissionsForResource.json;
    // allPipelines is the Permission of 7.1/pipelinePermissions.json ("open access" in the portal).
    if (area === 'pipelines' && resource === 'pipelinepermissions' && rest.length === 2) {
      const [type, id] = [rest[0]!, decodeURIComponent(path[5]!)];
      const known = type === 'variablegroup'
        ? state.variableGroups.some((g) => String(g.id) === id && g.projectIds.includes(p.id))
        : type === 'endpoint' ? state.endpoints.some((e) => e.id === id && e.projectIds.includes(p.id)) : false;
      if (!known) throw new HttpError(404, 'ResourceNotFoundException', `Resource ${type} with id ${id} does not exist or you do not have access.`);
      const key = `${type}/${id}`;
      const view = () => ({
        resource: { type, id },
        ...(state.openToAllPipelines.has(key) ? { allPipelines: { authorized: true, authorizedBy: USER, authorizedOn: '2026-12-01T08:00:00.000Z' } } : {}),
        pipelines: [...(state.permissions.get(key) ?? new Map()).entries()].filter(([, a]) => a).map(([pid]) => ({
          id: pid, authorized: true, authorizedBy: USER, authorizedOn: '2026-12-01T08:00:00.000Z',
        })),
      });
      if (method === 'GET') return send(200, view());
      if (method === 'PATCH') {
        deny('pipelinepermissions.update', 'Administrator (on the resource)');
        const body = json() as { pipelines?: { id: number; authorized: boolean }[]; allPipelines?: { authorized?: boolean } };
        if (body.allPipelines) {
          if (body.allPipelines.authorized) state.openToAllPipelines.add(key);
          else state.openToAllPipelines.delete(key);
        }
        const entry = state.permissions.get(key) ?? new Map<number, boolean>();
        for (const pipeline of body.pipelines ?? []) {
          if (!state.definitions.some((d) => d.id === pipeline.id)) throw new HttpError(400, 'ArgumentException', `Pipeline ${pipeline.id} does not exist.`);
          entry.set(pipeline.id, pipeline.authorized);
        }
        state.permissions.set(key, entry);
        return send(200, view());
      }
    }
    throw new HttpError(404, 'NotFound', `The resource cannot be found: ${method} ${url.pathname}`);
  }

  server.handlers.set('127.0.0.1', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method ?? 'GET', path: req.url ?? '', body });
      handle(req, res, body).catch((e: unknown) => {
        const error = e instanceof HttpError ? e : new HttpError(500, 'Exception', (e as Error).message);
        res.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(devopsErrorBody(error.typeKey, error.message, error.extra)));
      });
    });
  });
  return state;
}
