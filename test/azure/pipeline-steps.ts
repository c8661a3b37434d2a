// Reads the shell steps of the Domains and Verify stages out of azure-pipelines.yml (and the domains and verify
// jobs of .github/workflows/deploy.yml) verbatim, and runs them the way the agent does: each body in its own
// bash, in the checkout, with the agent's variables, one step after another under the step's condition.
// Everything the YAML decides with an expression is evaluated from a table of the exact expressions it
// uses; an expression the table does not know fails the test, so a YAML change cannot slip past it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot, type ProcessResult } from '../deploy/helpers.ts';

export type System = 'azure' | 'github';
export type StepResult = 'Succeeded' | 'SucceededWithIssues' | 'Failed' | 'Skipped';

export interface Step {
  name: string;
  body: string;
  env: Record<string, string>;
  /** The step's condition, as written ('' = the default: only when everything before succeeded). */
  condition: string;
}

export interface StepRun { step: Step; result: StepResult; output: ProcessResult }

/** Where the steps run: a checkout, how to run a process in it, and the Internet and cloud its processes see. */
export interface Checkout {
  dir: string;
  /** Its node_modules is already installed (linked): an `npm ci` step is skipped rather than run. */
  installed: boolean;
  run(command: string, args: string[], env: Record<string, string>, timeoutMs?: number): Promise<ProcessResult>;
  cloudEnv(): Record<string, string>;
}

type Node = Record<string, unknown>;

/** The YAML variables of azure-pipelines.yml, with armServiceConnection set as an admin sets it up (unless `overrides` says otherwise). */
function azureVariables(doc: Node, overrides: Record<string, string>): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const v of doc.variables as Node[]) if (typeof v.name === 'string') vars[v.name] = String(v.value);
  vars.armServiceConnection = 'mta-sts-arm';
  return { ...vars, ...overrides };
}

/** ${{ variables.X }} in a value; any other template expression is refused. */
function azureValue(value: unknown, vars: Record<string, string>): string {
  return String(value).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    const m = /^variables\.(\w+)$/.exec(expr);
    if (!m || !(m[1]! in vars)) throw new Error(`azure-pipelines.yml: the test does not know the expression "${expr}"`);
    return vars[m[1]!]!;
  });
}

/** Expands `${{ if … }}` / `${{ else }}` step lists for the variables given. */
function expandAzure(steps: Node[], vars: Record<string, string>): Node[] {
  const out: Node[] = [];
  let last: boolean | undefined;
  for (const item of steps) {
    const key = Object.keys(item)[0] ?? '';
    const cond = /^\$\{\{\s*if (.*?)\s*\}\}$/.exec(key);
    if (cond) {
      // The forms the YAML uses: ne(variables.X, '') and eq/ne(variables.X, 'literal').
      const m = /^(eq|ne)\(variables\.(\w+), '([^']*)'\)$/.exec(cond[1]!);
      if (!m || !(m[2]! in vars)) throw new Error(`azure-pipelines.yml: the test does not know the condition "${cond[1]}"`);
      last = (vars[m[2]!] === m[3]) === (m[1] === 'eq');
      if (last) out.push(...expandAzure(item[key] as Node[], vars));
    } else if (/^\$\{\{\s*else\s*\}\}$/.test(key)) {
      if (last === undefined) throw new Error('azure-pipelines.yml: else without if');
      if (!last) out.push(...expandAzure(item[key] as Node[], vars));
      last = undefined;
    } else {
      out.push(item);
    }
  }
  return out;
}

/** Every step of one stage as the agent would list it after template expansion: `task NAME: displayName` or `script: displayName`. */
export function azureStageOutline(stageName: string, overrides: Record<string, string> = {}): string[] {
  const { stage, vars } = azureStage(stageName, overrides);
  return (stage.jobs as Node[]).flatMap((job) => expandAzure(job.steps as Node[], vars).map((s) =>
    typeof s.task === 'string' ? `task ${s.task}: ${String(s.displayName)}`
      : typeof s.script === 'string' ? `script: ${String(s.displayName ?? s.script)}`
        : `checkout: ${String(s.checkout)}`));
}

/** The inputs of the one `task` step of a stage, with ${{ variables.X }} evaluated. */
export function azureTaskInputs(stageName: string, task: string, overrides: Record<string, string> = {}): Record<string, string> {
  const { stage, vars } = azureStage(stageName, overrides);
  const found = (stage.jobs as Node[]).flatMap((job) => expandAzure(job.steps as Node[], vars)).filter((s) => s.task === task);
  if (found.length !== 1) throw new Error(`azure-pipelines.yml stage ${stageName} runs ${task} ${found.length} times`);
  return Object.fromEntries(Object.entries(found[0]!.inputs as Node).map(([k, v]) => [k, azureValue(v, vars)]));
}

function azureStage(stageName: string, overrides: Record<string, string>): { stage: Node; vars: Record<string, string> } {
  const doc = parse(readFileSync(join(repoRoot, 'azure-pipelines.yml'), 'utf8')) as Node;
  const vars = azureVariables(doc, overrides);
  const stage = (doc.stages as Node[]).find((s) => s.stage === stageName);
  if (!stage) throw new Error(`azure-pipelines.yml has no stage ${stageName}`);
  return { stage, vars };
}

/** The shell steps of one stage of azure-pipelines.yml: `script:` and AzureCLI@2 `inlineScript:` bodies, verbatim. */
export function azureStageSteps(stageName: string, overrides: Record<string, string> = {}): Step[] {
  const { stage, vars } = azureStage(stageName, overrides);
  const steps: Step[] = [];
  for (const job of stage.jobs as Node[]) {
    for (const s of expandAzure(job.steps as Node[], vars)) {
      const env = Object.fromEntries(Object.entries((s.env ?? {}) as Node).map(([k, v]) => [k, azureValue(v, vars)]));
      const condition = typeof s.condition === 'string' ? s.condition : '';
      if (typeof s.script === 'string') {
        steps.push({ name: String(s.displayName ?? s.script), body: s.script, env, condition });
      } else if (s.task === 'AzureCLI@2') {
        const inputs = s.inputs as Node;
        if (inputs.scriptType !== 'bash' || inputs.scriptLocation !== 'inlineScript') throw new Error('AzureCLI@2 step is not an inline bash script');
        steps.push({ name: String(s.displayName), body: String(inputs.inlineScript), env, condition });
      }
    }
  }
  return steps;
}

// The exact expressions deploy.yml uses in these jobs, for a repository with the Azure variables set.
const GITHUB_EXPRESSIONS: Record<string, string> = {
  "vars.AZURE_CLIENT_ID != ''": 'true',
  'vars.CHECK_STARTTLS': '',
};

function githubValue(value: unknown, expressions: Record<string, string>): string {
  return String(value).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in expressions)) throw new Error(`deploy.yml: the test does not know the expression "${expr}"`);
    return expressions[expr]!;
  });
}

/** The `run:` steps of one job of deploy.yml, verbatim, with the job's env evaluated (`overrides`: other values of the known expressions). */
export function githubJobSteps(jobName: string, overrides: Record<string, string> = {}): Step[] {
  const expressions = { ...GITHUB_EXPRESSIONS, ...overrides };
  const doc = parse(readFileSync(join(repoRoot, '.github/workflows/deploy.yml'), 'utf8')) as Node;
  const job = (doc.jobs as Node)[jobName] as Node | undefined;
  if (!job) throw new Error(`deploy.yml has no job ${jobName}`);
  const jobEnv = Object.fromEntries(Object.entries((job.env ?? {}) as Node).map(([k, v]) => [k, githubValue(v, expressions)]));
  const steps: Step[] = [];
  for (const s of job.steps as Node[]) {
    if (typeof s.run !== 'string') continue;
    const env = { ...jobEnv, ...Object.fromEntries(Object.entries((s.env ?? {}) as Node).map(([k, v]) => [k, githubValue(v, expressions)])) };
    steps.push({ name: String(s.name ?? s.run), body: s.run, env, condition: typeof s.if === 'string' ? s.if : '' });
  }
  return steps;
}

/** Whether a step runs, from its condition, the job's state so far and its environment. */
function shouldRun(system: System, step: Step, failedBefore: boolean): boolean {
  const c = step.condition.replace(/^\$\{\{\s*(.*?)\s*\}\}$/, '$1').trim();
  if (c === '') return !failedBefore;
  if (system === 'azure' && c === 'succeededOrFailed()') return true;
  if (system === 'github' && c === '!cancelled()') return true;
  const m = /^env\.(\w+) (==|!=) '([^']*)'$/.exec(c);
  if (system === 'github' && m) return !failedBefore && ((step.env[m[1]!] ?? '') === m[3]) === (m[2] === '==');
  throw new Error(`the test does not know the step condition "${step.condition}"`);
}

/**
 * Runs the steps of one stage or job in `net`'s checkout, as an ordinary user (no namespace, no privileged
 * port). Azure Pipelines runs a script as `bash --noprofile --norc FILE`, GitHub Actions as `bash -e FILE`.
 * The bodies run with no added option: the Internet they reach is the loopback one, through the variables
 * of `net.cloudEnv()` (MTA_STS_DNS_SERVER, MTA_STS_HTTPS_PORT, the ARM endpoint). `agentEnv` is what the
 * agent itself sets.
 */
export async function runSteps(system: System, steps: Step[], net: Checkout, agentEnv: Record<string, string>): Promise<StepRun[]> {
  const runs: StepRun[] = [];
  let failed = false;
  for (const [i, step] of steps.entries()) {
    // npm ci is what made the checkout's node_modules; a scratch checkout that links the installed one skips it.
    if ((net.installed && /^npm ci\b/.test(step.body.trim())) || !shouldRun(system, step, failed)) {
      runs.push({ step, result: 'Skipped', output: { code: null, stdout: '', stderr: '' } });
      continue;
    }
    const file = join(net.dir, `.step-${system}-${i}.sh`);
    writeFileSync(file, step.body);
    const shell = system === 'azure' ? ['bash', '--noprofile', '--norc', file] : ['bash', '-e', file];
    const output = await net.run(shell[0]!, shell.slice(1), { ...agentEnv, ...step.env, ...net.cloudEnv() }, 900_000);
    let result: StepResult = output.code === 0 ? 'Succeeded' : 'Failed';
    if (result === 'Succeeded' && system === 'azure' && output.stdout.includes('##vso[task.complete result=SucceededWithIssues;]')) result = 'SucceededWithIssues';
    if (result === 'Succeeded' && system === 'github' && /^::warning/m.test(output.stdout)) result = 'SucceededWithIssues';
    if (result === 'Failed') failed = true;
    runs.push({ step, result, output });
  }
  return runs;
}

/** What the agent itself sets on every step (Azure Pipelines or GitHub Actions), for a checkout in `n.dir`. */
export function agentEnv(system: System, n: Pick<Checkout, 'dir'>): Record<string, string> {
  const common = { PATH: process.env.PATH!, HOME: join(n.dir, '.agent-home'), LANG: 'C.UTF-8' };
  return system === 'azure'
    ? { ...common, TF_BUILD: 'True', SYSTEM_DEFAULTWORKINGDIRECTORY: n.dir, AGENT_TEMPDIRECTORY: n.dir, BUILD_SOURCEBRANCH: 'refs/heads/main', BUILD_REASON: 'IndividualCI' }
    : { ...common, GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_WORKSPACE: n.dir, GITHUB_STEP_SUMMARY: join(n.dir, '.github-step-summary.md'), GITHUB_REF: 'refs/heads/main' };
}

/** `Result: step name` of each step that ran. */
export const summary = (runs: StepRun[]) => runs.filter((r) => r.result !== 'Skipped').map((r) => `${r.result}: ${r.step.name}`);
/** Everything the steps printed. */
export const output = (runs: StepRun[]) => runs.map((r) => r.output.stdout + r.output.stderr).join('\n');

/** The Verify step that checks the live setup (the Deploy guard runs `check --before-deploy`). */
export const CHECK = 'node bin/mta-sts.js check';
/** The run of the step whose body contains `part`. */
export const find = (runs: StepRun[], part: string) => {
  const run = runs.find((r) => r.step.body.includes(part));
  if (!run) throw new Error(`no step runs ${part}`);
  return run;
};
