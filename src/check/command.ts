// `mta-sts check`: argument parsing and output only; the checks live in the other modules of src/check/.
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type CommandIO } from '../cli.ts';
import { DEFAULT_CONFIG_FILE, formatDiagnostic, loadConfig, type Config } from '../config/config.ts';
import { isValidDomainName } from '../rfc/hostname.ts';
import { configPolicy } from '../site/policy.ts';
import { createPolicyFetcher } from './https-fetcher.ts';
import { createDns, dnsServerError, type CheckIO } from './io.ts';
import { toALabels } from './names.ts';
import { renderFindings, renderJson, renderJunit, renderTable, writeFileAtomic } from './report.ts';
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_S, runChecks } from './run.ts';
import { createSmtpProbe } from './smtp-probe.ts';

export const CHECK_USAGE =
  'mta-sts check [DOMAIN...] [--config FILE] [--json] [--junit FILE] [--concurrency N] [--timeout S] [--dns-server HOST:PORT] [--allow-pending-cert] [--skip-starttls] [--before-deploy]';

export interface IOOptions {
  dnsServer?: string;
  timeoutMs: number;
}

/** Production I/O: the system (or --dns-server) resolver, Node's trust store incl. NODE_EXTRA_CA_CERTS, ports 443 and 25. */
export function productionIO(options: IOOptions): CheckIO {
  return {
    dns: createDns({ server: options.dnsServer }),
    fetcher: createPolicyFetcher({ timeoutMs: options.timeoutMs }),
    smtp: createSmtpProbe({ stepTimeoutMs: Math.min(30_000, options.timeoutMs) }),
    now: () => new Date(),
  };
}

export interface CheckCommandDeps {
  /** Builds the run's I/O from the options; tests inject their CA and ports here. */
  io?: (options: IOOptions) => CheckIO;
}

export async function checkCommand(args: string[], io: CommandIO, deps: CheckCommandDeps = {}): Promise<number> {
  try {
    return await run(args, io, deps);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`mta-sts check: ${e.message}\nusage: ${CHECK_USAGE}\n`);
    return 2;
  }
}

async function run(args: string[], io: CommandIO, deps: CheckCommandDeps): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        json: { type: 'boolean' },
        junit: { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        'dns-server': { type: 'string' },
        'allow-pending-cert': { type: 'boolean' },
        'skip-starttls': { type: 'boolean' },
        'before-deploy': { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  const concurrency = numberOption('--concurrency', values.concurrency, DEFAULT_CONCURRENCY, { integer: true, min: 1, max: 1000 });
  const timeoutS = numberOption('--timeout', values.timeout, DEFAULT_TIMEOUT_S, { integer: false, min: 0.1, max: 600 });
  const dnsServer = values['dns-server'];
  if (dnsServer !== undefined) {
    const problem = dnsServerError(dnsServer);
    if (problem) throw new UsageError(problem);
  }
  if (values.junit === '') throw new UsageError('--junit needs a file name');

  const domains = positionals.map((d) => {
    const name = toALabels(d.replace(/\.$/, '')).toLowerCase(); // "bücher.de" is checked as "xn--bcher-kva.de"
    if (!isValidDomainName(name)) throw new UsageError(`"${d}" is not a domain name (expected something like contoso.com)`);
    return name;
  });
  const config = await readConfig(values.config, io);
  if (config === 'invalid') return 1;
  if (values['before-deploy'] && !config) {
    throw new UsageError(`--before-deploy checks the policy a config would deploy: run where ${DEFAULT_CONFIG_FILE} is, or pass --config FILE`);
  }
  if (domains.length === 0) {
    if (!config) throw new UsageError(`name the domains to check, or run where ${DEFAULT_CONFIG_FILE} is, or pass --config FILE`);
    domains.push(...config.domains);
  }
  const unique = [...new Set(domains)];

  const timeoutMs = Math.round(timeoutS * 1000);
  const checkIO = (deps.io ?? productionIO)({ dnsServer, timeoutMs });
  const progress = io.isTTY && !values.json;
  const reports = await runChecks(unique, checkIO, {
    concurrency,
    timeoutMs,
    config,
    allowPendingCert: values['allow-pending-cert'] ?? false,
    skipStarttls: values['skip-starttls'] ?? false,
    plannedPolicy: values['before-deploy'] && config ? configPolicy(config) : undefined,
    onProgress: progress ? (done, total, r) => io.err(`\r\x1b[Kchecking ${done}/${total} domains (${r.domain}: ${r.status})`) : undefined,
  });
  if (progress) io.err('\r\x1b[K');

  // The report first: a JUnit file that cannot be written must not cost the user the results.
  io.out(values.json ? renderJson(reports) : renderTable(reports) + renderFindings(reports));
  if (values.junit !== undefined) {
    const file = resolve(io.cwd, values.junit);
    try {
      await writeFileAtomic(file, renderJunit(reports));
    } catch (e) {
      io.err(`mta-sts check: cannot write ${values.junit}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
  }
  return reports.some((r) => r.status === 'fail') ? 1 : 0;
}

function numberOption(name: string, raw: string | undefined, fallback: number, rule: { integer: boolean; min: number; max: number }): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const shape = rule.integer ? /^\d+$/ : /^\d+(?:\.\d+)?$/;
  if (!shape.test(raw) || value < rule.min || value > rule.max) {
    throw new UsageError(`${name} must be ${rule.integer ? 'a whole number' : 'a number of seconds'} from ${rule.min} to ${rule.max} (got "${raw}")`);
  }
  return value;
}

/**
 * The config comes only from --config or from mta-sts.config.yaml in the working directory, so the
 * command behaves the same from any directory. Returns undefined when there is none to use.
 */
async function readConfig(file: string | undefined, io: CommandIO): Promise<Config | 'invalid' | undefined> {
  const display = file ?? DEFAULT_CONFIG_FILE;
  const path = resolve(io.cwd, display);
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (!exists) {
    if (file !== undefined) throw new UsageError(`--config ${file}: no such file`);
    return undefined;
  }
  const result = await loadConfig(path, display);
  for (const w of result.warnings) io.err(`${formatDiagnostic(w, 'warning')}\n`);
  if (!result.ok) {
    for (const e of result.errors) io.err(`${formatDiagnostic(e)}\n`);
    io.err(`${display}: ${result.errors.length} error(s); fix it (check reads it whenever it is present, to compare the live setup with it)\n`);
    return 'invalid';
  }
  return result.config;
}
