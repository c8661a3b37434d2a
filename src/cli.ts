// The thin CLI: parses argv, dispatches to one module per command, maps outcomes to exit codes.
// 0 = success, 1 = the input is wrong (config, policy, live check), 2 = usage error.

export interface CommandIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Working directory, so commands resolve relative paths the same way in tests and in a shell. */
  cwd: string;
  isTTY: boolean;
}

type Command = (args: string[], io: CommandIO) => Promise<number>;

const commands: Record<string, { summary: string; run: () => Promise<Command> }> = {};

export class UsageError extends Error {}

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: mta-sts <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`mta-sts: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.run())(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`mta-sts ${name}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

function processIO(): CommandIO {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
  };
}
