// The evidence file `mta-sts promote` writes beside the config (mta-sts.evidence.json), and the pipeline
// gate that reads it: a deploy that switches a live testing policy to enforce needs evidence that is recent
// and was gathered for exactly the MX lines being enforced.
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Config } from '../config/config.ts';
import type { Policy } from '../rfc/policy.ts';
import type { ReportSet } from '../tlsrpt/summary.ts';
import type { DomainEvidence, Verdict } from './verdict.ts';

import { EVIDENCE_FILE } from '../project/outputs.ts';

export { EVIDENCE_FILE };
/** Evidence older than this no longer speaks for the MX hosts: run promote again. */
export const EVIDENCE_MAX_AGE_DAYS = 30;

export interface EvidenceFile {
  /** Format version of this file. */
  version: 1;
  /** When promote ran, ISO 8601 UTC. */
  created: string;
  /** The --now day the verdict was computed for (YYYY-MM-DD). */
  now: string;
  window: Verdict['window'];
  rollout: Verdict['rollout'];
  /** The policy being enforced: its mode and MX lines, as the config has them. */
  policy: { mode: 'enforce'; mx: string[]; max_age: number };
  domains: DomainEvidence[];
  verdict: { status: Verdict['status']; reasons: string[] };
  /** Present when --force overrode the evidence rules. */
  forced?: { reason: string };
  /** Every report that counted, relative to this file's folder, with the sha256 of its bytes. */
  reports: { file: string; sha256: string }[];
}

export interface EvidenceInput {
  set: ReportSet;
  verdict: Verdict;
  config: Config;
  /** Where the config lives: report paths are written relative to its folder. */
  configPath: string;
  /** The working directory the report paths were given from. */
  cwd: string;
  now: Date;
  created: Date;
  forcedReason?: string;
}

export function buildEvidence(input: EvidenceInput): EvidenceFile {
  const base = dirname(input.configPath);
  const reports = input.verdict.reportsUsed.map((i) => input.set.reports[i]!).map((r) => ({
    file: relative(base, resolve(input.cwd, r.file)).split('\\').join('/'),
    sha256: r.sha256,
  }));
  return {
    version: 1,
    created: input.created.toISOString(),
    now: input.now.toISOString().slice(0, 10),
    window: input.verdict.window,
    rollout: input.verdict.rollout,
    policy: { mode: 'enforce', mx: [...input.config.policy.mx], max_age: input.config.policy.max_age },
    domains: input.verdict.domains,
    verdict: { status: input.verdict.status, reasons: input.verdict.reasons },
    ...(input.forcedReason !== undefined ? { forced: { reason: input.forcedReason } } : {}),
    reports,
  };
}

export function evidencePath(configPath: string): string {
  return join(dirname(configPath), EVIDENCE_FILE);
}

/** The evidence file's text, or undefined when there is none (any read error but "missing" is reported). */
export async function readEvidenceText(path: string): Promise<{ text?: string; error?: string }> {
  try {
    return { text: await readFile(path, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? {} : { error: `cannot read it (${code ?? (e as Error).message})` };
  }
}

export interface GateInput {
  /** The policy senders see now; undefined when it cannot be fetched (first deploy: nothing to protect). */
  livePolicy?: Policy;
  config: Config;
  /** The evidence file's text; undefined when there is none. */
  evidenceText?: string;
  /** How the file is named in messages, e.g. mta-sts.evidence.json. */
  evidenceFile: string;
  now: Date;
}

export interface GateResult { status: 'pass' | 'fail'; code: string; message: string }

const PROMOTE = 'run npx mta-sts promote --reports <folder of TLS-RPT reports>, commit the result and push';

/** The pipeline gate (check --before-deploy): may this deploy switch a live testing policy to enforce? */
export function checkPromotionEvidence(input: GateInput): GateResult {
  const { livePolicy, config } = input;
  if (config.policy.mode !== 'enforce' || livePolicy?.mode !== 'testing') {
    const why = config.policy.mode !== 'enforce' ? `the config's mode is ${config.policy.mode}`
      : livePolicy ? `the live policy is already ${livePolicy.mode}` : 'no live policy could be fetched (a first deployment)';
    return { status: 'pass', code: 'evidence-not-needed', message: `no promotion evidence needed: ${why}` };
  }
  const refuse = (problem: string): GateResult => ({
    status: 'fail',
    code: 'enforce-without-evidence',
    message: `this deploy would switch the live testing policy to enforce, but ${problem}; ${PROMOTE}`,
  });
  if (input.evidenceText === undefined) return refuse(`there is no ${input.evidenceFile} beside the config`);
  let evidence: Partial<EvidenceFile>;
  try {
    evidence = JSON.parse(input.evidenceText) as Partial<EvidenceFile>;
  } catch (e) {
    return refuse(`${input.evidenceFile} is not valid JSON (${(e as Error).message})`);
  }
  const created = typeof evidence?.created === 'string' ? Date.parse(evidence.created) : Number.NaN;
  const mx = evidence?.policy?.mx;
  if (Number.isNaN(created) || !Array.isArray(mx)) return refuse(`${input.evidenceFile} has no "created" time or "policy.mx" list`);
  const want = [...config.policy.mx].sort();
  const got = mx.map((m) => String(m).toLowerCase()).sort();
  if (want.length !== got.length || want.some((m, i) => m !== got[i])) {
    return refuse(`${input.evidenceFile} was made for the MX lines ${got.join(', ') || '(none)'}, not for ${want.join(', ')}`);
  }
  const ageDays = (input.now.getTime() - created) / 86_400_000;
  if (ageDays > EVIDENCE_MAX_AGE_DAYS) {
    return refuse(`${input.evidenceFile} was created ${evidence.created}, ${Math.floor(ageDays)} days ago; it must be at most ${EVIDENCE_MAX_AGE_DAYS} days old`);
  }
  if (ageDays < -1) return refuse(`${input.evidenceFile} was created ${evidence.created}, in the future`);
  const forced = evidence.forced?.reason ? ` (forced: ${evidence.forced.reason})` : '';
  return {
    status: 'pass',
    code: 'evidence-ok',
    message: `promotion evidence ${input.evidenceFile} from ${evidence.created} covers ${want.join(', ')}; verdict ${evidence.verdict?.status ?? 'unknown'}${forced}`,
  };
}
