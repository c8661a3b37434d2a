import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, registry } from '../../src/cli/main.ts';

const GOOD = `domains:\n  - contoso.com\npolicy:\n  mode: testing\n  mx:\n    - "*.mail.protection.outlook.com"\n  max_age: 604800\n`;
const BAD = `domains:\n  - contoso.com\npolicy:\n  mode: enforced\n  mx:\n    - "*.mail.protection.outlook.com"\n  max_age: 604800\nhostng:\n  plan: free\n`;

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'mta-sts-cli-'));
  await writeFile(join(cwd, 'mta-sts.config.yaml'), GOOD);
  await writeFile(join(cwd, 'bad.yaml'), BAD);
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

async function run(args: string[], stdin = '', dir = cwd) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), cwd: dir, isTTY: false, stdin: async () => stdin });
  return { code, out, err };
}

describe('build', () => {
  it('writes home/, prints the records and the RFC 8461 §8.1 order', async () => {
    const r = await run(['build']);
    expect(r.code).toBe(0);
    expect(await readFile(join(cwd, 'home/.well-known/mta-sts.txt'), 'latin1')).toMatch(/^version: STSv1\r\nmode: testing\r\n/);
    expect(r.out).toMatch(/^_mta-sts\.contoso\.com\. 3600 IN TXT "v=STSv1; id=[0-9a-f]{32};"$/m);
    expect(r.out).toContain('RFC 8461 §8.1');
  });

  it('on a config error: exit 1, every error with line:column, and the output left untouched', async () => {
    await run(['build', '--out', 'kept']);
    const before = await readFile(join(cwd, 'kept/.well-known/mta-sts.txt'));
    const r = await run(['build', '--config', 'bad.yaml', '--out', 'kept']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('bad.yaml:4:9: policy.mode must be one of testing, enforce, none (got "enforced")');
    expect(r.err).toMatch(/bad\.yaml:8:1: .*unknown key "hostng"; did you mean "hosting"\?/);
    expect(r.err).toContain('Nothing was written; kept/ is unchanged.');
    expect(await readFile(join(cwd, 'kept/.well-known/mta-sts.txt'))).toEqual(before);
  });

  it('--check passes on a fresh build and fails with the fix when the config changed', async () => {
    await run(['build', '--out', 'checked']);
    expect((await run(['build', '--check', '--out', 'checked'])).code).toBe(0);
    await writeFile(join(cwd, 'changed.yaml'), GOOD.replace('mode: testing', 'mode: enforce'));
    const r = await run(['build', '--check', '--config', 'changed.yaml', '--out', 'checked']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('run npm run build');
    expect(r.err).toContain('.well-known/mta-sts.txt');
  });

  it('reports an --out that is a file as a user error (exit 1), not a crash', async () => {
    await writeFile(join(cwd, 'out-file'), 'x');
    const r = await run(['build', '--out', 'out-file']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^mta-sts build: .*out-file exists and is not a folder/m);
  });

  it('refuses --out ., "" and .. (folders holding the config): exit 1, nothing touched', async () => {
    const outer = join(cwd, 'outer');
    const inner = join(outer, 'inner');
    await mkdir(inner, { recursive: true });
    await writeFile(join(inner, 'mta-sts.config.yaml'), GOOD);
    await writeFile(join(outer, 'keep.txt'), 'keep');
    for (const out of ['.', '', '..']) {
      const r = await run(['build', '--out', out], '', inner);
      expect(r.code, out).toBe(1);
      expect(r.err).toMatch(/^mta-sts build: .* is not a previous build, so it is not replaced: it holds .*Nothing was touched/m);
    }
    expect((await readdir(outer)).sort()).toEqual(['inner', 'keep.txt']);
    expect(await readdir(inner)).toEqual(['mta-sts.config.yaml']);
  });

  it('refuses to replace the working folder even when it is empty', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'mta-sts-cwd-'));
    try {
      const bin = join(process.cwd(), 'bin/mta-sts.js');
      const args = [bin, 'build', '--config', join(cwd, 'mta-sts.config.yaml'), '--out', '.'];
      const result = await promisify(execFile)(process.execPath, args, { cwd: empty }).catch((e) => e);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^mta-sts build: .* is the working folder or holds it; choose a folder of its own for --out/m);
      expect(await readdir(empty)).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('rejects unknown options as a usage error', async () => {
    const r = await run(['build', '--outdir', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('usage: mta-sts build');
  });
});

describe('records', () => {
  it('prints zone-file lines, or JSON with --json', async () => {
    const text = await run(['records']);
    expect(text.code).toBe(0);
    expect(text.out.trim().split('\n')).toHaveLength(2); // the CNAME is never left out: a placeholder until known
    expect(text.out).toContain('mta-sts.contoso.com. 3600 IN CNAME <default_hostname> ; not known yet:');
    const json = await run(['records', '--json']);
    expect(JSON.parse(json.out)).toEqual([
      { domain: 'contoso.com', name: '_mta-sts.contoso.com', type: 'TXT', ttl: 3600, value: expect.stringMatching(/^v=STSv1; id=[0-9a-f]{32};$/) },
      { domain: 'contoso.com', name: 'mta-sts.contoso.com', type: 'CNAME', ttl: 3600, value: '<default_hostname>', placeholder: expect.stringContaining('hosting.default_hostname') },
    ]);
  });

  it('exits 1 with the config errors', async () => {
    const r = await run(['records', '--config', 'bad.yaml']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('policy.mode');
  });
});

describe('lint', () => {
  it('accepts a valid policy file', async () => {
    await writeFile(join(cwd, 'good.txt'), 'version: STSv1\r\nmode: enforce\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 86400\r\n');
    const r = await run(['lint', 'good.txt']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('good.txt: valid MTA-STS policy (mode enforce)');
  });

  it('names line and column of each problem and exits 1', async () => {
    await writeFile(join(cwd, 'bad.txt'), 'version: STSv1\nmode: enforced\nmx: *.mail.protection.outlook.com\nmax_age: 86400\n');
    const r = await run(['lint', 'bad.txt']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^bad\.txt:2:\d+: error: .*\[[a-z-]+\]$/m);
  });

  it('reads standard input for - and reports JSON with --json', async () => {
    const r = await run(['lint', '-', '--json'], 'version: STSv1\nmode: none\nmax_age: 86400\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ file: '<stdin>', ok: true, policy: { mode: 'none', maxAge: 86400 } });
  });

  it('treats a missing file as failed input (exit 1), naming it', async () => {
    const r = await run(['lint', 'missing.txt']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read missing.txt: ENOENT');
  });

  it('with no file and a terminal on stdin, prints the usage instead of waiting (exit 2)', async () => {
    let read = false;
    let err = '';
    const code = await main(['lint'], { out: () => {}, err: (t) => (err += t), cwd, isTTY: true, stdinIsTTY: true, stdin: async () => { read = true; return ''; } });
    expect(code).toBe(2);
    expect(read).toBe(false);
    expect(err).toContain('usage: mta-sts lint');
  });
});

describe('dispatch', () => {
  it('--help lists every command with the summary the command itself has', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const entry of registry) {
      const { command } = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.summary).toBe(entry.summary);
      // Wrapped to 80 columns (test/cli/help.test.ts): the summary reads the same once its lines are joined.
      expect(r.out.replace(/\n +/g, ' ').replace(/ +/g, ' ')).toContain(` ${entry.name} ${entry.summary.replace(/ +/g, ' ')}`);
    }
  });

  it('--version prints the package version (exit 0)', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${JSON.parse(await readFile(join(process.cwd(), 'package.json'), 'utf8')).version}\n`);
  });

  it('exits 2 for no command or an unknown one, listing the commands', async () => {
    expect((await run([])).code).toBe(2);
    const r = await run(['deploy']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "deploy"');
    expect(r.err).toMatch(/^  records  +print the DNS records/m);
  });

  it('`azure --help` lists the azure subcommands (exit 0); `azure` alone or with an unknown one stays a usage error', async () => {
    const help = await run(['azure', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: mta-sts azure <command> \[options\]/);
    for (const e of registry.filter((x) => x.name.startsWith('azure '))) expect(help.out).toContain(`  ${e.name}`);
    expect(help.out).not.toContain('  records');
    expect((await run(['azure', '-h'])).code).toBe(0);
    expect((await run(['azure'])).code).toBe(2);
    const unknown = await run(['azure', 'deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('"azure" needs one of: azure bind, azure publish-dns, azure setup (got "deploy")');
  });

  it('a reader that closes the pipe early (build | head -1) ends it quietly with its own exit code', async () => {
    const bin = join(process.cwd(), 'bin/mta-sts.js');
    const child = spawn(process.execPath, [bin, 'build', '--out', 'piped'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Like head -1: read the first chunk, then close the pipe while the command still has lines to write.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(await readFile(join(cwd, 'piped/.well-known/mta-sts.txt'), 'latin1')).toMatch(/^version: STSv1/);
  });

  it('runs from the installed bin without a stack trace for a user mistake', async () => {
    const bin = join(process.cwd(), 'bin/mta-sts.js');
    const result = await promisify(execFile)(process.execPath, [bin, 'build', '--config', 'bad.yaml'], { cwd }).catch((e) => e);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('policy.mode must be one of');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});

// The contract of src/cli/io.ts, command by command.
describe.each(registry.map((e) => e.name))('the exit-code contract of %s', (name) => {
  const words = name.split(' ');

  it('--help prints its usage and options on stdout (exit 0)', async () => {
    const r = await run([...words, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`usage: mta-sts ${name}`);
    expect(r.err).toBe('');
  });

  it('an unknown option is a usage error (exit 2) with the usage', async () => {
    const r = await run([...words, '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`usage: mta-sts ${name}`);
  });
});

describe.each(['build', 'records', 'check'])('%s with a named config that does not exist', (name) => {
  it('fails the input (exit 1) and names the file', async () => {
    const r = await run([name, '--config', 'missing.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read missing.yaml: no such file');
  });
});

describe('lint reads at most 64 KiB + 1 bytes', () => {
  it('of a file over 64 KiB, and says the policy is too large; a device that never ends (/dev/zero) is not read', async () => {
    await writeFile(join(cwd, 'big.txt'), `version: STSv1\r\n${'x'.repeat(70_000)}`);
    const r = await run(['lint', 'big.txt']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('big.txt: error: the policy is more than 65536 bytes; it must be at most 65536 bytes (RFC 8461 §3.3)');
    const zero = await run(['lint', '/dev/zero']);
    expect(zero.code).toBe(1);
    expect(zero.err).toContain('mta-sts lint: cannot read /dev/zero: a device, not a regular file; not read');
  });

  it('of standard input: it asks for no more than that', async () => {
    let asked: number | undefined;
    let out = '';
    const code = await main(['lint', '-'], { out: (t) => (out += t), err: () => {}, cwd, isTTY: false, stdin: async (max) => { asked = max; return 'x'.repeat(max ?? 0); } });
    expect(asked).toBe(65537);
    expect(code).toBe(1);
    expect(out).toContain('policy-too-large');
  });
});

describe('a named pipe (FIFO) where a file is expected', () => {
  // Opening a FIFO for reading waits for a writer: each command must refuse it unread instead of hanging.
  it('as the config of records, build, verify, check DOMAIN and reports, or as lint\'s file: refused at once, exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mta-sts-fifo-'));
    try {
      await promisify(execFile)('mkfifo', [join(dir, 'mta-sts.config.yaml')]);
      for (const args of [['records'], ['build'], ['verify'], ['check', 'contoso.com', '--dns-server', '127.0.0.1:9'], ['reports', '.'], ['lint', 'mta-sts.config.yaml']]) {
        const r = await run(args, '', dir);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.out + r.err, args.join(' ')).toContain('cannot read mta-sts.config.yaml: a named pipe (FIFO), not a regular file; not read');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 20_000);
});

describe('a policy.mx list past the 64 KiB a policy may have (RFC 8461 §3.3)', () => {
  it('is a config error at the list for records, build and verify: exit 1, no stack trace, nothing written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mta-sts-bigmx-'));
    try {
      const mx = Array.from({ length: 2_800 }, (_, i) => `    - "mx${i}.mail-host-number-${i}.example.com"`).join('\n');
      await writeFile(join(dir, 'mta-sts.config.yaml'), `domains: [contoso.com]\npolicy:\n  mode: testing\n  mx:\n${mx}\n  max_age: 7d\n`);
      for (const command of ['records', 'build', 'verify']) {
        const r = await run([command], '', dir);
        expect(r.code, command).toBe(1);
        expect(r.out + r.err, command).toMatch(/mta-sts\.config\.yaml:5:5: policy\.mx lists 2800 patterns, which make the policy \d+ bytes, over the 65536 bytes senders may refuse to read \(RFC 8461 §3\.3\)/);
        expect(r.out + r.err, command).not.toContain('serializePolicy');
      }
      expect(await readdir(dir)).toEqual(['mta-sts.config.yaml']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
