// The dispatcher: finds the command, loads its module only then (the checker and Vite are heavy), and applies
// the contract of io.ts: --help and --version, usage errors as exit 2.
import { readFileSync } from 'node:fs';
import { outputSink } from '../ci/sink.ts';
import { nearest } from '../config/nearest.ts';
import { printable } from '../printable.ts';
import { UsageError, type Command, type CommandIO } from './io.ts';

interface Entry { name: string; summary: string; load: () => Promise<{ command: Command }> }

// Summaries are repeated here so `mta-sts --help` needs no command module; a test keeps them equal.
export const registry: Entry[] = [
  { name: 'build', summary: 'write the site (policy, page, SWA config) to home/ and, for a Function App, its package to functions/; --check only verifies they are current', load: () => import('./build.ts') },
  { name: 'records', summary: 'print the DNS records to publish for every domain', load: () => import('./records.ts') },
  { name: 'lint', summary: 'validate any MTA-STS policy file against RFC 8461 (- reads stdin)', load: () => import('./lint.ts') },
  { name: 'hosting', summary: 'print hosting.kind and the app of the config; --expect-kind fails when the pipeline was set up for another kind', load: () => import('./hosting.ts') },
  { name: 'preview', summary: 'serve the built site (Static Web Apps CLI) or Function App (func start, else a local runner) on this machine', load: () => import('./preview.ts') },
  { name: 'verify', summary: 'check what a push can break: the config, home/ against a fresh build, the built policy, staticwebapp.config.json', load: () => import('./verify.ts') },
  { name: 'check', summary: 'verify the live MTA-STS setup of domains (DNS, policy host, MX, STARTTLS, TLS-RPT)', load: () => import('./check.ts') },
  { name: 'azure bind', summary: 'bind mta-sts.<domain> to the Static Web App or Function App (creating the DNS records in Azure DNS), and report each host', load: () => import('./azure-bind.ts') },
  { name: 'azure publish-dns', summary: 'wait until every mta-sts host serves the built policy, then publish the TXT records (Azure DNS) or print them', load: () => import('./azure-publish-dns.ts') },
  { name: 'azure setup', summary: 'create or reuse the Static Web App (or, with hosting.kind function-app, the Function App with its plan and storage) and set up Azure DevOps (variable group, pipeline, service connection) or GitHub Actions (--github), then bind the domains', load: () => import('./azure-setup.ts') },
  { name: 'reports', summary: 'summarise TLS-RPT reports (.json, .json.gz, .eml; folders recursively) and say whether enforce is safe', load: () => import('./reports.ts') },
  { name: 'promote', summary: 'switch policy.mode from testing to enforce when the TLS-RPT reports and the live check allow it', load: () => import('./promote.ts') },
  { name: 'retire', summary: 'withdraw MTA-STS: mode none with max_age 1d, home/ (and functions/) rebuilt, and when the records may go (RFC 8461 §8.3)', load: () => import('./retire.ts') },
];

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Help is read in an 80-column terminal: every line of it fits (longer ones wrap, see fitColumns). */
export const HELP_COLUMNS = 80;

function overview(): string {
  const width = Math.max(...registry.map((e) => e.name.length));
  const lines = registry.map((e) => `  ${e.name.padEnd(width)}  ${e.summary}`);
  return fitColumns(`usage: mta-sts <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
    'mta-sts help <command> (or mta-sts <command> --help) shows the options of one command; mta-sts --version ' +
    'prints the version.\nExit codes: 0 ok, 1 the input or a check failed, 2 usage error.\n');
}

function groupOverview(group: string): string {
  const members = registry.filter((e) => e.name.startsWith(`${group} `));
  const width = Math.max(...members.map((e) => e.name.length));
  return fitColumns(`usage: mta-sts ${group} <command> [options]\n\ncommands:\n${members.map((e) => `  ${e.name.padEnd(width)}  ${e.summary}`).join('\n')}\n\n` +
    `mta-sts ${group} <command> --help shows the options of one command.\n`);
}

export function commandHelp(command: Command): string {
  return fitColumns(`usage: mta-sts ${command.usage}\n\n${command.summary}\n${command.help ? `\n${command.help.replace(/\n?$/, '\n')}` : ''}`);
}

/**
 * Wraps each line longer than `columns` at spaces, continuing under where its text starts: a usage line under
 * its first argument (keeping each `[option VALUE]` whole), a two-column line (`  --flag X   what it does`)
 * under the second column, any other line under its own indentation.
 */
export function fitColumns(text: string, columns = HELP_COLUMNS): string {
  return text.split('\n').map((line) => {
    if (line.length <= columns) return line;
    const usage = /^usage: mta-sts (?:[a-z][\w-]* )+/.exec(line);
    const column = usage ? null : /^(\s*\S+(?: \S+)*?\s{2,})\S/.exec(line);
    let indent = usage ? usage[0].length : column ? column[1]!.length : /^\s*/.exec(line)![0].length;
    if (indent > columns / 2) indent = 4;
    const head = line.slice(0, indent);
    const words = usage ? line.slice(indent).match(/\[[^\]]*\]|\S+/g)! : line.slice(indent).split(/ +/);
    const out: string[] = [];
    let current = head;
    let empty = true;
    for (const word of words) {
      if (!empty && current.length + 1 + word.length > columns) {
        out.push(current);
        current = ' '.repeat(indent) + word;
      } else {
        current += (empty ? '' : ' ') + word;
      }
      empty = false;
    }
    out.push(current);
    return out.join('\n');
  }).join('\n');
}

/** The command a mistyped one most likely meant: `bind` is `azure bind`, `chek` is `check`. */
function meant(first: string, rest: string[]): string | undefined {
  const byLastWord = registry.find((e) => e.name.includes(' ') && e.name.split(' ').at(-1) === first);
  if (byLastWord) return byLastWord.name;
  const near = nearest(first, [...new Set(registry.map((e) => e.name.split(' ')[0]!))]);
  if (near === undefined) return undefined;
  const members = registry.filter((e) => e.name.startsWith(`${near} `));
  if (members.length === 0) return near;
  const sub = rest[0] === undefined ? undefined : nearest(rest[0], members.map((e) => e.name.split(' ')[1]!));
  return sub ? `${near} ${sub}` : near;
}

/** Runs one command under the contract: --help/-h anywhere prints its help (exit 0); a UsageError is exit 2. */
export async function runCommand(command: Command, args: string[], raw: CommandIO): Promise<number> {
  // The one output sink: only the workflow commands this program built reach a CI runner as commands.
  const io = outputSink(raw);
  if (wantsHelp(args)) {
    io.out(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`mta-sts ${command.name}: ${e.message}\n${fitColumns(`usage: mta-sts ${command.usage}`)}\n`);
    return 2;
  }
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(overview());
    return 2;
  }
  // `mta-sts help build` is `mta-sts build --help`, and `mta-sts help azure` is `mta-sts azure --help`.
  if (first === 'help' && rest.length > 0) return main([...rest, '--help'], io);
  if (first === '--help' || first === '-h' || first === 'help') {
    io.out(overview());
    return 0;
  }
  if (first === '--version' || first === '-V') {
    io.out(`${version()}\n`);
    return 0;
  }
  // Longest name first, so `azure bind` wins over a future `azure`.
  const entry = [...registry].sort((a, b) => b.name.length - a.name.length)
    .find((e) => e.name.split(' ').every((word, i) => argv[i] === word));
  if (!entry) {
    const group = registry.filter((e) => e.name.startsWith(`${first} `)).map((e) => e.name);
    // `mta-sts azure --help`: the group's own overview, like `mta-sts --help` (exit 0).
    if (group.length > 0 && (rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help')) {
      io.out(groupOverview(first));
      return 0;
    }
    const what = group.length > 0
      ? `"${first}" needs one of: ${group.join(', ')}${rest[0] ? ` (got "${rest[0]}")` : ''}`
      : `unknown command "${first}"`;
    const guess = group.length > 0 ? (rest[0] === undefined ? undefined : meant(first, rest)) : meant(first, rest);
    if (guess !== undefined && guess !== first) {
      io.err(`mta-sts: ${printable(what)}; did you mean "${guess}"?\nmta-sts --help lists every command.\n`);
    } else {
      io.err(`mta-sts: ${printable(what)}\n\n${overview()}`);
    }
    return 2;
  }
  const args = argv.slice(entry.name.split(' ').length);
  const recovered = wantsHelp(args) ? 0 : await recoverInterrupted(args, outputSink(io));
  if (recovered !== 0) return recovered;
  const { command } = await entry.load();
  return runCommand(command, args, io);
}

/**
 * Before any command: a promote or retire that was interrupted (killed, a power cut) is finished or undone,
 * so no command ever sees the config, home/ and the evidence half changed (src/files/change.ts).
 */
async function recoverInterrupted(args: string[], io: CommandIO): Promise<number> {
  const { configArgument } = await import('./io.ts');
  const { recoverChange, ChangeError } = await import('../files/change.ts');
  const { relative, resolve } = await import('node:path');
  const shown = (p: string) => printable(relative(io.cwd, p) || p);
  try {
    const configPath = resolve(io.cwd, configArgument(args));
    const done = await recoverChange(configPath);
    // Then what a killed build left beside home/ or functions/ (a light module: no Vite).
    const { sweepBuiltFolders } = await import('../site/layouts.ts');
    await sweepBuiltFolders(configPath);
    if (done) {
      const what = done.paths.map(shown).join(', ');
      io.err(done.action === 'finished'
        ? `mta-sts: finished the ${printable(done.command)} that was interrupted (started ${printable(done.started)}): ${what} now hold its change.\n`
        : `mta-sts: undid the ${printable(done.command)} that was interrupted (started ${printable(done.started)}) before it changed anything: ${what} are as they were.\n`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof ChangeError || typeof (e as NodeJS.ErrnoException).code === 'string')) throw e;
    if (e instanceof ChangeError && e.busy) io.err(`mta-sts: ${printable(e.message)}\n`);
    else io.err(`mta-sts: an interrupted change cannot be finished: ${printable((e as Error).message)}\n`);
    return 1;
  }
}

function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * The real process. A closed pipe (`mta-sts build | head -1`) silences the rest of the output instead of
 * crashing: the command still finishes its work and exits with its own code.
 */
export function processIO(): CommandIO {
  const writer = (stream: NodeJS.WriteStream) => {
    let closed = false;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      closed = true;
    });
    return (text: string) => void (closed || stream.write(text));
  };
  return {
    out: writer(process.stdout),
    err: writer(process.stderr),
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
    errIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stderr.isTTY && process.stderr.columns > 0 ? process.stderr.columns : undefined,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdin: readStdin,
    env: process.env,
  };
}

async function readStdin(maxBytes = Infinity): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= maxBytes) break; // leaving the loop stops reading the rest
  }
  const all = Buffer.concat(chunks);
  return all.subarray(0, Math.min(all.length, maxBytes)).toString('utf8');
}
