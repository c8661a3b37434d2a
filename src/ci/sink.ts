// The one output sink: everything a command prints goes through here (runCommand wraps the command's I/O).
// A CI runner reads stdout and stderr for workflow commands: Azure Pipelines acts on `##vso[` anywhere in a line
// (azure-pipelines-agent Command.cs, `IndexOf("##vso[")`); GitHub Actions on `::name …::` at a line's start and
// on the older `##[name]` anywhere in it (actions/runner ActionCommandManager, `ActionCommand.TryParse`). Text
// from elsewhere (a TXT record, an SMTP reply, Azure's error message) could carry one (`##[stop-commands]`
// silences a step's annotations). So only the commands this program built itself (ciCommand) pass as they are;
// in every other line the `[` or `:` that would start a command is written as a \u escape, which keeps a JSON
// string's value and reads plainly in text. Control characters are the printable guard's (src/printable.ts),
// applied where remote text is put into a message.

// Lines built by ciCommand and not yet printed, with how many times each may still pass.
const ours = new Map<string, number>();
// Fixed commands of this program (no remote text in them): they always pass.
const constants = new Set<string>();

/** Marks a fixed workflow command as this program's own, for good. */
export function ciConstant(line: string): string {
  constants.add(line);
  return line;
}

/** Marks `line` (one workflow command, no newline) as this program's own: the sink lets it through once. */
export function ciCommand(line: string): string {
  ours.set(line, (ours.get(line) ?? 0) + 1);
  return line;
}

/** Makes every workflow command in `line` inert, unless it is one of ours (then it is consumed). */
function guardLine(line: string, atStart: boolean): string {
  if (atStart && constants.has(line)) return line;
  if (atStart) {
    const left = ours.get(line);
    if (left !== undefined) {
      if (left <= 1) ours.delete(line);
      else ours.set(line, left - 1);
      return line;
    }
  }
  const safe = inert(line);
  return atStart ? safe.replace(/^(\s*):(?=:)/, '$1\\u003a') : safe;
}

/** `##vso[` and `##[` anywhere in `text` written with the `[` as \u005b: no runner acts on them. */
export function inert(text: string): string {
  return text.replace(/##(vso)?\[/g, (m) => `${m.slice(0, -1)}\\u005b`);
}

/** A writer that guards each line, remembering whether the next write starts a line. */
export function guardedWriter(write: (text: string) => void): (text: string) => void {
  let atStart = true;
  return (text: string) => {
    const lines = text.split('\n');
    write(lines.map((line, i) => guardLine(line, i > 0 || atStart)).join('\n'));
    atStart = text.endsWith('\n');
  };
}

/** The command's I/O with both streams guarded. */
export function outputSink<T extends { out: (text: string) => void; err: (text: string) => void }>(io: T): T {
  return { ...io, out: guardedWriter(io.out), err: guardedWriter(io.err) };
}
