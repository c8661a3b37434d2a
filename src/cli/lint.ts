// `mta-sts lint`: any policy file (or stdin) against RFC 8461, with line-numbered diagnostics.
import { resolve } from 'node:path';
import { formatDiagnostic } from '../rfc/diagnostic.ts';
import { MAX_POLICY_BYTES, parsePolicy, type PolicyParseResult } from '../rfc/policy.ts';
import { parseOptions, UsageError, type Command } from './io.ts';
import { printable, printableJson } from '../printable.ts';
import { readRegularFile } from '../files/read.ts';

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
    // At most 64 KiB + 1 bytes are read: one byte more than a policy may have already decides (100 MB of
    // standard input is not read whole).
    let text: string;
    try {
      text = file === '-' ? await (io.stdin ?? (async () => ''))(MAX_POLICY_BYTES + 1) : await readAtMost(resolve(io.cwd, file), MAX_POLICY_BYTES + 1);
    } catch (e) {
      io.err(`mta-sts lint: cannot read ${printable(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
    const result = Buffer.byteLength(text) > MAX_POLICY_BYTES ? tooLarge() : parsePolicy(text);
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

// RFC 8461 §3.3: senders may refuse a policy over 64 KiB; the rest was not read, so its size is not known.
function tooLarge(): PolicyParseResult {
  return {
    ok: false,
    errors: [{ code: 'policy-too-large', message: `the policy is more than ${MAX_POLICY_BYTES} bytes; it must be at most ${MAX_POLICY_BYTES} bytes (RFC 8461 §3.3)` }],
    warnings: [],
  };
}

/** The first `max` bytes of a regular file, as text; why not, for anything else (a FIFO would hang lint). */
async function readAtMost(path: string, max: number): Promise<string> {
  const read = await readRegularFile(path, max - 1);
  if (!read.ok) throw new Error(read.code === 'ENOENT' ? 'ENOENT' : read.reason);
  return read.bytes.toString('utf8');
}
