// The names and defaults of `mta-sts azure setup`, and what the CLI passes it about Azure DevOps: no SDK here, so
// the command's --help and option checks load nothing heavy.
import { createHash } from 'node:crypto';
import type { Config } from '../../config/config.ts';

/** Names Azure DevOps and the pipeline YAML already use for these (docs/azure-devops.md, azure-pipelines.yml). */
export const VARIABLE_GROUP = 'mta-sts';
export const TOKEN_VARIABLE = 'deployment_token';
export const DEFAULT_CONNECTION = 'mta-sts-azure';
export const PIPELINE_FILE = 'azure-pipelines.yml';
export const DEFAULT_REGION = 'westeurope';
export const DEFAULT_RESOURCE_GROUP = 'rg-mta-sts';

export { SWA_REGIONS } from '../../hosting/static-web-app.ts';

/**
 * A Function App's own resources (hosting.kind function-app): its App Service plan, Linux Basic B1 (docs/function-app.md:
 * "Which Function App plan": managed certificates need Basic or higher; Flex Consumption lacks them), and the
 * storage account the Functions host needs (AzureWebJobsStorage). Named after the resource group, not the app, so
 * a re-run finds them, and a run with another --app (the first name was taken) reuses them instead of paying twice.
 */
export const FUNCTION_APP_PLAN_SKU = { name: 'B1', tier: 'Basic', size: 'B1', family: 'B', capacity: 1 } as const;
/** Functions v4 on Node 22: linuxFxVersion "node|22" (Azure/azure-functions-host wiki, "Using LinuxFxVersion for Linux Function Apps"). */
export const FUNCTION_APP_RUNTIME = 'Node|22';
export const FUNCTION_APP_PLAN = 'asp-mta-sts';
/** 3 to 24 lower-case letters and digits, unique in all of Azure: "stmtasts" and a hash of subscription and group. */
export function storageAccountName(subscription: string, resourceGroup: string): string {
  return `stmtasts${createHash('sha256').update(`${subscription}/${resourceGroup}`.toLowerCase()).digest('hex').slice(0, 16)}`;
}

/** The app name `setup` proposes: mta-sts-<first domain>, within Azure's 40 letters, digits and hyphens. */
export function defaultAppName(config: Config): string {
  return `mta-sts-${config.domains[0]!.replace(/\./g, '-')}`.slice(0, 40).replace(/-+$/, '');
}

export type RepositoryRef =
  | { type: 'TfsGit'; name: string }
  | { type: 'GitHub'; fullName: string; connection: string };

export interface DevOpsTarget {
  orgUrl: string;
  project: string;
  repository: RepositoryRef;
  pipelineName: string;
}

/** `--github OWNER/REPO`: the repository whose workflow (.github/workflows/deploy.yml) deploys. */
export interface GitHubTarget { repository: string }

/** What .github/workflows/deploy.yml reads: the variables of azure/login, and the Static Web App's token secret. */
export const WORKFLOW_FILE = '.github/workflows/deploy.yml';
export const WORKFLOW_VARIABLES = ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_SUBSCRIPTION_ID'] as const;
export type WorkflowVariable = (typeof WORKFLOW_VARIABLES)[number];
export const WORKFLOW_TOKEN_SECRET = 'AZURE_STATIC_WEB_APPS_API_TOKEN';
/**
 * GitHub never returns a secret's value, so a variable holds the sha256 fingerprint of the token setup last sealed
 * into the secret (as the Azure DevOps route keeps it in the variable group's description): a second run sees the
 * secret is current and writes nothing; a reset token is sealed again.
 */
export const WORKFLOW_TOKEN_FINGERPRINT = 'MTA_STS_TOKEN_FINGERPRINT';
