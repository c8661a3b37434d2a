// `mta-sts promote`: testing → enforce, only when the TLS-RPT reports show it is safe and the live check of
// the enforce policy passes; then the config, home/ and mta-sts.evidence.json change together.
import { resolve } from 'node:path';
import { keepOldGenerationNearLive, keepYoungGenerationSmall } from '../check/heap.ts';
import type { CheckIO } from '../check/io.ts';
import { renderFindings, renderTable } from '../check/report.ts';
import { DEFAULT_TIMEOUT_S } from '../check/run.ts';
import { DEFAULT_CONFIG_FILE } from '../config/config.ts';
import { EVIDENCE_FILE } from '../rollout/evidence.ts';
import { displayPath, foldersPhrase, outputs } from '../project/outputs.ts';
import { missingPaths } from '../tlsrpt/files.ts';
import { verdictBlock } from '../rollout/verdict-render.ts';
import { promote } from '../rollout/rollout.ts';
import { printable } from '../printable.ts';
import { productionIO, type IOOptions } from './production.ts';
import { dateOption, loadConfigArg, numberOption, parseOptions, UsageError, type Command, type CommandIO } from './io.ts';
import { networkSettings } from './network.ts';

export interface PromoteCommandDeps {
  /** Builds the live check's I/O; tests inject their CA and ports here. */
  io?: (options: IOOptions) => CheckIO;
}

export function promoteCommand(deps: PromoteCommandDeps = {}): Command {
  return {
    name: 'promote',
    usage: 'promote --reports PATH... [--config FILE] [--now YYYY-MM-DD] [--force --reason TEXT] [--dns-server HOST:PORT] [--timeout S] [--skip-starttls]',
    summary: 'switch policy.mode from testing to enforce when the TLS-RPT reports and the live check allow it',
    help: [
      '  --reports PATH...       TLS-RPT report files and folders (required; more paths may follow)',
      `  --config FILE           the config to promote (default ${DEFAULT_CONFIG_FILE})`,
      '  --now DATE              judge as if today were DATE (YYYY-MM-DD, UTC); for labs: the evidence is marked',
      '                          as a lab run\'s, and check --before-deploy never accepts it',
      '  --force --reason TEXT   promote although the evidence rules are unmet; the reason goes into the evidence file.',
      '                          It never overrides the live check: a policy that would bounce mail is never written.',
      '  --dns-server HOST:PORT  send every lookup of the live check to this server',
      `  --timeout S             deadline per domain of the live check (default ${DEFAULT_TIMEOUT_S})`,
      '  --skip-starttls         do not probe MX hosts on port 25 (then only Exchange Online MX hosts can be enforced)',
      `On success: mode: enforce in the config (comments kept), home/ (and a Function App's functions/) rebuilt, ${EVIDENCE_FILE} written beside the config.`,
      'Exit codes: 0 promoted, 1 refused (nothing changed), 2 usage.',
    ].join('\n'),
    run: (args, io) => run(args, io, deps),
  };
}

export const command = promoteCommand();

async function run(args: string[], io: CommandIO, deps: PromoteCommandDeps): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    reports: { type: 'string', multiple: true }, config: { type: 'string' }, now: { type: 'string' },
    force: { type: 'boolean' }, reason: { type: 'string' },
    'dns-server': { type: 'string' }, timeout: { type: 'string' }, 'skip-starttls': { type: 'boolean' },
  }, true);
  const reportPaths = [...(values.reports ?? []), ...positionals];
  if (!values.reports?.length) throw new UsageError('--reports PATH is required: the folder (or files) of TLS-RPT reports to judge');
  if (values.force && !values.reason?.trim()) throw new UsageError('--force needs --reason TEXT: why promote without the evidence (it is kept in the evidence file)');
  if (values.reason !== undefined && !values.force) throw new UsageError('--reason goes with --force');
  const lab = dateOption('--now', values.now);
  const timeoutS = numberOption('--timeout', values.timeout, DEFAULT_TIMEOUT_S, { integer: false, min: 0.1, max: 600 });
  const { dnsServer, httpsPort } = networkSettings(io, 'promote', values['dns-server']);
  // It reads the reports as `mta-sts reports` does (check/heap.ts).
  keepYoungGenerationSmall();
  keepOldGenerationNearLive();

  const missing = await missingPaths(reportPaths, io.cwd);
  if (missing.length > 0) {
    for (const m of missing) io.err(`mta-sts promote: ${m}: no such file or folder\n`);
    return 1;
  }
  const display = values.config ?? DEFAULT_CONFIG_FILE;
  const config = await loadConfigArg(io, values.config);
  if (!config) return 1;
  const timeoutMs = Math.round(timeoutS * 1000);
  const checkIO = (deps.io ?? productionIO)({ dnsServer, httpsPort, timeoutMs });
  // The live check's clock is today; --now judges another day, for labs only.
  const result = await promote({
    config, configPath: resolve(io.cwd, display), display, reportPaths, cwd: io.cwd, now: lab ?? checkIO.now(), lab: lab !== undefined,
    ...(values.force ? { forcedReason: values.reason!.trim() } : {}),
    checkIO, timeoutMs, skipStarttls: values['skip-starttls'] ?? false,
  });

  if (result.set) io.out(`Read ${result.set.reports.length} report(s); ${result.set.skipped.length} file(s) skipped.\n`);
  if (result.verdict) io.out(`${verdictBlock(result.verdict, display, false).join('\n')}\n`);
  if (result.checks) io.out(`\nlive check of the enforce policy (check --before-deploy):\n${renderTable(result.checks)}${renderFindings(result.checks)}`);
  if (result.outcome === 'refused') {
    io.err(`mta-sts promote: not promoted: ${printable(result.message)}.\n`);
    if (result.why === 'evidence') io.err('Collect more reports (or fix what they show) and run promote again; --force --reason TEXT overrides the evidence rules.\n');
    return 1;
  }
  const forced = values.force ? ` (forced: ${printable(values.reason!.trim())})` : '';
  if (values.now !== undefined) {
    io.err(`mta-sts promote: --now ${values.now}: ${EVIDENCE_FILE} is marked as a lab run's; check --before-deploy never accepts it, so the pipeline will not deploy this enforce policy. Run promote without --now for real evidence.\n`);
  }
  const where = outputs(display, config, io.cwd);
  const built = foldersPhrase(where);
  const evidence = displayPath(io.cwd, where.evidence);
  io.out(`\nPromoted${forced}: ${display} now says mode: enforce, ${built.list} ${built.verb} rebuilt, and ${evidence} records the evidence.\n` +
    `Commit ${display}, ${built.names.join(', ')} and ${evidence}, open a pull request and push; the pipeline deploys the policy, then the new id.\n`);
  return 0;
}
