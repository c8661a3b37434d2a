// What every command shares: its I/O, its contract with the dispatcher, option parsing and the config argument.
// Exit codes, for every command: 0 ok (--help and --version included); 1 the input or a check failed (an
// invalid config, a file the user named that is missing or unreadable); 2 usage (unknown option, bad option
// value, missing required argument).
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config/config.ts';
import { DEFAULT_CONFIG_FILE } from '../config/file-name.ts';

export interface CommandIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Working directory, so commands resolve relative paths the same way in tests and in a shell. */
  cwd: string;
  /** Standard output is a terminal (progress lines, colours). */
  isTTY: boolean;
  /** Standard error is a terminal: where progress lines go, whatever standard output is (`--json > file`). */
  errIsTTY?: boolean;
  /** The width of that terminal in columns, so that a progress line never wraps. */
  columns?: number;
  /** Standard input is a terminal: nothing will arrive unless someone types it. */
  stdinIsTTY?: boolean;
  /** Reads standard input (for `lint -`), at most `maxBytes` bytes when given. */
  stdin?: (maxBytes?: number) => Promise<string>;
  /** The environment the command sees (TF_BUILD, GITHUB_ACTIONS, ...); tests pass their own. */
  env?: NodeJS.ProcessEnv;
}

export interface Command {
  /** As typed: `build`, or `azure bind` for a sub-command. */
  name: string;
  /** The synopsis after `mta-sts `. */
  usage: string;
  /** One line for the command list. */
  summary: string;
  /** Optional longer text for `--help`: options, one per line. */
  help?: string;
  run: (args: string[], io: CommandIO) => Promise<number>;
}

/** A mistake in how the command was called: exit 2 with a one-line message and the usage. */
export class UsageError extends Error {}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** node:util parseArgs in strict mode; its complaints become usage errors. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], spec: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options: spec, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const configOption = { config: { type: 'string' } } as const;

/** The config a command line names (`--config FILE` or `--config=FILE`), else the default; before option parsing. */
export function configArgument(args: string[]): string {
  const end = args.indexOf('--');
  const options = end < 0 ? args : args.slice(0, end);
  let file = DEFAULT_CONFIG_FILE;
  options.forEach((a, i) => {
    if (a === '--config' && options[i + 1] !== undefined) file = options[i + 1]!;
    else if (a.startsWith('--config=')) file = a.slice('--config='.length);
  });
  return file;
}

/** Loads and checks the config the user named (default mta-sts.config.yaml), printing every diagnostic; undefined means exit 1. */
export async function loadConfigArg(io: CommandIO, file?: string): Promise<Config | undefined> {
  const display = file ?? DEFAULT_CONFIG_FILE;
  // Loaded on use: config.ts compiles the schema, which the dispatcher, --help and --version must not pay for.
  const { formatDiagnostic, loadConfig } = await import('../config/config.ts');
  const result = await loadConfig(resolve(io.cwd, display), display);
  for (const w of result.warnings) io.err(`${formatDiagnostic(w, 'warning')}\n`);
  if (!result.ok) {
    for (const e of result.errors) io.err(`${formatDiagnostic(e)}\n`);
    if (result.errors.some((e) => e.line !== undefined)) io.err(`${display}: ${result.errors.length} error(s).\n`);
    return undefined;
  }
  return result.config;
}

/**
 * For commands that work with or without a config (check, reports): the one named by --config, else
 * mta-sts.config.yaml in the working directory when it exists (never a file elsewhere). `config: undefined`
 * with ok means there is none to use; not ok means exit 1 (the diagnostics are printed).
 */
export async function loadOptionalConfig(io: CommandIO, file?: string): Promise<{ ok: true; config?: Config } | { ok: false }> {
  if (file === undefined) {
    const present = await access(resolve(io.cwd, DEFAULT_CONFIG_FILE)).then(() => true, () => false);
    if (!present) return { ok: true };
  }
  const config = await loadConfigArg(io, file);
  return config ? { ok: true, config } : { ok: false };
}

/** Parses a numeric option within bounds, or throws a usage error that names it. */
export function numberOption(name: string, raw: string | undefined, fallback: number, rule: { integer: boolean; min: number; max: number }): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const shape = rule.integer ? /^\d+$/ : /^\d+(?:\.\d+)?$/;
  if (!shape.test(raw) || value < rule.min || value > rule.max) {
    throw new UsageError(`${name} must be ${rule.integer ? 'a whole number' : 'a number of seconds'} from ${rule.min} to ${rule.max} (got "${raw}")`);
  }
  return value;
}

/** `--now`/`--since` values: a real calendar day, YYYY-MM-DD, read as 00:00 UTC. */
export function dateOption(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const date = new Date(`${raw}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== raw) {
    throw new UsageError(`${name} must be a date like 2026-03-15 (YYYY-MM-DD, UTC) (got "${raw}")`);
  }
  return date;
}
