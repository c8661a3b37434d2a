// The rollout steps that change the config: promote (testing → enforce, only on evidence and after the
// live bounce guard) and retire (→ none, RFC 8461 §8.3). Each edits the config through the yaml Document
// API (comments kept), rebuilds home/, and leaves the config as it was when any step fails.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CheckIO } from '../check/io.ts';
import type { DomainReport } from '../check/result.ts';
import { DEFAULT_CONCURRENCY, runChecks } from '../check/run.ts';
import { loadConfig, type Config } from '../config/config.ts';
import { editConfigFile, ConfigEditError, type ConfigEdit } from '../config/edit.ts';
import { buildSite, SiteError } from '../site/build.ts';
import { writeFileAtomic } from '../write-file-atomic.ts';
import { configPolicy } from '../config/policy.ts';
import { buildEvidence, evidencePath, type EvidenceFile } from './evidence.ts';
import { readReports } from '../tlsrpt/files.ts';
import type { ReportSet } from '../tlsrpt/summary.ts';
import { judge, type Verdict } from './verdict.ts';

export interface PromoteInput {
  config: Config;
  /** Absolute path of the config file, and how to name it in messages. */
  configPath: string;
  display: string;
  reportPaths: string[];
  cwd: string;
  now: Date;
  /** --force --reason: overrides the evidence rules only, never the live check. */
  forcedReason?: string;
  checkIO: CheckIO;
  timeoutMs: number;
  skipStarttls: boolean;
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
    set, verdict, config: enforced, configPath: input.configPath, cwd: input.cwd, now: input.now, created: new Date(),
    ...(input.forcedReason !== undefined ? { forcedReason: input.forcedReason } : {}),
  });
  const file = evidencePath(input.configPath);
  const written = await applyEdits(input.configPath, input.display, [{ path: ['policy', 'mode'], value: 'enforce' }],
    () => writeFileAtomic(file, `${JSON.stringify(evidence, null, 2)}\n`));
  if (written !== true) return { outcome: 'refused', why: 'write', message: written, set, verdict, checks };
  return { outcome: 'promoted', set, verdict, checks, evidence, evidenceFile: file };
}

export interface RetireResult {
  /** The max_age senders may still hold, in seconds. */
  oldMaxAge: number;
  wasMode: Config['policy']['mode'];
}

/** mode: none with max_age: 1d (RFC 8461 §8.3); returns an error message, or what the old policy was. */
export async function retire(config: Config, configPath: string, display: string): Promise<RetireResult | string> {
  const result = await applyEdits(configPath, display, [
    { path: ['policy', 'mode'], value: 'none' },
    { path: ['policy', 'max_age'], value: '1d' },
  ]);
  if (result !== true) return result;
  return { oldMaxAge: config.policy.max_age, wasMode: config.policy.mode };
}

/**
 * Edits the config, rebuilds home/ beside it, then runs `after`; when any of it fails, the config text
 * and home/ are put back as they were. Returns true, or what went wrong.
 */
async function applyEdits(configPath: string, display: string, edits: ConfigEdit[], after?: () => Promise<void>): Promise<true | string> {
  const original = await readFile(configPath, 'utf8');
  const home = join(dirname(configPath), 'home');
  let edited = false;
  try {
    edited = await editConfigFile(configPath, edits, display);
    const loaded = await loadConfig(configPath, display);
    if (!loaded.ok) throw new ConfigEditError(`${display}: invalid after the edit; it was restored`);
    await buildSite(loaded.config, home);
    await after?.();
    return true;
  } catch (e) {
    // Whatever failed, the config goes back to what it said (and home/ with it) before anything is reported.
    if (edited) {
      await writeFileAtomic(configPath, original).catch(() => undefined);
      const back = await loadConfig(configPath, display);
      if (back.ok) await buildSite(back.config, home).catch(() => undefined);
    }
    if (!(e instanceof ConfigEditError || e instanceof SiteError || typeof (e as NodeJS.ErrnoException).code === 'string')) throw e;
    return e instanceof ConfigEditError ? e.message : `${(e as Error).message}; ${display} is unchanged`;
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
