// The names and defaults of `mta-sts azure setup`, and what the CLI passes it about Azure DevOps: no SDK here, so
// the command's --help and option checks load nothing heavy.
import type { Config } from '../../config/config.ts';

/** Names Azure DevOps and the pipeline YAML already use for these (README, azure-pipelines.yml). */
export const VARIABLE_GROUP = 'mta-sts';
export const TOKEN_VARIABLE = 'deployment_token';
export const DEFAULT_CONNECTION = 'mta-sts-azure';
export const PIPELINE_FILE = 'azure-pipelines.yml';
export const DEFAULT_REGION = 'westeurope';
export const DEFAULT_RESOURCE_GROUP = 'rg-mta-sts';

/** Static Web Apps can be created in these regions (content is served worldwide from any of them). */
export const SWA_REGIONS = ['centralus', 'eastus2', 'westus2', 'westeurope', 'eastasia'] as const;

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
