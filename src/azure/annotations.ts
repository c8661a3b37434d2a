// What the azure commands report: plain lines for a terminal, plus the CI logging commands that put each
// warning and error on the run's summary page (Azure Pipelines when TF_BUILD is set, GitHub Actions when
// GITHUB_ACTIONS is), and the step result "succeeded with issues" for a run that only warned.
import { annotation, ciFormat, SUCCEEDED_WITH_ISSUES, type CiFormat } from '../ci/annotations.ts';
import { printable } from '../printable.ts';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Collects a command's outcome: progress lines, warnings and failures; `exitCode` sums them up. Every line
 * carries text from Azure (host names, states, error messages), so every line goes through printable() here,
 * the one sink of the azure commands (printable is idempotent: text already guarded is unchanged).
 */
export class Reporter {
  warnings = 0;
  failures = 0;
  private readonly format: CiFormat | undefined;

  constructor(private readonly io: Output, env: NodeJS.ProcessEnv) {
    this.format = ciFormat(env);
  }

  info(line: string): void {
    this.io.out(`${printable(line)}\n`);
  }

  /** Something the admin should act on that does not fail the run (a pending certificate, a record to create). */
  warn(raw: string): void {
    const message = printable(raw);
    this.warnings++;
    this.io.err(`warning: ${message}\n`);
    if (this.format) this.io.out(`${annotation(this.format, 'warning', undefined, message)}\n`);
  }

  fail(raw: string): void {
    const message = printable(raw);
    this.failures++;
    this.io.err(`error: ${message}\n`);
    if (this.format) this.io.out(`${annotation(this.format, 'error', undefined, message)}\n`);
  }

  /** 0 done (warnings allowed), 1 something failed; in Azure Pipelines a run with warnings ends SucceededWithIssues. */
  finish(): number {
    if (this.failures > 0) return 1;
    if (this.warnings > 0 && this.format === 'azure') this.io.out(`${SUCCEEDED_WITH_ISSUES}\n`);
    return 0;
  }
}
