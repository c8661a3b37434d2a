// The CI logging commands that put a warning or error on the run's summary page: Azure Pipelines (TF_BUILD is
// set on every step) and GitHub Actions (GITHUB_ACTIONS=true). Shared by `check` and the azure commands.

import { ciCommand, ciConstant, inert } from './sink.ts';

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

/**
 * One logging command: `##vso[task.logissue …]` or `::warning …::`, marked as this program's own for the output
 * sink (sink.ts), which makes every other workflow command inert; commands quoted in the message are inert too.
 */
export function annotation(format: CiFormat, level: 'error' | 'warning', title: string | undefined, message: string): string {
  const [t, m] = [title === undefined ? undefined : inert(title), inert(message)];
  if (format === 'azure') return ciCommand(`##vso[task.logissue type=${level}]${azureData(t ? `${t}: ${m}` : m)}`);
  return ciCommand(`::${level}${t ? ` title=${githubProperty(t)}` : ''}::${githubData(m)}`);
}

/** Azure Pipelines: sets a pipeline variable for the steps that follow (its value is this program's, not remote). */
export function setVariable(name: string, value: string): string {
  return ciCommand(`##vso[task.setvariable variable=${name}]${azureData(value)}`);
}

/** Azure Pipelines: attach a Markdown file to the run's summary page (the agent reads it once the step ends). */
export function uploadSummary(path: string): string {
  return ciCommand(`##vso[task.uploadsummary]${azureData(path)}`);
}

/** Azure Pipelines: the step ends "succeeded with issues" (yellow) instead of green, if it exits 0. */
export const SUCCEEDED_WITH_ISSUES = ciConstant('##vso[task.complete result=SucceededWithIssues;]');

/**
 * Text quoting a remote server, made unable to run an Azure Pipelines logging command: the agent acts on
 * `##vso[` anywhere in a line of stdout or stderr, not only at its start (azure-pipelines-agent Command.cs,
 * `message.IndexOf("##vso[")`). The `[` is shown escaped instead: `\x5b` in text, as the findings show escapes,
 * or `\u005b` in JSON, where the string's value stays the same. (GitHub reads commands only at a line's start.)
 */
export function inertForAzure(text: string, escape: '\\x5b' | '\\u005b'): string {
  return text.replaceAll('##vso[', `##vso${escape}`);
}
