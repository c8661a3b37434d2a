// `mta-sts check`: argument parsing and output only; the checks live in src/check/.
import { join, resolve } from 'node:path';
import { appendFile } from 'node:fs/promises';
import { ciFormat, inertForAzure, SUCCEEDED_WITH_ISSUES, uploadSummary, type CiFormat } from '../ci/annotations.ts';
import { checkAnnotations, hasIssues } from '../check/annotations.ts';
import type { CheckIO } from '../check/io.ts';
import { keepYoungGenerationSmall } from '../check/heap.ts';
import { productionIO, type IOOptions } from './production.ts';
import { renderCheckHtml } from '../check/html.ts';
import { JsonReportWriter, renderFindings, renderJunit, renderMarkdownSummary, renderTable } from '../check/report.ts';
import { writeFileAtomic } from '../files/atomic.ts';
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_S, runChecks } from '../check/run.ts';
import { DEFAULT_CONFIG_FILE } from '../config/file-name.ts'; // not config.ts: a run without a config never loads the YAML and schema code
import { isValidDomainName, toALabels } from '../rfc/hostname.ts';
import { configPolicy } from '../config/policy.ts';
import { checkPromotionEvidence, EVIDENCE_FILE, evidencePath, readEvidenceText, type GateCode } from '../rollout/evidence.ts';
import { RANK, type CheckResult, type DomainReport, type LiveState } from '../check/result.ts';
import type { Config } from '../config/config.ts';
import { loadOptionalConfig, numberOption, parseOptions, UsageError, type Command, type CommandIO } from './io.ts';
import { networkSettings } from './network.ts';

export interface CheckCommandDeps {
  /** Builds the run's I/O from the options; tests inject their CA and ports here. */
  io?: (options: IOOptions) => CheckIO;
}

const checkOptions = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  junit: { type: 'string' },
  html: { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  'dns-server': { type: 'string' },
  'allow-pending-cert': { type: 'boolean' },
  'skip-starttls': { type: 'boolean' },
  'before-deploy': { type: 'boolean' },
} as const;

/** The command with its I/O injectable (tests); `command` below is the production one. */
export function checkCommand(deps: CheckCommandDeps = {}): Command {
  return {
    name: 'check',
    usage: 'check [DOMAIN...] [--config FILE] [--json] [--junit FILE] [--html FILE] [--concurrency N] [--timeout S] [--dns-server HOST:PORT] [--allow-pending-cert] [--skip-starttls] [--before-deploy]',
    summary: 'verify the live MTA-STS setup of domains (DNS, policy host, MX, STARTTLS, TLS-RPT)',
    help: [
      '  DOMAIN...               domains to check; none: every domain of the config',
      `  --config FILE           config to compare with (default: ./${DEFAULT_CONFIG_FILE} when present)`,
      '  --json                  a JSON array, one object per domain',
      '  --junit FILE            also write JUnit XML',
      '  --html FILE             also write the report as one self-contained page (no script, nothing fetched)',
      `  --concurrency N         domains checked at once (default ${DEFAULT_CONCURRENCY}, 1-1000)`,
      `  --timeout S             deadline per domain, every lookup and connection included (default ${DEFAULT_TIMEOUT_S})`,
      '  --dns-server HOST:PORT  send every lookup to this server (or MTA_STS_DNS_SERVER; MTA_STS_HTTPS_PORT moves port 443, for labs)',
      '  --allow-pending-cert    a certificate not issued yet is a warning',
      '  --skip-starttls         do not probe MX hosts on port 25',
      '  --before-deploy         judge the live MX hosts against the policy the config would deploy',
    ].join('\n'),
    run: (args, io) => run(args, io, deps),
  };
}

export const command = checkCommand();

async function run(args: string[], io: CommandIO, deps: CheckCommandDeps): Promise<number> {
  const parsed = parseOptions(args, checkOptions, true);
  const { values, positionals } = parsed;
  const concurrency = numberOption('--concurrency', values.concurrency, DEFAULT_CONCURRENCY, { integer: true, min: 1, max: 1000 });
  const timeoutS = numberOption('--timeout', values.timeout, DEFAULT_TIMEOUT_S, { integer: false, min: 0.1, max: 600 });
  if (values.junit === '') throw new UsageError('--junit needs a file name');
  if (values.html === '') throw new UsageError('--html needs a file name');

  const domains = positionals.map((d) => {
    const name = toALabels(d.replace(/\.$/, '')).toLowerCase(); // "bücher.de" is checked as "xn--bcher-kva.de"
    if (!isValidDomainName(name)) throw new UsageError(`"${d}" is not a domain name (expected something like contoso.com)`);
    return name;
  });
  const loaded = await loadOptionalConfig(io, values.config);
  if (!loaded.ok) return 1;
  const config = loaded.config;
  if (values['before-deploy'] && !config) {
    throw new UsageError(`--before-deploy checks the policy a config would deploy: run where ${DEFAULT_CONFIG_FILE} is, or pass --config FILE`);
  }
  if (domains.length === 0) {
    if (!config) throw new UsageError(`name the domains to check, or run where ${DEFAULT_CONFIG_FILE} is, or pass --config FILE`);
    domains.push(...config.domains);
  }
  const unique = [...new Set(domains)];

  const timeoutMs = Math.round(timeoutS * 1000);
  const { dnsServer, httpsPort, overrides } = networkSettings(io, 'check', values['dns-server']);
  const checkIO = (deps.io ?? productionIO)({ dnsServer, httpsPort, timeoutMs });
  keepYoungGenerationSmall();
  // Progress goes to stderr whenever a person watches it there, also with --json > file; never into a pipe or a log.
  const progress = io.errIsTTY === true;
  const ci = ciFormat(io.env ?? {});
  // Each report names the overrides it was made under, so a saved --json or JUnit file says so too.
  const named = (r: DomainReport): DomainReport => (overrides.length > 0 ? { ...r, overrides } : r);
  // --json is written a domain at a time; without --junit or --html nothing else needs a domain's findings, so
  // only its summary row is kept (the CI summary's: domain, result, worst finding).
  const json = values.json ? new JsonReportWriter((t) => io.out(ci === 'azure' ? inertForAzure(t, '\\u005b') : t)) : undefined;
  const retain = !json || values.junit !== undefined || values.html !== undefined;
  const rows: DomainReport[] = [];
  const checked = await runChecks(unique, checkIO, {
    concurrency,
    timeoutMs,
    config,
    allowPendingCert: values['allow-pending-cert'] ?? false,
    skipStarttls: values['skip-starttls'] ?? false,
    plannedPolicy: values['before-deploy'] && config ? configPolicy(config) : undefined,
    // Switching a live testing policy to enforce needs the evidence `mta-sts promote` writes.
    promotionGate: values['before-deploy'] && config?.policy.mode === 'enforce'
      ? await promotionGate(config, resolve(io.cwd, values.config ?? DEFAULT_CONFIG_FILE), checkIO.now)
      : undefined,
    onProgress: progress ? (done, total, r) => io.err(`\r\x1b[K${oneLine(`checking ${done}/${total} domains (${r.domain}: ${r.status})`, io.columns)}`) : undefined,
    retain,
    onReport: json ? (i, r) => {
      json.add(i, named(r));
      if (!retain) rows[i] = summaryRow(r);
    } : undefined,
  });
  if (progress) io.err('\r\x1b[K');
  const reports = retain ? checked.map(named) : rows;

  // The report first: a JUnit file that cannot be written must not cost the user the results.
  if (json) json.end();
  else {
    const table = renderTable(reports) + renderFindings(reports);
    io.out(ci === 'azure' ? inertForAzure(table, '\\x5b') : table);
  }
  // Inside Azure Pipelines or GitHub Actions each problem also goes on the run's summary page. Never with
  // --json: its stdout is the JSON, and stderr would not do (GitHub reads workflow commands from stdout only).
  const format = values.json ? undefined : ci;
  if (format) io.out(checkAnnotations(reports, format).map((l) => `${l}\n`).join(''));
  const files: [string | undefined, () => string][] = [
    [values.junit, () => renderJunit(reports)],
    [values.html, () => renderCheckHtml({ reports, generated: checkIO.now().toISOString(), options: args, overrides })],
  ];
  for (const [name, render] of files) {
    if (name === undefined) continue;
    try {
      await writeFileAtomic(resolve(io.cwd, name), render());
    } catch (e) {
      io.err(`mta-sts check: cannot write ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
  }
  const summary = await writeCiSummary(reports, ci, io);
  if (summary !== undefined) {
    io.err(`mta-sts check: cannot write the run's summary: ${summary}\n`);
    return 1;
  }
  if (reports.some((r) => r.status === 'fail')) return 1;
  // Only on a run that exits 0: with a failure the exit code decides the step's result.
  if (format === 'azure' && hasIssues(reports)) io.out(`${SUCCEEDED_WITH_ISSUES}\n`);
  return 0;
}

/** What the CI summary reads of a domain (renderMarkdownSummary): its result and its worst finding. */
function summaryRow(r: DomainReport): DomainReport {
  const worst = [...r.checks].sort((a, b) => RANK[b.status] - RANK[a.status])[0];
  return { domain: r.domain, status: r.status, checks: worst ? [worst] : [] };
}

/** The evidence check of one deploy: the evidence file beside the config is read once, judged per domain. */
async function promotionGate(config: Config, configPath: string, now: () => Date): Promise<(live: LiveState) => CheckResult> {
  const { text, error } = await readEvidenceText(evidencePath(configPath));
  return (live) => {
    if (error) return { check: 'evidence', status: 'fail', code: 'evidence-unreadable' satisfies GateCode, message: `${EVIDENCE_FILE}: ${error}` };
    const gate = checkPromotionEvidence({ live, config, ...(text !== undefined ? { evidenceText: text } : {}), evidenceFile: EVIDENCE_FILE, now: now() });
    return { check: 'evidence', ...gate };
  };
}

/**
 * The short Markdown summary on the CI run's page: appended to $GITHUB_STEP_SUMMARY in GitHub Actions; in Azure
 * Pipelines written to the agent's temp folder (AGENT_TEMPDIRECTORY) and attached with task.uploadsummary (on stderr, so --json's
 * stdout stays JSON). Returns why it could not be written, or undefined.
 */
async function writeCiSummary(reports: DomainReport[], ci: CiFormat | undefined, io: CommandIO): Promise<string | undefined> {
  const env = io.env ?? {};
  const markdown = renderMarkdownSummary(reports);
  try {
    if (ci === 'github' && env.GITHUB_STEP_SUMMARY) {
      await appendFile(env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
    } else if (ci === 'azure' && env.AGENT_TEMPDIRECTORY) {
      // The agent empties its temp folder after each job; without one (not a real agent) nothing is left behind.
      const file = join(env.AGENT_TEMPDIRECTORY, `mta-sts-check-${process.pid}-${Date.now()}.md`);
      await writeFileAtomic(file, markdown);
      io.err(`${uploadSummary(file)}\n`);
    }
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

/**
 * A progress line that never wraps: cut to one column less than the terminal's width (writing into the last
 * column makes many terminals wrap), so `\r` always returns to its start. Domains are A-labels: one column each.
 */
export function oneLine(text: string, columns = 80): string {
  const width = Math.max(columns - 1, 10);
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
