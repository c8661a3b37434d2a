// The Azure DevOps CI target of `mta-sts azure setup`: the pipeline's managed identity and its roles, the
// variable group (with the deployment secret the kind's adapter names, if any), the service connection that
// signs in as the identity, the pipeline and its permissions. Another CI target (GitHub Actions) is a CiTarget beside
// this one (model.ts); the identity's steps are its own module (pipeline-identity.ts).
import { hostingOf } from '../../hosting/hosting.ts';
import { printable } from '../../printable.ts';
import { tokenExchangeAudience } from '../cloud.ts';
import { DevOps, devopsToken, type ProjectRef } from '../devops.ts';
import { FEDERATED_CREDENTIAL, IDENTITY_NAME, federate, isFederated } from '../identity.ts';
import { planYaml } from './files.ts';
import {
  PIPELINE_FILE, StepFailure, TOKEN_VARIABLE, VARIABLE_GROUP, describe, fingerprint, fingerprintIn, groupDescription, guid,
  type CiTarget, type DevOpsTarget, type SetupContext, type State, type Step,
} from './model.ts';
import { identitySteps, observeIdentity } from './pipeline-identity.ts';

/** Azure DevOps, with --devops-org and --devops-project. */
export function azureDevOps(target: DevOpsTarget): CiTarget {
  return {
    name: 'Azure DevOps',
    async observe(ctx, state) {
      if (state.rgExists) await observeIdentity(ctx, state);
      await observeDevOps(ctx, state, target);
    },
    plan(ctx, state, steps) {
      if (state.project) planDevOps(ctx, state, target, state.project, steps);
    },
  };
}

export async function observeDevOps(ctx: SetupContext, state: State, target: DevOpsTarget): Promise<void> {
  
  let token: string;
  try {
    token = await devopsToken(ctx.d.credential);
  } catch (e) {
    throw new StepFailure(`cannot get an Azure DevOps token from az: ${describe(e)} (run az login)`, { cause: e });
  }
  const devops = (state.devops = DevOps.connect(target.orgUrl, token, { caFile: ctx.d.devopsCaFile }));
  const at = `Azure DevOps ${target.orgUrl}`;
  const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw new StepFailure(`${what} in ${at}: ${describe(e)}`, { cause: e });
    }
  };
  state.project = await wrap('reading the project', () => devops.project(target.project));
  // A new organisation runs no hosted job until its free grant is approved: known before the push, not after.
  state.hostedJobs = await devops.hostedParallelJobs(state.project.visibility ?? 'private').catch(() => undefined);
  const p = target.project;
  const repo = target.repository;
  if (repo.type === 'TfsGit') {
    const found = await wrap('reading the repository', () => devops.repository(p, repo.name));
    if (!found?.id) throw new StepFailure(`repository ${repo.name} does not exist in project ${p} of ${at}; import or push this repository there first, or pass --repository NAME`);
    state.repository = { id: found.id, name: found.name ?? repo.name, defaultBranch: found.defaultBranch ?? 'refs/heads/main' };
  } else {
    const connection = await wrap('reading the GitHub service connection', () => devops.serviceEndpoint(p, repo.connection));
    if (!connection?.id || connection.type?.toLowerCase() !== 'github') {
      throw new StepFailure(`no GitHub service connection named ${repo.connection} in project ${p}; create one (Project settings > Service connections > New > GitHub), then run the same command again`);
    }
    state.githubConnectionId = connection.id;
  }
  const group = await wrap('reading the variable group', () => devops.variableGroup(p, VARIABLE_GROUP));
  if (group?.id !== undefined) {
    const secret = group.variables?.[TOKEN_VARIABLE]?.isSecret === true;
    state.group = { id: group.id, fingerprint: secret ? fingerprintIn(group.description) : undefined, variables: group.variables };
  }
  const endpoint = await wrap('reading the service connection', () => devops.serviceEndpoint(p, state.connectionName));
  if (endpoint?.id) {
    const status = endpoint.operationStatus as { state?: string; statusMessage?: string } | undefined;
    const parameters = endpoint.authorization?.parameters;
    state.endpoint = {
      id: endpoint.id, servicePrincipalId: guid(parameters?.serviceprincipalid),
      issuer: parameters?.workloadIdentityFederationIssuer, subject: parameters?.workloadIdentityFederationSubject,
    };
    if (status?.state === 'Failed') state.endpoint.failed = printable(status.statusMessage || 'no reason given');
  }
  const definition = await wrap('reading the pipeline', () => devops.definition(p, target.pipelineName));
  if (definition?.id !== undefined) state.definition = { id: definition.id };
  if (!state.definition) state.queueId = await wrap('reading the agent queue', () => devops.agentQueue(p, 'Azure Pipelines'));
  if (state.definition && state.group) {
    state.groupAuthorized = await wrap('reading pipeline permissions', () => devops.pipelineAuthorized(p, 'variablegroup', String(state.group!.id), state.definition!.id));
  }
  // The connection of the managed identity: does the identity trust its issuer and subject yet?
  if (state.identity && state.endpoint?.issuer && state.endpoint.subject && state.endpoint.servicePrincipalId === state.identity.clientId) {
    state.federated = await isFederated(ctx.identities, state.resourceGroup, state.endpoint.issuer, state.endpoint.subject, tokenExchangeAudience(ctx.r.cloud.environment));
  }
  if (state.definition && state.endpoint) {
    state.endpointAuthorized = await wrap('reading pipeline permissions', () => devops.pipelineAuthorized(p, 'endpoint', state.endpoint!.id, state.definition!.id));
  }
}

export function planDevOps(ctx: SetupContext, state: State, target: DevOpsTarget, project: ProjectRef, steps: Step[]): void {
  const { r } = ctx;
  const devops = state.devops!;
  const p = target.project;
  const secret = ctx.hosting.pipelineSecret(ctx, state);
  const kind = hostingOf(r.config).name;
  if (!secret) {
    // No secret (the app deploys through the service connection), but azure-pipelines.yml names the group, and a
    // run that names a missing group does not start: an existing group is kept as it is.
    if (!state.group) {
      steps.push({
        key: 'group', needs: [],
        title: `Create variable group ${VARIABLE_GROUP} in project ${p} (${PIPELINE_FILE} names it; a ${kind} needs no ${TOKEN_VARIABLE}, so it stays empty)`,
        byHand: `Pipelines > Library > + Variable group "${VARIABLE_GROUP}" with one variable ${TOKEN_VARIABLE} and an empty value`,
        apply: async () => {
          const saved = await devops.saveVariableGroup(project, {
            name: VARIABLE_GROUP, description: `Named by ${PIPELINE_FILE}; the ${kind} ${r.app} deploys through the service connection and needs no ${TOKEN_VARIABLE} (set by mta-sts azure setup)`,
            variables: { [TOKEN_VARIABLE]: { value: '', isSecret: false } },
          });
          state.group = { id: saved.id!, variables: saved.variables };
        },
      });
    }
  } else if (!state.group || !(state.group.fingerprint !== undefined && secret.value !== undefined && state.group.fingerprint === fingerprint(secret.value))) {
    steps.push({
      key: 'group', needs: state.site ? [] : ['app'],
      title: state.group
        ? `Update variable group ${VARIABLE_GROUP} in project ${p}: ${TOKEN_VARIABLE} = ${secret.what} (secret)`
        : `Create variable group ${VARIABLE_GROUP} in project ${p} with ${TOKEN_VARIABLE} = ${secret.what} (secret)`,
      byHand: `Pipelines > Library > + Variable group "${VARIABLE_GROUP}" with the secret variable ${TOKEN_VARIABLE} (the token: ${secret.show})`,
      apply: async () => {
        // Read now: the step that creates the app learns the secret.
        const token = ctx.hosting.pipelineSecret(ctx, state)?.value;
        if (!token) throw new Error(`${secret.what} is not known yet; run the same command again`);
        const saved = await devops.saveVariableGroup(project, {
          id: state.group?.id, name: VARIABLE_GROUP, description: groupDescription(r.app, token),
          variables: { ...state.group?.variables, [TOKEN_VARIABLE]: { value: token, isSecret: true } },
        });
        state.group = { id: saved.id!, fingerprint: fingerprint(token), variables: saved.variables };
      },
    });
  }

  if (state.endpoint?.failed) {
    // Its name is taken, so it cannot be created again; only deleting or repairing it helps.
    const why = state.endpoint.failed;
    steps.push({
      key: 'endpoint', needs: [], title: `Service connection ${state.connectionName} exists but Azure DevOps reports it failed (${why})`,
      byHand: `Project settings > Service connections > ${state.connectionName}: fix it (for example "Convert" or edit and verify), or delete it so this command creates it again`,
      apply: async () => {
        throw new Error(`service connection ${state.connectionName} is in a failed state; delete it (Project settings > Service connections > ${state.connectionName} > Delete) and run the same command again`);
      },
    });
  } else if (!state.endpoint || (state.identity && state.endpoint.servicePrincipalId === state.identity.clientId)) {
    planIdentity(ctx, state, project, steps);
  }

  if (state.yaml) planYaml(ctx, state, state.yaml.wanted, steps, state.endpoint && !state.endpoint.failed ? [] : ['endpoint']);

  if (!state.definition) {
    const repo = target.repository;
    const where = repo.type === 'TfsGit' ? `Azure Repos repository ${repo.name}` : `GitHub repository ${repo.fullName} (connection ${repo.connection})`;
    steps.push({
      key: 'pipeline', needs: [], title: `Create pipeline ${target.pipelineName} in project ${p} from /${PIPELINE_FILE} of ${where}`,
      byHand: `Pipelines > New pipeline > ${repo.type === 'TfsGit' ? 'Azure Repos Git' : 'GitHub'} > the repository > Existing Azure Pipelines YAML file > /${PIPELINE_FILE} > Save`,
      apply: async () => {
        if (state.queueId === undefined) throw new Error('project has no agent queue "Azure Pipelines" (Project settings > Agent pools)');
        const repository = repo.type === 'TfsGit'
          ? { type: 'TfsGit' as const, id: state.repository!.id, name: state.repository!.name, defaultBranch: state.repository!.defaultBranch }
          : { type: 'GitHub' as const, fullName: repo.fullName, connectionId: state.githubConnectionId!, defaultBranch: 'refs/heads/main' };
        const created = await devops.createYamlDefinition(project, { name: target.pipelineName, yamlPath: PIPELINE_FILE, repository, queueId: state.queueId });
        state.definition = { id: created.id! };
      },
    });
  }

  if (!state.groupAuthorized) {
    steps.push({
      key: 'perm-group', needs: [...(state.group ? [] : ['group']), ...(state.definition ? [] : ['pipeline'])],
      title: `Allow pipeline ${target.pipelineName} to use variable group ${VARIABLE_GROUP} (no "Permit" prompt on the first run)`,
      byHand: `Pipelines > Library > ${VARIABLE_GROUP} > Pipeline permissions > + > ${target.pipelineName}`,
      apply: async () => {
        await devops.authorizePipeline(p, 'variablegroup', String(state.group!.id), state.definition!.id);
        state.groupAuthorized = true;
      },
    });
  }
  if (!state.endpointAuthorized) {
    steps.push({
      key: 'perm-endpoint', needs: [...(state.endpoint && !state.endpoint.failed ? [] : ['endpoint']), ...(state.definition ? [] : ['pipeline'])],
      title: `Allow pipeline ${target.pipelineName} to use service connection ${state.connectionName}`,
      byHand: `Project settings > Service connections > ${state.connectionName} > ... > Security > Pipeline permissions > + > ${target.pipelineName}`,
      apply: async () => {
        await devops.authorizePipeline(p, 'endpoint', state.endpoint!.id, state.definition!.id);
        state.endpointAuthorized = true;
      },
    });
  }
}

/**
 * The service connection through a user-assigned managed identity (no Entra rights needed): the identity, its
 * roles, the connection in workload identity federation's manual mode naming it, and the federated credential
 * that makes the identity trust the connection's issuer and subject. Each step only when still missing.
 */
function planIdentity(ctx: SetupContext, state: State, project: ProjectRef, steps: Step[]): void {
  const { r } = ctx;
  const devops = state.devops!;
  const rg = state.resourceGroup;
  identitySteps(ctx, state, steps);
  if (!state.endpoint) {
    steps.push({
      key: 'endpoint', needs: state.identity ? [] : ['identity'],
      title: `Create service connection ${state.connectionName} in project ${project.name} (Azure Resource Manager, workload identity federation, manual, through ${IDENTITY_NAME})`,
      byHand: `Project settings > Service connections > New service connection > Azure Resource Manager > Identity type: Managed identity, the subscription ${r.subscription.name} and the identity ${IDENTITY_NAME}, name ${state.connectionName}`,
      apply: async () => {
        const endpoint = await devops.createArmEndpoint(project, {
          name: state.connectionName, tenantId: state.identity!.tenantId, subscriptionId: r.subscription.id, subscriptionName: r.subscription.name,
          resourceGroup: rg, armUrl: `${r.cloud.armUrl.replace(/\/+$/, '')}/`, environment: r.cloud.environment,
          identity: { clientId: state.identity!.clientId },
        });
        const parameters = endpoint.authorization?.parameters;
        state.endpoint = {
          id: endpoint.id!, servicePrincipalId: guid(parameters?.serviceprincipalid),
          issuer: parameters?.workloadIdentityFederationIssuer, subject: parameters?.workloadIdentityFederationSubject,
        };
      },
    });
  }
  if (!state.federated) {
    steps.push({
      key: 'federation', needs: [...(state.endpoint ? [] : ['endpoint']), ...(state.identity ? [] : ['identity'])],
      title: `Let ${IDENTITY_NAME} trust the service connection's tokens (federated credential with its issuer and subject)`,
      byHand: () => `az identity federated-credential create -n ${FEDERATED_CREDENTIAL} --identity-name ${IDENTITY_NAME} -g ${rg} --issuer "${state.endpoint?.issuer ?? '<issuer of the connection>'}" --subject "${state.endpoint?.subject ?? '<subject of the connection>'}" --audiences ${tokenExchangeAudience(r.cloud.environment)}`,
      apply: async () => {
        const { issuer, subject } = state.endpoint ?? {};
        if (!issuer || !subject) throw new Error(`Azure DevOps did not report the issuer and subject of service connection ${state.connectionName}`);
        await federate(ctx.identities, rg, issuer, subject, tokenExchangeAudience(r.cloud.environment));
        state.federated = true;
        return `issuer ${printable(issuer)}, subject ${printable(subject)}`;
      },
    });
  }
}
