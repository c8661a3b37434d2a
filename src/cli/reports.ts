// `mta-sts reports`: read TLS-RPT reports from files and folders, print the summary (text or --json), write
// the --html page, and give the promotion verdict when there is a config. Logic lives in src/tlsrpt/.
import { resolve } from 'node:path';
import { printable, printableJson } from '../printable.ts';
import { writeFileAtomic } from '../files/atomic.ts';
import { DEFAULT_CONFIG_FILE } from '../config/config.ts';
import { keepOldGenerationNearLive, keepYoungGenerationSmall } from '../check/heap.ts';
import { missingPaths, readReports } from '../tlsrpt/files.ts';
import { renderHtml } from '../tlsrpt/html.ts';
import { renderText, reportsJson } from '../tlsrpt/render.ts';
import { ReportSet } from '../tlsrpt/summary.ts';
import { judge } from '../rollout/verdict.ts';
import { verdictBlock, verdictView } from '../rollout/verdict-render.ts';
import { dateOption, loadOptionalConfig, parseOptions, UsageError, type Command } from './io.ts';


export const command: Command = {
  name: 'reports',
  usage: 'reports [PATH...] [--config FILE] [--since YYYY-MM-DD] [--now YYYY-MM-DD] [--json] [--html FILE]',
  summary: 'summarise TLS-RPT reports (.json, .json.gz, .eml; folders recursively) and say whether enforce is safe',
  help: [
    '  PATH...            report files and folders, read recursively (default: the current folder); hidden folders and node_modules are left out',
    `  --config FILE      the config whose domains and policy the verdict judges (default: ./${DEFAULT_CONFIG_FILE} when present)`,
    '  --since DATE       leave out reports that start before this day',
    '  --now DATE         judge as if today were DATE (default: today, UTC)',
    '  --json             one JSON object: reports, skipped, policies, verdict',
    '  --html FILE        also write a self-contained page with charts and tables',
    'Exit codes: 0 a summary was printed (whatever the verdict), 1 no file was a report, 2 usage.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      config: { type: 'string' }, since: { type: 'string' }, now: { type: 'string' }, json: { type: 'boolean' }, html: { type: 'string' },
    }, true);
    const since = dateOption('--since', values.since);
    const now = dateOption('--now', values.now) ?? new Date();
    if (values.html === '') throw new UsageError('--html needs a file name');
    const loaded = await loadOptionalConfig(io, values.config);
    if (!loaded.ok) return 1;

    const paths = positionals.length ? positionals : ['.'];
    const missing = await missingPaths(paths, io.cwd);
    if (missing.length > 0) {
      for (const m of missing) io.err(`mta-sts reports: ${printable(m)}: no such file or folder\n`);
      return 1;
    }
    // Each report streams through as short-lived tokens and details: a young generation let grow to 64 MiB
    // semi-spaces doubled peak RSS (bench:reports, 16 reports of 200,000 rows: new space 134 MB of 250).
    keepYoungGenerationSmall();
    keepOldGenerationNearLive();
    const set = await readReports(paths, io.cwd, new ReportSet(since?.toISOString().slice(0, 10)));
    if (set.reports.length === 0) {
      for (const s of set.skipped) io.err(`${printable(s.file)}: ${printable(s.reason)}\n`);
      const older = set.older ? ` (${set.older} report(s) started before --since)` : '';
      io.err(`mta-sts reports: no file could be read as a TLS-RPT report${older}\n`);
      return 1;
    }
    const verdict = loaded.config ? judge(set, loaded.config, now) : undefined;
    io.out(values.json ? `${printableJson(reportsJson(set, verdict), 2)}\n` : renderText(set, verdict && verdictBlock(verdict, values.config ?? DEFAULT_CONFIG_FILE)));
    if (values.html !== undefined) {
      try {
        await writeFileAtomic(resolve(io.cwd, values.html), renderHtml({ set, ...(verdict ? { verdict: verdictView(verdict) } : {}), generated: new Date().toISOString() }));
      } catch (e) {
        io.err(`mta-sts reports: cannot write ${values.html}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
        return 1;
      }
      if (!values.json) io.out(`Wrote ${values.html}.\n`);
    }
    return 0;
  },
};
