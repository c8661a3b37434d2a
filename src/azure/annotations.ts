// What the azure commands report: plain lines for a terminal, plus the CI logging commands that put each
// warning and error on the run's summary page (Azure Pipelines when TF_BUILD is set, GitHub Actions when
// GITHUB_ACTIONS is), and the step result "succeeded with issues" for a run that only warned.

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

/**
 * Text that came from a remote server (Azure error messages, DNS answers) made safe to print: control
 * characters, which could forge CI logging commands or move the cursor, are shown as \xNN.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** Collects a command's outcome: progress lines, warnings and failures; `exitCode` sums them up. */
export class Reporter {
  warnings = 0;
  failures = 0;
  private readonly format: CiFormat | undefined;

  constructor(private readonly io: Output, env: NodeJS.ProcessEnv) {
    this.format = ciFormat(env);
  }

  info(line: string): void {
    this.io.out(`${line}\n`);
  }

  /** Something the admin should act on that does not fail the run (a pending certificate, a record to create). */
  warn(message: string): void {
    this.warnings++;
    this.io.err(`warning: ${message}\n`);
    if (this.format) this.io.out(`${annotation(this.format, 'warning', undefined, message)}\n`);
  }

  fail(message: string): void {
    this.failures++;
    this.io.err(`error: ${message}\n`);
    if (this.format) this.io.out(`${annotation(this.format, 'error', undefined, message)}\n`);
  }

  /** 0 done (warnings allowed), 1 something failed; in Azure Pipelines a run with warnings ends SucceededWithIssues. */
  finish(): number {
    if (this.failures > 0) return 1;
    if (this.warnings > 0 && this.format === 'azure') this.io.out('##vso[task.complete result=SucceededWithIssues;]\n');
    return 0;
  }
}
