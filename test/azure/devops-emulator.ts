// A loopback HTTPS stand-in for the Azure DevOps REST calls `mta-sts azure setup` makes through the official
// azure-devops-node-api client: resource-area discovery (OPTIONS _apis/<area>, GET _apis/ResourceAreas), projects,
// Git repositories, agent queues, variable groups, build definitions, service endpoints and pipeline
// permissions. Shapes follow the REST docs (MicrosoftDocs/vsts-rest-api-specs httpExamples) and the client's
// interface .d.ts files; errors are Azure DevOps' own: 401 without the bearer token, 403 where the caller lacks a
// right, 404 for an unknown name, 409 for a name that exists.
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
  pipelinepermissions: {
    locations: [location('b5b9a4a4-e6cd-4096-853c-ab7d8b0c4eb2', 'pipelinePermissions', 'pipelinePermissions', '{project}/_apis/pipelines/{resource}/{resourceType}/{resourceId}', 1)],
  },
};

const USER = { displayName: 'Mail Admin', id: '3b3db741-9d03-4e32-a7c0-6c3dfc2013c1', uniqueName: 'admin@contoso.com', descriptor: 'aad.MWIzZGI3NDE' };

export interface Project { id: string; name: string }
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
}

/** Rights the signed-in user may lack; each missing one turns the matching call into Azure DevOps' 403. */
export type Right = 'variablegroups.create' | 'endpoints.create' | 'definitions.create' | 'pipelinepermissions.update';

export interface DevOpsEmulator {
  /** The organisation URL, as the user passes it: https://127.0.0.1:PORT/contoso */
  orgUrl: string;
  token: string;
  projects: Project[];
  repositories: Repository[];
  variableGroups: StoredVariableGroup[];
  definitions: StoredDefinition[];
  endpoints: StoredEndpoint[];
  /** `${resourceType}/${resourceId}` → pipeline id → authorized */
  permissions: Map<string, Map<number, boolean>>;
  denied: Set<Right>;
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
  projects?: string[];
  repositories?: { name: string; project: string; defaultBranch?: string }[];
}

class HttpError extends Error {
  constructor(readonly status: number, readonly typeKey: string, message: string) {
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
    projects,
    repositories: (options.repositories ?? [{ name: 'mta-sts', project: projects[0]!.name }]).map((r) => ({
      id: randomUUID(), name: r.name, projectId: projectByName(r.project)!.id, defaultBranch: r.defaultBranch ?? 'refs/heads/main',
    })),
    variableGroups: [],
    definitions: [],
    endpoints: [],
    permissions: new Map(),
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
  const deny = (right: Right, what: string) => {
    if (state.denied.has(right)) {
      throw new HttpError(403, 'AccessCheckException', `Access denied. ${USER.displayName} needs ${what} permissions to perform the action. For more information, contact the Azure DevOps Server administrator.`);
    }
  };

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

  const endpointView = (e: StoredEndpoint) => {
    const ready = !e.failed && e.readyAfterGets <= 0;
    return {
      ...e.body,
      id: e.id,
      isReady: ready,
      operationStatus: e.failed ? { state: 'Failed', statusMessage: e.failed } : ready ? { state: 'Ready', statusMessage: '' } : { state: 'InProgress', statusMessage: '' },
      createdBy: USER,
      owner: 'library',
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
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer authorization_uri=https://login.microsoftonline.com/common' }).end('TF400813: The user is not authorized to access this resource.');
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

    // Discovery: OPTIONS _apis/<area> and GET _apis/ResourceAreas.
    if (method === 'OPTIONS' && lower[0] === '_apis' && path.length === 2) {
      const area = AREAS[lower[1]!];
      return list(area ? area.locations : []);
    }
    if (method === 'GET' && lower[0] === '_apis' && lower[1] === 'resourceareas') {
      return list(Object.entries(AREAS).filter(([, a]) => a.id).map(([name, a]) => ({ id: a.id, name, locationUrl: orgBase })));
    }
    if (method === 'GET' && lower[0] === '_apis' && lower[1] === 'projects' && path[2]) {
      const p = project(path.slice(2).join('/'));
      return send(200, { id: p.id, name: p.name, url: `${orgBase}_apis/projects/${p.id}`, state: 'wellFormed', revision: 11, visibility: 'private', lastUpdateTime: '2026-11-01T00:00:00Z' });
    }

    // ResourceUsage (azure-devops-node-api TaskAgentInterfaces.ResourceUsage): the hosted limit for the tag.
    if (method === 'GET' && lower[0] === '_apis' && lower[1] === 'distributedtask' && lower[2] === 'resourceusage') {
      const tag = url.searchParams.get('parallelismTag') ?? 'Private';
      const hosted = url.searchParams.get('poolIsHosted') === 'true';
      const total = hosted ? state.hostedParallelJobs : 1;
      return send(200, {
        resourceLimit: { parallelismTag: tag, isHosted: hosted, isPremium: false, totalCount: total, totalMinutes: hosted && total > 0 ? 1800 : 0, failedToReachAllProviders: false, resourceLimitsData: {} },
        usedCount: 0, usedMinutes: 0, runningRequests: [],
      });
    }

    // Organisation-level variable groups and service endpoints (POST creates, PUT replaces).
    if (lower[0] === '_apis' && lower[1] === 'distributedtask' && lower[2] === 'variablegroups') {
      const body = json();
      if (method === 'POST') {
        deny('variablegroups.create', 'Administrator (Library)');
        const group = readGroupBody(body);
        if (state.variableGroups.some((g) => g.name.toLowerCase() === group.name.toLowerCase() && g.projectIds.some((id) => group.projectIds.includes(id)))) {
          nextGroupId--;
          throw new HttpError(409, 'VariableGroupExistsException', `Variable group with name ${group.name} already exists.`);
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
    if (lower[0] === '_apis' && lower[1] === 'serviceendpoint' && lower[2] === 'endpoints' && method === 'POST') {
      const body = json();
      deny('endpoints.create', 'Creator (Service connections)');
      const refs = (body.serviceEndpointProjectReferences ?? []) as { projectReference?: { id?: string }; name?: string }[];
      const projectIds = refs.map((r) => r.projectReference?.id).filter((id): id is string => !!id && projects.some((p) => p.id === id));
      if (projectIds.length === 0) throw new HttpError(400, 'ArgumentException', 'serviceEndpointProjectReferences must name an existing project.');
      const name = String(body.name ?? '');
      if (state.endpoints.some((e) => String(e.body.name).toLowerCase() === name.toLowerCase() && e.projectIds.some((id) => projectIds.includes(id)))) {
        throw new HttpError(409, 'DuplicateServiceConnectionException', `A service connection with name ${name} already exists in the project.`);
      }
      const id = randomUUID();
      const stored: StoredEndpoint = { id, body: structuredClone(body), projectIds, readyAfterGets: 0 };
      const auth = stored.body.authorization as { scheme?: string; parameters?: Record<string, string> } | undefined;
      const data = (stored.body.data ?? {}) as Record<string, string>;
      if (auth?.scheme === 'WorkloadIdentityFederation' && data.creationMode === 'Automatic') {
        // Automatic: Azure DevOps creates the app registration and its federated credential, then the endpoint is ready.
        const projectName = projects.find((p) => p.id === projectIds[0])!.name;
        auth.parameters = {
          ...auth.parameters,
          serviceprincipalid: randomUUID(),
          workloadIdentityFederationIssuer: `https://login.microsoftonline.com/${auth.parameters?.tenantid}/v2.0`,
          workloadIdentityFederationSubject: `sc://${org}/${projectName}/${name}`,
        };
        stored.readyAfterGets = 1;
      } else if (auth?.scheme === 'WorkloadIdentityFederation' && data.creationMode === 'Manual') {
        // Manual (microsoft/azure-pipelines-tasks docs/service-connections/azure-oidc/manual-configuration.md): the
        // caller names the identity (serviceprincipalid = its client id); Azure DevOps only adds the issuer and
        // subject the identity must trust, and the connection is ready at once.
        const projectName = projects.find((p) => p.id === projectIds[0])!.name;
        auth.parameters = {
          ...auth.parameters,
          workloadIdentityFederationIssuer: `https://login.microsoftonline.com/${auth.parameters?.tenantid}/v2.0`,
          workloadIdentityFederationSubject: `sc://${org}/${projectName}/${name}`,
        };
      }
      state.endpoints.push(stored);
      return send(200, endpointView(stored));
    }

    // Project-level routes: {project}/_apis/...
    if (lower[1] !== '_apis') throw new HttpError(404, 'NotFound', `The resource cannot be found: ${url.pathname}`);
    const p = project(path[0]!);
    const [area, resource, ...rest] = lower.slice(2);
    if (method === 'GET' && area === 'git' && resource === 'repositories' && rest[0]) {
      const key = decodeURIComponent(path[4]!).toLowerCase();
      const r = state.repositories.find((x) => x.projectId === p.id && (x.name.toLowerCase() === key || x.id === key));
      if (!r) throw new HttpError(404, 'GitRepositoryNotFoundException', `TF401019: The Git repository with name or identifier ${decodeURIComponent(path[4]!)} does not exist or you do not have permissions for the operation you are attempting.`);
      return send(200, {
        id: r.id, name: r.name, url: `${orgBase}${p.id}/_apis/git/repositories/${r.id}`,
        project: { id: p.id, name: p.name, state: 'wellFormed' }, defaultBranch: r.defaultBranch, size: 1024,
        remoteUrl: `${orgBase}${p.name}/_git/${r.name}`, webUrl: `${orgBase}${p.name}/_git/${r.name}`, isDisabled: false,
      });
    }
    if (method === 'GET' && area === 'distributedtask' && resource === 'queues') {
      const q = queues.get(p.id)!;
      const wanted = url.searchParams.get('queueName');
      return list(!wanted || wanted.toLowerCase() === q.name.toLowerCase() ? [{ ...q, projectId: p.id }] : []);
    }
    if (method === 'GET' && area === 'distributedtask' && resource === 'variablegroups') {
      const wanted = url.searchParams.get('groupName')?.toLowerCase();
      return list(state.variableGroups.filter((g) => g.projectIds.includes(p.id) && (!wanted || g.name.toLowerCase() === wanted)).map(groupView));
    }
    if (area === 'build' && resource === 'definitions') {
      if (method === 'GET' && !rest[0]) {
        const wanted = url.searchParams.get('name')?.toLowerCase();
        return list(state.definitions.filter((d) => d.projectId === p.id && (!wanted || d.name.toLowerCase() === wanted)).map(definitionReference));
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
        if (repo?.type === 'TfsGit') {
          if (!state.repositories.some((r) => r.id === repo.id)) throw new HttpError(404, 'GitRepositoryNotFoundException', `TF401019: The Git repository with name or identifier ${repo.id} does not exist.`);
        } else if (repo?.type === 'GitHub') {
          const connection = state.endpoints.find((e) => e.id === repo.properties?.connectedServiceId && e.body.type === 'github');
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
    if (area === 'serviceendpoint' && resource === 'endpoints' && method === 'GET') {
      if (rest[0]) {
        const e = state.endpoints.find((x) => x.id === path[4] && x.projectIds.includes(p.id));
        if (!e) return send(200, null); // an unknown id gives an empty result, not an error
        const view = endpointView(e);
        e.readyAfterGets--;
        return send(200, view);
      }
      const names = (url.searchParams.get('endpointNames') ?? '').split(',').filter(Boolean).map((n) => n.toLowerCase());
      const includeFailed = url.searchParams.get('includeFailed') === 'true';
      return list(state.endpoints.filter((e) => e.projectIds.includes(p.id) && (includeFailed || !e.failed) && (names.length === 0 || names.includes(String(e.body.name).toLowerCase()))).map(endpointView));
    }
    if (area === 'pipelines' && resource === 'pipelinepermissions' && rest.length === 2) {
      const [type, id] = [rest[0]!, decodeURIComponent(path[5]!)];
      const known = type === 'variablegroup'
        ? state.variableGroups.some((g) => String(g.id) === id && g.projectIds.includes(p.id))
        : type === 'endpoint' ? state.endpoints.some((e) => e.id === id && e.projectIds.includes(p.id)) : false;
      if (!known) throw new HttpError(404, 'ResourceNotFoundException', `Resource ${type} with id ${id} does not exist or you do not have access.`);
      const key = `${type}/${id}`;
      const view = () => ({
        resource: { type, id },
        pipelines: [...(state.permissions.get(key) ?? new Map()).entries()].filter(([, a]) => a).map(([pid]) => ({
          id: pid, authorized: true, authorizedBy: USER, authorizedOn: '2026-12-01T08:00:00.000Z',
        })),
      });
      if (method === 'GET') return send(200, view());
      if (method === 'PATCH') {
        deny('pipelinepermissions.update', 'Administrator (on the resource)');
        const body = json() as { pipelines?: { id: number; authorized: boolean }[] };
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
        res.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({
          $id: '1', innerException: null, message: error.message,
          typeName: `Microsoft.TeamFoundation.${error.typeKey}, Microsoft.TeamFoundation.Server`, typeKey: error.typeKey, errorCode: 0, eventId: 3000,
        }));
      });
    });
  });
  return state;
}
