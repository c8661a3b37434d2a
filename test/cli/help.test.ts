// Help is the same however it is asked for, fits an 80-column terminal, and a mistyped command gets the nearest
// command's name (issue 24): through the dispatcher, as a user types it.
import { describe, expect, it } from 'vitest';
import { fitColumns, main, registry } from '../../src/cli/main.ts';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), cwd: process.cwd(), isTTY: false, env: {} });
  return { code, out, err };
}

const NAMES = registry.map((e) => e.name);
const GROUPS = [...new Set(NAMES.filter((n) => n.includes(' ')).map((n) => n.split(' ')[0]!))];

describe('help COMMAND and COMMAND --help', () => {
  it.each([...NAMES, ...GROUPS])('print the same for %s (stdout, exit 0)', async (name) => {
    const words = name.split(' ');
    const viaHelp = await run(['help', ...words]);
    const viaFlag = await run([...words, '--help']);
    expect(viaHelp).toEqual(viaFlag);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.out).toMatch(new RegExp(`^usage: mta-sts ${name} `));
    expect(viaHelp.err).toBe('');
  });

  it('help alone is --help, and names both ways of asking for one command', async () => {
    const help = await run(['help']);
    expect(help).toEqual(await run(['--help']));
    expect(help.out.replace(/\n/g, ' ')).toContain('mta-sts help <command> (or mta-sts <command> --help)');
  });
});

describe('help fits 80 columns', () => {
  it.each([[], ...[...NAMES, ...GROUPS].map((n) => n.split(' '))])('mta-sts %s --help', async (...words) => {
    const r = await run([...words, '--help']);
    const wide = r.out.split('\n').filter((l) => [...l].length > 80);
    expect(wide).toEqual([]);
  });

  it('wraps a usage line between options, never inside one, and a two-column line under its second column', () => {
    const usage = `usage: mta-sts check ${Array.from({ length: 8 }, (_, i) => `[--option-${i} VALUE]`).join(' ')}`;
    const lines = fitColumns(usage).split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {21}\[--option-\d VALUE\]/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    const option = `  --timeout S   ${'deadline per domain '.repeat(6).trim()}`;
    const wrapped = fitColumns(option).split('\n');
    expect(wrapped[1]).toMatch(/^ {16}\S/);
    expect(wrapped.join(' ').replace(/ +/g, ' ')).toBe(option.replace(/ +/g, ' '));
  });
});

describe('an unknown command', () => {
  it.each([
    [['buidl'], 'build'],
    [['chek'], 'check'],
    [['recrods'], 'records'],
    [['bind'], 'azure bind'],
    [['setup', '--yes'], 'azure setup'],
    [['azure', 'bnd'], 'azure bind'],
    [['azur', 'setup'], 'azure setup'],
    [['help', 'promte'], 'promote'],
  ])('%j: did you mean "%s"? (exit 2)', async (args, meant) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toMatch(new RegExp(`; did you mean "${meant}"\\?$`));
    expect(r.err).toContain('mta-sts --help lists every command.');
  });

  it('with nothing near it, lists the commands instead; its name is shown, never obeyed, by the terminal', async () => {
    const r = await run(['deploy\x1b[2J']);
    expect(r.code).toBe(2);
    expect(r.err).not.toContain('did you mean');
    expect(r.err).toContain('unknown command "deploy\\x1b[2J"');
    expect(r.err).toMatch(/^ {2}records +print the DNS records/m);
  });
});
