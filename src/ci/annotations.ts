// The CI logging commands that put a warning or error on the run's summary page: Azure Pipelines (TF_BUILD is
// set on every step) and GitHub Actions (GITHUB_ACTIONS=true). Shared by `check` and the azure commands.

export type CiFormat = 'azure' | 'github';

/** The CI system the process runs in, from the variables each one sets on every step. */
export function ciFormat(env: NodeJS.ProcessEnv): CiFormat | undefined {
  if (env.TF_BUILD) return 'azure';
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  return undefined;
}

// Azure Pipelines logging-command escaping (azure-pipelines-task-lib taskcommand.ts).
const azureData = (s: string) => s.replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
// GitHub Actions workflow-command escaping (@actions/core command.ts).
const githubData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const githubProperty = (s: string) => githubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One logging command: `##vso[task.logissue …]` or `::warning …::`. */
export function annotation(format: CiFormat, level: 'error' | 'warning', title: string | undefined, message: string): string {
  if (format === 'azure') return `##vso[task.logissue type=${level}]${azureData(title ? `${title}: ${message}` : message)}`;
  return `::${level}${title ? ` title=${githubProperty(title)}` : ''}::${githubData(message)}`;
}

/** Azure Pipelines: the step ends "succeeded with issues" (yellow) instead of green, if it exits 0. */
export const SUCCEEDED_WITH_ISSUES = '##vso[task.complete result=SucceededWithIssues;]';
