// `mta-sts lint`: any policy file (or stdin) against RFC 8461, with line-numbered diagnostics.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatDiagnostic } from '../rfc/diagnostic.ts';
import { parsePolicy } from '../rfc/policy.ts';
import { parseOptions, UsageError, type Command } from './io.ts';
import { printable, printableJson } from '../printable.ts';

export const command: Command = {
  name: 'lint',
  usage: 'lint FILE|- [--json]',
  summary: 'validate any MTA-STS policy file against RFC 8461 (- reads stdin)',
  help: [
    '  FILE    the policy file; - (or nothing, when input is piped) reads standard input',
    '  --json  { file, ok, policy, errors, warnings }',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { json: { type: 'boolean' } }, true);
    if (positionals.length > 1) throw new UsageError('give one policy file, or - for standard input');
    // Nothing named and a terminal on stdin: waiting silently for typed input would look like a hang.
    if (positionals.length === 0 && io.stdinIsTTY) throw new UsageError('name a policy file, or pipe one in with -');
    const file = positionals[0] ?? '-';
    let text: string;
    try {
      text = file === '-' ? await (io.stdin ?? (async () => ''))() : await readFile(resolve(io.cwd, file), 'utf8');
    } catch (e) {
      io.err(`mta-sts lint: cannot read ${printable(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
    const result = parsePolicy(text);
    const name = file === '-' ? '<stdin>' : file;
    const shown = printable(name);
    if (values.json) {
      io.out(`${printableJson({ file: name, ok: result.ok, policy: result.policy, errors: result.errors, warnings: result.warnings }, 2)}\n`);
    } else {
      for (const d of result.errors) io.out(`${formatDiagnostic(d, { file: shown, labelErrors: true, withCode: true })}\n`);
      for (const d of result.warnings) io.out(`${formatDiagnostic(d, { file: shown, severity: 'warning', withCode: true })}\n`);
      io.out(result.ok ? `${shown}: valid MTA-STS policy (mode ${result.policy?.mode}).\n` : `${shown}: invalid MTA-STS policy.\n`);
    }
    return result.ok ? 0 : 1;
  },
};
