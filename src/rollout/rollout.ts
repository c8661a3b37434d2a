// The rollout steps that change the config: promote (testing → enforce, only on evidence and after the
// live bounce guard) and retire (→ none, RFC 8461 §8.3). Each edits the config through the yaml Document
// API (comments kept) and changes it, home/ and the evidence file as one (change.ts).
import { lstat, readFile } from 'node:fs/promises';
import type { CheckIO } from '../check/io.ts';
import type { DomainReport } from '../check/result.ts';
import { parseConfig, type Config } from '../config/config.ts';
import { editConfigText, ConfigEditError, type ConfigEdit } from '../config/edit.ts';
import { dirname } from 'node:path';
import { outputs } from '../project/outputs.ts';
import { SiteError, type BuildHook } from '../site/build.ts';
import { configPolicy } from '../config/policy.ts';
import { ChangeError, lockProject, type ChangeHook, type FileChange, type ProjectLock } from '../files/change.ts';
import { buildEvidence, evidencePath, type EvidenceFile } from './evidence.ts';
import type { ReportSet } from '../tlsrpt/summary.ts';
import type { Verdict } from './verdict.ts';
import { printableJson } from '../printable.ts';

export interface PromoteInput {
  config: Config;
  /** Absolute path of the config file, and how to name it in messages. */
  configPath: string;
  display: string;
  reportPaths: string[];
  cwd: string;
  now: Date;
  /** `now` was given (--now), not today: the evidence is a lab run's and never opens the pipeline's gate. */
  lab?: boolean;
  /** --force --reason: overrides the evidence rules only, never the live check. */
  forcedReason?: string;
  checkIO: CheckIO;
  timeoutMs: number;
  skipStarttls: boolean;
  /** Tests stop the change of the files at a known step. */
  hook?: ChangeHook;
}

export type PromoteResult =
  | { outcome: 'promoted'; set: ReportSet; verdict: Verdict; checks: DomainReport[]; evidence: EvidenceFile; evidenceFile: string }
  | { outcome: 'refused'; why: 'mode' | 'evidence' | 'live' | 'write'; message: string; set?: ReportSet; verdict?: Verdict; checks?: DomainReport[] };

export async function promote(input: PromoteInput): Promise<PromoteResult> {
  const { config } = input;
  if (config.policy.mode !== 'testing') {
    const message = config.policy.mode === 'enforce'
      ? `${input.display} is already in enforce mode; nothing to promote`
      : `${input.display} is in mode none (being withdrawn); set mode: testing, deploy and collect reports first`;
    return { outcome: 'refused', why: 'mode', message };
  }
  // The reports' parsers and the live check load here, not for retire and writePromotion (a change of the files only).
  const [{ readReports }, { judge }, { DEFAULT_CONCURRENCY, runChecks }] = await Promise.all([
    import('../tlsrpt/files.ts'), import('./verdict.ts'), import('../check/run.ts'),
  ]);
  const set = await readReports(input.reportPaths, input.cwd);
  const verdict = judge(set, config, input.now);
  if (verdict.status !== 'ready' && input.forcedReason === undefined) {
    return { outcome: 'refused', why: 'evidence', message: `the reports do not show enforce is safe (${verdict.status})`, set, verdict };
  }

  // The live bounce guard of check --before-deploy, against the enforce policy promote would publish.
  const enforced: Config = { ...config, policy: { ...config.policy, mode: 'enforce' } };
  const checks = await runChecks(config.domains, input.checkIO, {
    concurrency: DEFAULT_CONCURRENCY,
    timeoutMs: input.timeoutMs,
    config: enforced,
    allowPendingCert: false,
    skipStarttls: input.skipStarttls,
    plannedPolicy: configPolicy(enforced),
  });
  if (checks.some((r) => r.status === 'fail')) {
    return { outcome: 'refused', why: 'live', message: 'the live check says an enforce policy would bounce mail (see the findings); --force never overrides this', set, verdict, checks };
  }

  const evidence = buildEvidence({
    set, verdict, config: enforced, configPath: input.configPath, cwd: input.cwd, now: input.now, created: input.checkIO.now(),
    ...(input.forcedReason !== undefined ? { forcedReason: input.forcedReason } : {}),
    ...(input.lab ? { lab: true } : {}),
  });
  const written = await writePromotion(input.configPath, input.display, evidence, input.hook);
  if (written !== true) return { outcome: 'refused', why: 'write', message: written, set, verdict, checks };
  return { outcome: 'promoted', set, verdict, checks, evidence, evidenceFile: evidencePath(input.configPath) };
}

/** The files of a promotion: mode enforce in the config, home/ rebuilt, the evidence written; true or what went wrong. */
export async function writePromotion(configPath: string, display: string, evidence: EvidenceFile, hook?: ChangeHook): Promise<true | string> {
  const result = await applyEdits('promote', configPath, display, [{ path: ['policy', 'mode'], value: 'enforce' }], async (current) => {
    // Judged on the config as it was read before the lock: a config changed since (a retire that ran
    // meanwhile, a hand edit) is not promoted on evidence gathered for another policy.
    const same = current.policy.mode === 'testing' && JSON.stringify(current.policy.mx) === JSON.stringify(evidence.policy.mx);
    if (!same) return { refuse: `${display} changed while promote ran (it now says mode: ${current.policy.mode}); run promote again` };
    return { also: { path: evidencePath(configPath), content: `${printableJson(evidence, 2)}\n` } };
  }, hook);
  return typeof result === 'string' ? result : true;
}

export interface RetireResult {
  /** The max_age senders may still hold, in seconds. */
  oldMaxAge: number;
  wasMode: Config['policy']['mode'];
}

/**
 * mode: none with max_age: 1d (RFC 8461 §8.3), home/ rebuilt, and the evidence file removed (it spoke for an
 * enforce policy that is being withdrawn); returns an error message, or what the old policy was.
 */
export async function retire(_config: Config, configPath: string, display: string, hook?: ChangeHook): Promise<RetireResult | string> {
  const evidence = evidencePath(configPath);
  const result = await applyEdits('retire', configPath, display, [
    { path: ['policy', 'mode'], value: 'none' },
    { path: ['policy', 'max_age'], value: '1d' },
  ], async () => ({ also: (await lstat(evidence).catch(() => undefined)) ? { path: evidence, content: null } : undefined }), hook);
  if (typeof result === 'string') return result;
  return { oldMaxAge: result.max_age, wasMode: result.mode };
}

/**
 * Under the project's lock (src/files/change.ts): reads the config, asks `plan` what else changes (or why not),
 * edits the config text, then changes the config, the built folders and `also` as one. After a failure before
 * the commit point nothing has changed; after it, the change is recorded and the next command finishes it.
 * Returns the policy as it was, or what went wrong.
 */
async function applyEdits(
  command: string, configPath: string, display: string, edits: ConfigEdit[],
  plan: (current: Config) => Promise<{ refuse?: string; also?: FileChange | undefined }>, hook?: ChangeHook,
): Promise<Config['policy'] | string> {
  let lock: ProjectLock | undefined;
  try {
    lock = await lockProject(configPath, command);
    let text: string;
    try {
      text = await readFile(configPath, 'utf8');
    } catch (e) {
      throw new ConfigEditError(`cannot read ${display}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const current = parseConfig(text, display);
    if (!current.ok) throw new ConfigEditError(`${display} is invalid; run mta-sts verify`);
    const { refuse, also } = await plan(current.config);
    if (refuse !== undefined) throw new ConfigEditError(refuse);
    const next = editConfigText(text, edits, display);
    const parsed = parseConfig(next, display);
    if (!parsed.ok) throw new ConfigEditError(`${display}: invalid after the edit; it was not changed`);
    const files: FileChange[] = [...(next === text ? [] : [{ path: configPath, content: next }]), ...(also ? [also] : [])];
    // Every folder the kind builds is rebuilt with the config (a Function App's functions/ too), where build puts it.
    const where = outputs(configPath, parsed.config, dirname(configPath));
    const { FOLDER_BUILDERS } = await import('../site/folders.ts'); // brings Vite: loaded only for a change
    const folders = where.folders.map((f) => ({ out: f.path, stage: (h?: BuildHook) => FOLDER_BUILDERS[f.role].stage(parsed.config, f.path, h) }));
    await lock.apply({ files, folders }, hook);
    return current.config.policy;
  } catch (e) {
    if (e instanceof ConfigEditError) return e.message;
    if (e instanceof ChangeError) return e.committed || e.busy ? e.message : `${e.message}; ${display} is unchanged`;
    if (!(e instanceof SiteError || typeof (e as NodeJS.ErrnoException).code === 'string')) throw e;
    return `${(e as Error).message}; ${display} is unchanged`;
  } finally {
    await lock?.release();
  }
}


/** 604800 → "7 days"; 5400 → "1.5 hours". */
export function humanDuration(seconds: number): string {
  const units: [number, string][] = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [size, name] of units) {
    if (seconds >= size) {
      const n = Math.round((seconds / size) * 10) / 10;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return '0 seconds';
}
