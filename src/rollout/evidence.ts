// The evidence file `mta-sts promote` writes beside the config (mta-sts.evidence.json), and the pipeline
// gate that reads it: a deploy that sets enforce where senders may hold another policy needs evidence that is
// recent, about recent mail, and was gathered for exactly the MX lines being enforced.
import { dirname, join, relative, resolve } from 'node:path';
import type { Config } from '../config/config.ts';
import type { LiveState } from '../check/result.ts';
import { readRegularFile } from '../files/read.ts';
import type { ReportSet } from '../tlsrpt/summary.ts';
import type { DomainEvidence, Verdict } from './verdict.ts';

import { EVIDENCE_FILE } from '../project/outputs.ts';

export { EVIDENCE_FILE };
/** Evidence older than this no longer speaks for the MX hosts: run promote again. */
export const EVIDENCE_MAX_AGE_DAYS = 30;
const LAB_NOTE = 'promote --now judged the reports as if today were this day; evidence from such a lab run never opens check --before-deploy';

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
  /** Present when promote judged another day than today (--now): a lab run, never accepted by the gate. */
  lab?: { now: string; note: string };
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
  /** promote was given --now: the evidence is marked as a lab run's. */
  lab?: boolean;
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
    ...(input.lab ? { lab: { now: input.now.toISOString().slice(0, 10), note: LAB_NOTE } } : {}),
    reports,
  };
}

export function evidencePath(configPath: string): string {
  return join(dirname(configPath), EVIDENCE_FILE);
}

/** An evidence file is a few KiB; anything this large is not one. */
const MAX_EVIDENCE_BYTES = 4 * 1024 * 1024;

/** The evidence file's text, or undefined when there is none (any other reason it cannot be read is reported). */
export async function readEvidenceText(path: string): Promise<{ text?: string; error?: string }> {
  const read = await readRegularFile(path, MAX_EVIDENCE_BYTES);
  if (!read.ok) return read.code === 'ENOENT' ? {} : { error: read.reason };
  if (read.tooLarge) return { error: `larger than ${MAX_EVIDENCE_BYTES / 1024 / 1024} MiB; not an evidence file promote writes` };
  return { text: read.bytes.toString('utf8') };
}

export interface GateInput {
  live: LiveState;
  config: Config;
  /** The evidence file's text; undefined when there is none. */
  evidenceText?: string;
  /** How the file is named in messages, e.g. mta-sts.evidence.json. */
  evidenceFile: string;
  now: Date;
}

export interface GateResult { status: 'pass' | 'fail'; code: GateCode; message: string }

/**
 * Every code the gate answers with; docs/check.md, "The deploy gate", lists the same (a test keeps them equal).
 * A pass means no evidence is needed or the evidence holds; each fail names why evidence was needed.
 */
export const GATE_CODES = {
  'evidence-not-needed': 'the config is not enforce, the live policy is already enforce, or no _mta-sts TXT exists (a first deployment)',
  'evidence-ok': 'evidence for a switch to enforce that is recent, about recent mail, for the same MX lines, and not from a lab run',
  'enforce-without-evidence': 'a live testing or none policy would become enforce without such evidence',
  'enforce-over-unreadable-policy': '_mta-sts TXT is published but the live policy cannot be fetched or parsed, and there is no such evidence',
  'enforce-record-unknown': 'the _mta-sts TXT lookup failed, so nobody can tell whether senders hold a policy, and there is no such evidence',
  'evidence-unreadable': 'the evidence file exists but cannot be read',
} as const;
export type GateCode = keyof typeof GATE_CODES;

/** The evidence's window must end at most this many days before promote ran: the mail it judged is recent. */
export const EVIDENCE_MAX_WINDOW_LAG_DAYS = 3;
const DAY_MS = 86_400_000;

const PROMOTE = 'run npx --no mta-sts promote --reports <folder of TLS-RPT reports>, commit the result and push';

/**
 * The pipeline gate (check --before-deploy): may this deploy set enforce? Only without an `_mta-sts` TXT (a
 * first deployment: no sender can hold a policy) or over a live enforce policy is no evidence needed; every
 * other case, an unreadable or unknown one included, needs evidence that holds. When in doubt it stops.
 */
export function checkPromotionEvidence(input: GateInput): GateResult {
  const { live, config } = input;
  const notNeeded = (why: string): GateResult => ({ status: 'pass', code: 'evidence-not-needed', message: `no promotion evidence needed: ${why}` });
  if (config.policy.mode !== 'enforce') return notNeeded(`the config's mode is ${config.policy.mode}`);
  if (live.record.state === 'absent') return notNeeded('no _mta-sts TXT record is published, so no sender holds a policy (a first deployment)');
  if (live.record.state === 'published' && live.policy.ok && live.policy.policy.mode === 'enforce') return notNeeded('the live policy is already enforce');

  let code: GateCode;
  let situation: string;
  if (live.record.state === 'unknown') {
    code = 'enforce-record-unknown';
    situation = `this deploy would set enforce where the _mta-sts TXT lookup failed (${live.record.why}), so senders may hold an earlier policy`;
  } else if (!live.policy.ok) {
    code = 'enforce-over-unreadable-policy';
    situation = `this deploy would set enforce where the _mta-sts TXT record is published and the live policy cannot be read (${live.policy.why}): senders may hold an earlier policy, so this is not a first deployment`;
  } else {
    code = 'enforce-without-evidence';
    situation = `this deploy would switch the live ${live.policy.policy.mode} policy to enforce`;
  }
  const evidence = readEvidence(input);
  const problem = typeof evidence === 'string' ? evidence : evidenceProblem(evidence, input);
  if (problem !== undefined || typeof evidence === 'string') return { status: 'fail', code, message: `${situation}, but ${problem}; ${PROMOTE}` };
  const forced = evidence.forced?.reason ? ` (forced: ${evidence.forced.reason})` : '';
  return {
    status: 'pass',
    code: 'evidence-ok',
    message: `promotion evidence ${input.evidenceFile} from ${evidence.created} (reports of ${evidence.window!.start} to ${evidence.window!.end}) covers ${[...config.policy.mx].sort().join(', ')}; verdict ${evidence.verdict?.status ?? '(none)'}${forced}`,
  };
}

/** The evidence file's object, or why there is none to judge. */
function readEvidence(input: GateInput): Partial<EvidenceFile> | string {
  const file = input.evidenceFile;
  if (input.evidenceText === undefined) return `there is no ${file} beside the config`;
  let evidence: unknown;
  try {
    evidence = JSON.parse(input.evidenceText);
  } catch (e) {
    return `${file} is not valid JSON (${(e as Error).message})`;
  }
  return typeof evidence === 'object' && evidence !== null ? evidence as Partial<EvidenceFile> : `${file} is not a JSON object`;
}

/** Why the evidence does not speak for this deploy, or undefined when it does. */
function evidenceProblem(evidence: Partial<EvidenceFile>, input: GateInput): string | undefined {
  const file = input.evidenceFile;
  const created = typeof evidence.created === 'string' ? Date.parse(evidence.created) : Number.NaN;
  const mx = evidence.policy?.mx;
  if (Number.isNaN(created) || !Array.isArray(mx)) return `${file} has no "created" time or "policy.mx" list`;
  const want = [...input.config.policy.mx].sort();
  const got = mx.map((m) => String(m).toLowerCase()).sort();
  if (want.length !== got.length || want.some((m, i) => m !== got[i])) {
    return `${file} was made for the MX lines ${got.join(', ') || '(none)'}, not for ${want.join(', ')}`;
  }
  const ageDays = (input.now.getTime() - created) / DAY_MS;
  if (ageDays > EVIDENCE_MAX_AGE_DAYS) {
    return `${file} was created ${evidence.created}, ${Math.floor(ageDays)} days ago; it must be at most ${EVIDENCE_MAX_AGE_DAYS} days old`;
  }
  if (ageDays < -1) return `${file} was created ${evidence.created}, in the future`;
  if (evidence.lab) return `${file} comes from a lab run (${evidence.lab.note}); such evidence never opens this gate`;
  // The window is what the evidence is about: reports judged for a day long past are not evidence about today's mail.
  const end = typeof evidence.window?.end === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(evidence.window.end) ? Date.parse(`${evidence.window.end}T23:59:59.999Z`) : Number.NaN;
  if (Number.isNaN(end)) return `${file} has no "window.end" day (YYYY-MM-DD): it does not say which mail it judged`;
  const lagDays = (created - end) / DAY_MS;
  if (lagDays > EVIDENCE_MAX_WINDOW_LAG_DAYS) {
    return `${file} judged the reports of ${evidence.window!.start} to ${evidence.window!.end}, which ended ${Math.floor(lagDays)} days before it was created; the window must end at most ${EVIDENCE_MAX_WINDOW_LAG_DAYS} days before, so that it speaks for recent mail`;
  }
  if (lagDays < -1) return `${file} judged a window ending ${evidence.window!.end}, after it was created ${evidence.created}`;
  if (evidence.verdict?.status !== 'ready' && !evidence.forced?.reason) {
    return `${file} records the verdict ${evidence.verdict?.status ?? '(none)'}, not ready, and no --force reason`;
  }
  return undefined;
}
