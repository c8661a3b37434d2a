// The thin CLI: parses argv, dispatches to one module per command, maps outcomes to exit codes.
// 0 = success, 1 = the input is wrong (config, policy, live check), 2 = usage error.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_CONFIG_FILE, formatDiagnostic, loadConfig, type Config } from './config/config.ts';
import { parsePolicy } from './rfc/policy.ts';
import { dnsRecords, zoneFileLines } from './site/records.ts';

export interface CommandIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Working directory, so commands resolve relative paths the same way in tests and in a shell. */
  cwd: string;
  isTTY: boolean;
  /** Reads all of standard input (for `lint -`). */
  stdin?: () => Promise<string>;
}

type Command = (args: string[], io: CommandIO) => Promise<number>;

/** A mistake in how the command was called: exit 2 with a one-line message and the usage. */
export class UsageError extends Error {}

const commands: Record<string, { usage: string; summary: string; run: Command }> = {
  build: {
    usage: 'build [--config FILE] [--out DIR] [--check]',
    summary: 'write the site (policy, page, SWA config) to home/; --check only verifies home/ is current',
    run: build,
  },
  records: {
    usage: 'records [--config FILE] [--json]',
    summary: 'print the DNS records to publish for every domain',
    run: records,
  },
  lint: {
    usage: 'lint [FILE|-] [--json]',
    summary: 'validate any MTA-STS policy file against RFC 8461 (- reads stdin)',
    run: lint,
  },
  check: {
    usage: 'check [DOMAIN...] [--config FILE] [--json] [--junit FILE] [--concurrency N] [--timeout S] [--dns-server HOST:PORT] [--allow-pending-cert] [--skip-starttls] [--before-deploy]',
    summary: 'verify the live MTA-STS setup of domains (DNS, policy host, MX, STARTTLS, TLS-RPT)',
    // Loaded on demand: the checker pulls in network modules the other commands never need.
    run: async (args, io) => (await import('./check/command.ts')).checkCommand(args, io),
  },
  azure: {
    usage: 'azure bind|publish-dns [options]',
    summary: 'bind mta-sts.<domain> to the Static Web App; publish the TXT records once the new policy is live',
    run: async ([sub, ...args], io) => {
      const azure = await import('./azure/command.ts');
      if (sub === 'bind') return azure.azureBindCommand(args, io);
      if (sub === 'publish-dns') return azure.azurePublishDnsCommand(args, io);
      throw new UsageError(`unknown azure command "${sub ?? ''}"; use bind or publish-dns`);
    },
  },
};

function usage(): string {
  const lines = Object.values(commands).map((c) => `  mta-sts ${c.usage}\n      ${c.summary}`);
  return `usage: mta-sts <command> [options]\n\n${lines.join('\n')}\n`;
}

export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.out : io.err)(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`mta-sts: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`mta-sts ${name}: ${e.message}\nusage: mta-sts ${command.usage}\n`);
      return 2;
    }
    throw e;
  }
}

function options<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], spec: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options: spec, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const configOption = { config: { type: 'string' } } as const;

/** Loads and validates the config, printing every diagnostic; undefined means "exit 1". */
async function readConfig(file: string | undefined, io: CommandIO): Promise<Config | undefined> {
  const path = file ?? DEFAULT_CONFIG_FILE;
  const result = await loadConfig(resolve(io.cwd, path), path);
  for (const w of result.warnings) io.err(`${formatDiagnostic(w, 'warning')}\n`);
  if (!result.ok) {
    for (const e of result.errors) io.err(`${formatDiagnostic(e, 'error')}\n`);
    io.err(`${path}: ${result.errors.length} error(s).\n`);
    return undefined;
  }
  return result.config;
}

async function build(args: string[], io: CommandIO): Promise<number> {
  const { values } = options(args, { ...configOption, out: { type: 'string', default: 'home' }, check: { type: 'boolean' } });
  const config = await readConfig(values.config, io);
  if (!config) {
    io.err(`Nothing was written; ${values.out}/ is unchanged.\n`);
    return 1;
  }
  const out = resolve(io.cwd, values.out);
  // Loaded here, not at the top: Vite is heavy and only the build needs it.
  const site = await import('./site/build.ts');
  try {
    if (values.check) {
      const stale = await site.staleFiles(config, out);
      if (stale.length > 0) {
        io.err(`${values.out}/ is stale against the config (${stale.join(', ')}): run npm run build and commit the result.\n`);
        return 1;
      }
      io.out(`${values.out}/ is up to date.\n`);
      return 0;
    }
    const changed = await site.buildSite(config, out);
    io.out(changed ? `Wrote ${values.out}/ (.well-known/mta-sts.txt, index.html, staticwebapp.config.json).\n\n` : `${values.out}/ is already up to date.\n\n`);
  } catch (e) {
    if (!(e instanceof site.SiteError)) throw e;
    io.err(`mta-sts build: ${e.message}\n`);
    return 1;
  }
  io.out(`DNS records to publish:\n${zoneFileLines(dnsRecords(config))}\n\n`);
  io.out(
    'Publish the new _mta-sts TXT id only after the new policy is live on every mta-sts host:\n' +
      'senders that see a new id fetch the policy at once, and would otherwise cache the old one (RFC 8461 §8.1).\n',
  );
  return 0;
}

async function records(args: string[], io: CommandIO): Promise<number> {
  const { values } = options(args, { ...configOption, json: { type: 'boolean' } });
  const config = await readConfig(values.config, io);
  if (!config) return 1;
  const list = dnsRecords(config);
  io.out(values.json ? `${JSON.stringify(list, null, 2)}\n` : `${zoneFileLines(list)}\n`);
  return 0;
}

async function lint(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = options(args, { json: { type: 'boolean' } }, true);
  if (positionals.length > 1) throw new UsageError('give one policy file, or - for standard input');
  const file = positionals[0] ?? '-';
  let text: string;
  try {
    text = file === '-' ? await (io.stdin ?? readStdin)() : await readFile(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const result = parsePolicy(text);
  const name = file === '-' ? '<stdin>' : file;
  if (values.json) {
    io.out(`${JSON.stringify({ file: name, ok: result.ok, policy: result.policy, errors: result.errors, warnings: result.warnings }, null, 2)}\n`);
  } else {
    const where = (d: { line?: number; column?: number }) => [name, d.line, d.column].filter((x) => x !== undefined).join(':');
    for (const d of result.errors) io.out(`${where(d)}: error: ${d.message} [${d.code}]\n`);
    for (const d of result.warnings) io.out(`${where(d)}: warning: ${d.message} [${d.code}]\n`);
    io.out(result.ok ? `${name}: valid MTA-STS policy (mode ${result.policy?.mode}).\n` : `${name}: invalid MTA-STS policy.\n`);
  }
  return result.ok ? 0 : 1;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function processIO(): CommandIO {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
  };
}
