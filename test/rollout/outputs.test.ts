// What promote and retire rebuild is what build writes and verify checks (src/project/outputs.ts): every
// folder of the hosting kind (a Function App's functions/ too), beside the config, wherever the config is.
// Through the CLI, against the loopback servers of test/check/world.ts.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDns } from '../../src/check/io.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { main, runCommand } from '../../src/cli/main.ts';
import { promoteCommand } from '../../src/cli/promote.ts';
import { FAST, policyFor, World } from '../check/world.ts';
import { gz, policyEntry, policyLines, report, type Json } from '../tlsrpt/fixtures.ts';

const NOW = '2026-03-15';
const CONFIG = ['domains:', '  - ok.example', 'policy:', '  mode: testing', '  mx:', '    - "*.ok.example"', '  max_age: 7d', ''].join('\n');
const FUNCTION_APP = `${CONFIG}hosting:\n  kind: function-app\n`;

let world: World;
let dir: string;
beforeAll(async () => {
  world = await World.start();
  await world.addDomain('ok.example', { mx: ['mx.ok.example'], policy: policyFor(['*.ok.example'], 'testing') });
});
afterAll(async () => { await world?.close(); });
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mta-sts-outputs-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

function io(sink: { out: string; err: string }): CommandIO {
  return { out: (t) => void (sink.out += t), err: (t) => void (sink.err += t), cwd: dir, isTTY: false, env: {} };
}

/** Any command as the bin runs it (interrupted changes recovered first); promote with the loopback world's I/O. */
async function cli(argv: string[]) {
  const sink = { out: '', err: '' };
  const code = argv[0] === 'promote'
    ? await runCommand(promoteCommand({ io: (o) => ({ ...world.io(FAST, () => new Date(`${NOW}T12:00:00Z`)), dns: createDns({ server: o.dnsServer, timeoutMs: 400, tries: 1 }) }) }), argv.slice(1), io(sink))
    : await main(argv, io(sink));
  return { code, ...sink };
}

async function writeReports(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const all: Json[] = [];
  for (let i = 1; i <= 10; i++) {
    const day = new Date(Date.parse(`${NOW}T00:00:00Z`) - i * 86_400_000).toISOString().slice(0, 10);
    for (const org of ['Google Inc.', 'Microsoft Corporation']) {
      all.push(report({ org, day, id: `${org}-${day}`, policies: [policyEntry({ domain: 'ok.example', successful: 10, policyString: policyLines('testing', ['*.ok.example']) })] }));
    }
  }
  await Promise.all(all.map((r, i) => writeFile(join(folder, `r${i}.json.gz`), gz(r))));
}

// The clock of the live check is the day judged (no --now: that would make lab evidence).
const promoteArgs = ['--reports', 'reports', '--dns-server', () => world.dns.address] as const;
const promoteArgv = (...more: string[]) => ['promote', ...promoteArgs.map((a) => (typeof a === 'function' ? a() : a)), ...more];

describe('a Function App config', () => {
  it('promote and retire rebuild functions/ with home/, so verify stays green (the Build stage runs it)', async () => {
    await writeFile(join(dir, 'mta-sts.config.yaml'), FUNCTION_APP);
    await writeReports(join(dir, 'reports'));
    expect((await cli(['build'])).code).toBe(0);
    const content = () => readFile(join(dir, 'functions/src/content.js'), 'utf8');
    expect(await content()).toContain('mode: testing');

    const promoted = await cli(promoteArgv());
    expect(promoted.err).toBe(`mta-sts promote: override in force: --dns-server ${world.dns.address}: every DNS lookup goes to ${world.dns.address}, not to the system's resolvers; verdicts are what that server answers, which need not be what senders see\n`);
    expect(promoted.code).toBe(0);
    expect(promoted.out).toContain('home/ and functions/ are rebuilt');
    expect(await content()).toContain('mode: enforce');
    let verify = await cli(['verify']);
    expect(verify.out).toContain('ok     functions/ is the fresh Function App package of mta-sts.config.yaml');
    expect(verify.code).toBe(0);

    const retired = await cli(['retire']);
    expect(retired.code).toBe(0);
    expect(retired.out).toContain('home/ and functions/ are rebuilt');
    expect(retired.out).toContain('Commit mta-sts.config.yaml, home/, functions/');
    expect(await content()).toContain('mode: none');
    verify = await cli(['verify']);
    expect(verify.out).not.toContain('error');
    expect(verify.code).toBe(0);
  });
});

describe('a config in another folder (--config cfg/x.yaml)', () => {
  it('build, verify, promote and retire all use cfg/home/, never ./home', async () => {
    await mkdir(join(dir, 'cfg'));
    await writeFile(join(dir, 'cfg', 'x.yaml'), CONFIG);
    await writeReports(join(dir, 'reports'));
    const built = await cli(['build', '--config', 'cfg/x.yaml']);
    expect(built.out).toContain('Wrote cfg/home/');
    expect((await cli(['verify', '--config', 'cfg/x.yaml'])).code).toBe(0);

    const promoted = await cli(promoteArgv('--config', 'cfg/x.yaml'));
    expect(promoted.code).toBe(0);
    expect(promoted.out).toContain('cfg/home/ is rebuilt');
    expect(await readFile(join(dir, 'cfg/home/.well-known/mta-sts.txt'), 'utf8')).toContain('mode: enforce');
    const verify = await cli(['verify', '--config', 'cfg/x.yaml']);
    expect(verify.out).toContain('ok     cfg/home/ is the fresh build of cfg/x.yaml');
    expect(verify.code).toBe(0);

    expect((await cli(['retire', '--config', 'cfg/x.yaml'])).code).toBe(0);
    expect((await cli(['build', '--config', 'cfg/x.yaml', '--check'])).out).toBe('cfg/home/ is up to date.\n');
    expect((await readdir(dir)).sort()).toEqual(['cfg', 'reports']);
    expect((await readdir(join(dir, 'cfg'))).sort()).toEqual(['home', 'x.yaml']);
  });
});
