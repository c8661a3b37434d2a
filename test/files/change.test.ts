// promote and retire change the config, home/ and mta-sts.evidence.json as one: killed at every boundary
// between their steps, the next command finishes or undoes the change and says which, so the three always
// agree (never mode enforce in the config with a testing home/ and no evidence).
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { JOURNAL_FILE, recoverChange } from '../../src/files/change.ts';
import { startTime } from '../../src/files/process.ts';
import { retire, writePromotion } from '../../src/rollout/rollout.ts';
import type { EvidenceFile } from '../../src/rollout/evidence.ts';
import { loadConfig } from '../../src/config/config.ts';

const CHILD = fileURLToPath(new URL('./crash-change.mjs', import.meta.url));
const CONFIG = [
  '# our domains',
  'domains:',
  '  - contoso.com',
  'policy:',
  '  mode: testing   # enforce once the reports are clean',
  '  mx:',
  '    - "*.mail.protection.outlook.com"',
  '  max_age: 7d',
  '',
].join('\n');
const PROMOTED = CONFIG.replace('mode: testing', 'mode: enforce');
const RETIRED = PROMOTED.replace('mode: enforce', 'mode: none').replace('max_age: 7d', 'max_age: 1d');
const EVIDENCE: EvidenceFile = {
  version: 1, created: '2026-03-15T10:00:00.000Z', now: '2026-03-15',
  window: { start: '2026-03-01', end: '2026-03-14', days: 14, recentStart: '2026-03-08' },
  rollout: { window_days: 14, min_report_days: 10, min_organizations: 2, min_sessions: 100, recent_days: 7, max_fetch_error_days: 3 },
  policy: { mode: 'enforce', mx: ['*.mail.protection.outlook.com'], max_age: 604800 },
  domains: [], verdict: { status: 'ready', reasons: [] }, reports: [],
};
const EVIDENCE_TEXT = `${JSON.stringify(EVIDENCE, null, 2)}\n`;
const OLD_EVIDENCE = '{"version":1,"note":"from an earlier promote"}\n';

let work: string;
beforeAll(async () => { work = await mkdtemp(join(tmpdir(), 'mta-sts-change-')); });
afterAll(() => rm(work, { recursive: true, force: true }));

async function command(cwd: string, argv: string[]) {
  let out = '';
  let err = '';
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), cwd, isTTY: false, env: {} };
  const code = await main(argv, io);
  return { code, out, err };
}

// home/ is built once for each config the tests start from, then copied: building it is not what they test, and
// every test's next command still builds and must find it up to date.
const built = new Map<string, Promise<string>>();
function builtProject(config: string): Promise<string> {
  let template = built.get(config);
  if (!template) {
    template = (async () => {
      const dir = join(work, '.built', String(built.size));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'mta-sts.config.yaml'), config);
      const result = await command(dir, ['build']);
      expect(result.code, result.err).toBe(0);
      return dir;
    })();
    built.set(config, template);
  }
  return template;
}

/** A folder with the config, and home/ built from it (and for retire, evidence from an earlier promote). */
async function project(name: string, config: string, evidence?: string): Promise<string> {
  const dir = join(work, name);
  await cp(await builtProject(config), dir, { recursive: true, verbatimSymlinks: true });
  if (evidence !== undefined) await writeFile(join(dir, 'mta-sts.evidence.json'), evidence);
  return dir;
}

async function killedAt(kind: 'promote' | 'retire', dir: string, step: string): Promise<void> {
  const args = [CHILD, kind, join(dir, 'mta-sts.config.yaml'), step, JSON.stringify(EVIDENCE)];
  const result = await promisify(execFile)(process.execPath, args, { timeout: 30_000 }).then((r) => ({ ...r, signal: null }), (e) => e);
  expect(result.stdout).toBe('');
  expect(result.signal).toBe('SIGKILL');
}

/**
 * promote stopped right after its commit point in this process (the hook throws there): the journal "switching" and
 * the staged files are what a kill at journal-switching leaves (the real kill there is in the matrix above), for
 * the tests of what recovery does next.
 */
async function committedPromote(dir: string): Promise<void> {
  const stop = (step: string) => {
    if (step === 'journal-switching') throw new Error('stopped at the commit point');
  };
  await expect(writePromotion(join(dir, 'mta-sts.config.yaml'), 'mta-sts.config.yaml', EVIDENCE, stop)).rejects.toThrow('stopped at the commit point');
  expect(JSON.parse(await readFile(join(dir, JOURNAL_FILE), 'utf8'))).toMatchObject({ command: 'promote', state: 'switching' });
}

/** What the project says: the config's text, the evidence (undefined when there is none), the mode home/ serves. */
async function state(dir: string) {
  const read = (p: string) => readFile(join(dir, p), 'utf8').catch(() => undefined);
  const policy = await read('home/.well-known/mta-sts.txt');
  return { config: await read('mta-sts.config.yaml'), evidence: await read('mta-sts.evidence.json'), home: /mode: (\w+)/.exec(policy ?? '')?.[1] };
}

const BEFORE_COMMIT = ['journal-preparing', 'file-staged#1', 'file-staged#2', 'staging-created', 'rendered', 'site-staged'];

// Every boundary of promote: the journal, two staged files (config, evidence), the site's staging, the commit,
// two switched files, the swap of home/, the journal removed.
const promoteSteps = [...BEFORE_COMMIT, 'journal-switching', 'file-switched#1', 'file-switched#2', 'moved-aside', 'swapped', 'journal-removed'];
// Every boundary of retire: one staged file (config), the evidence removed at the switch.
const retireSteps = [...BEFORE_COMMIT.filter((s) => s !== 'file-staged#2'), 'journal-switching', 'file-switched#1', 'file-switched#2', 'moved-aside', 'swapped', 'journal-removed'];

describe('promote killed between its steps', () => {
  it.each(promoteSteps)('at %s: the next command finishes or undoes it, and says which', async (step) => {
    const dir = await project(`promote-${step}`, CONFIG);
    await killedAt('promote', dir, step);
    const next = await command(dir, ['build']);
    expect(next.code).toBe(0);
    const committed = !BEFORE_COMMIT.includes(step);
    if (step === 'journal-removed') {
      expect(next.err).toBe(''); // the change was complete: nothing to say
    } else if (committed) {
      expect(next.err).toContain('mta-sts: finished the promote that was interrupted');
      expect(next.err).toContain('mta-sts.config.yaml, mta-sts.evidence.json, home now hold its change');
    } else {
      expect(next.err).toContain('mta-sts: undid the promote that was interrupted');
      expect(next.err).toContain('before it changed anything');
    }
    expect(await state(dir)).toEqual(committed
      ? { config: PROMOTED, evidence: EVIDENCE_TEXT, home: 'enforce' }
      : { config: CONFIG, evidence: undefined, home: 'testing' });
    expect(next.out).toContain('home/ is already up to date'); // home/ agrees with the config
    expect((await readdir(dir)).sort()).toEqual(['home', 'mta-sts.config.yaml', ...(committed ? ['mta-sts.evidence.json'] : [])]);
  });
});

// Killed at these, retire leaves a folder beside home/ (.home.new, .home.old): the next command is then records,
// which builds nothing itself, so only the recovery can remove it.
const BESIDE_HOME = ['staging-created', 'rendered', 'site-staged', 'moved-aside'];

describe('retire killed between its steps', () => {
  it.each(retireSteps)('at %s: the next command (records where a folder is left beside home/) finishes or undoes it, says which, and leaves nothing beside the user\'s files', async (step) => {
    const dir = await project(`retire-${step}`, PROMOTED, OLD_EVIDENCE);
    await killedAt('retire', dir, step);
    const beside = BESIDE_HOME.includes(step);
    if (beside) expect((await readdir(dir)).some((n) => n.startsWith('.home.'))).toBe(true);
    const next = await command(dir, [beside ? 'records' : 'build']);
    expect(next.code).toBe(0);
    const committed = !BEFORE_COMMIT.includes(step);
    if (step !== 'journal-removed') expect(next.err).toContain(committed ? 'finished the retire' : 'undid the retire');
    expect(await state(dir)).toEqual(committed
      ? { config: RETIRED, evidence: undefined, home: 'none' }
      : { config: PROMOTED, evidence: OLD_EVIDENCE, home: 'enforce' });
    expect((await readdir(dir)).sort()).toEqual(['home', 'mta-sts.config.yaml', ...(committed ? [] : ['mta-sts.evidence.json'])]);
    expect((beside ? await command(dir, ['build']) : next).out).toContain('home/ is already up to date');
  });
});

describe('the journal', () => {
  it('is recovered by any command (records here), with --config naming the folder', async () => {
    const dir = await project('records', CONFIG);
    await committedPromote(dir);
    const next = await command(work, ['records', '--config', join('records', 'mta-sts.config.yaml')]);
    expect(next.code).toBe(0);
    expect(next.err).toContain('finished the promote that was interrupted');
    expect(await state(dir)).toEqual({ config: PROMOTED, evidence: EVIDENCE_TEXT, home: 'enforce' });
  });

  it('that names paths outside its folder is refused, and nothing is renamed or removed', async () => {
    const dir = await project('planted', CONFIG);
    const victim = join(work, 'victim.txt');
    await writeFile(victim, 'keep me');
    await writeFile(join(dir, JOURNAL_FILE), JSON.stringify({
      version: 2, command: 'promote', state: 'switching', started: 'x', holder: { pid: 999_999_999 },
      files: [{ target: victim, staged: null, before: null, after: null }], folders: [{ out: join(dir, 'home'), staged: false }],
    }));
    const next = await command(dir, ['build']);
    expect(next.code).toBe(1);
    expect(next.err).toMatch(/is not a change journal this program wrote; move it away/);
    expect(await readFile(victim, 'utf8')).toBe('keep me');
  });

  it('of a promote that is still running is left alone: another command waits for it rather than undo it', async () => {
    const dir = await project('running', CONFIG);
    const { spawn } = await import('node:child_process');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const journal = { version: 2, command: 'promote', state: 'preparing', started: 'x', holder: { pid: other.pid, start: startTime(other.pid!) }, files: [], folders: [{ out: join(dir, 'home'), staged: false }] };
      await writeFile(join(dir, JOURNAL_FILE), JSON.stringify(journal));
      const next = await command(dir, ['build']);
      expect(next.code).toBe(1);
      expect(next.err).toContain(`another mta-sts promote (process ${other.pid}) is changing these files right now; run this again when it has finished`);
      expect(await readFile(join(dir, JOURNAL_FILE), 'utf8')).toBe(JSON.stringify(journal));
    } finally {
      other.kill();
    }
  });

  it('blocks a second change until the first is finished', async () => {
    const dir = await project('second', CONFIG);
    await writeFile(join(dir, JOURNAL_FILE), '{}');
    const loaded = await loadConfig(join(dir, 'mta-sts.config.yaml'));
    expect(await retire(loaded.ok ? loaded.config : (undefined as never), join(dir, 'mta-sts.config.yaml'), 'mta-sts.config.yaml'))
      .toMatch(/records an unfinished change; run any mta-sts command to finish it first/);
    expect((await state(dir)).config).toBe(CONFIG);
  });

  it('a failure while preparing (a folder in the way of the site) leaves every file as it was', async () => {
    const dir = await project('failing', CONFIG);
    await mkdir(join(dir, '.home.old'));
    await writeFile(join(dir, '.home.old', 'notes.txt'), 'mine');
    const result = await writePromotion(join(dir, 'mta-sts.config.yaml'), 'mta-sts.config.yaml', EVIDENCE);
    expect(result).toMatch(/\.home\.old is in the way and is not a build/);
    expect(await state(dir)).toEqual({ config: CONFIG, evidence: undefined, home: 'testing' });
    expect((await readdir(dir)).sort()).toEqual(['.home.old', 'home', 'mta-sts.config.yaml']);
    expect(await recoverChange(join(dir, 'mta-sts.config.yaml'))).toBeUndefined();
  });

  it('writes a symlinked config through the link, inside the folder', async () => {
    const dir = await project('linked', CONFIG);
    await mkdir(join(dir, 'real'));
    await writeFile(join(dir, 'real', 'config.yaml'), CONFIG);
    await rm(join(dir, 'mta-sts.config.yaml'));
    await symlink('real/config.yaml', join(dir, 'mta-sts.config.yaml'));
    expect(await writePromotion(join(dir, 'mta-sts.config.yaml'), 'mta-sts.config.yaml', EVIDENCE)).toBe(true);
    expect(await readFile(join(dir, 'real', 'config.yaml'), 'utf8')).toBe(PROMOTED);
    expect((await state(dir)).home).toBe('enforce');
  });
});

const BIN = fileURLToPath(new URL('../../bin/mta-sts.js', import.meta.url));
/** The real command line in a process of its own. */
function bin(cwd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return promisify(execFile)(process.execPath, [BIN, ...args], { cwd, timeout: 30_000 }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e) => ({ code: e.code as number, out: e.stdout as string, err: e.stderr as string }),
  );
}
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** The mode the config says and the mode home/ serves agree, and the evidence is there exactly for enforce. */
async function agrees(dir: string) {
  const s = await state(dir);
  const mode = /mode: (\w+)/.exec(s.config ?? '')?.[1];
  return { mode, home: s.home, evidence: s.evidence !== undefined };
}
/** A pid that no process has now: a child that has exited. */
async function deadPid(): Promise<number> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((done) => child.once('exit', done));
  return child.pid!;
}

describe('the journal is the lock', () => {
  // Rounds of real processes: slow on a loaded machine, so each of these tests has its own, longer timeout.
  it('retire, then build 0.2 s later: every success exit leaves files that agree', { timeout: 180_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const dir = await project(`retire-build-${round}`, PROMOTED, OLD_EVIDENCE);
      const retiring = bin(dir, ['retire']);
      await sleep(200);
      const building = bin(dir, ['build']);
      const [r, b] = await Promise.all([retiring, building]);
      // Whichever takes the lock first runs; the other is refused (exit 1) or runs after it, never in between.
      if (r.code !== 0) expect(r.err).toMatch(/another mta-sts build \(process \d+\) is changing these files right now/);
      if (b.code !== 0) expect(b.err).toMatch(/another mta-sts retire \(process \d+\) is changing these files right now/);
      expect(r.code === 0 || b.code === 0).toBe(true);
      const end = await agrees(dir);
      expect(end).toEqual(r.code === 0 ? { mode: 'none', home: 'none', evidence: false } : { mode: 'enforce', home: 'enforce', evidence: true });
      expect((await readdir(dir)).sort()).toEqual(['home', 'mta-sts.config.yaml', ...(end.evidence ? ['mta-sts.evidence.json'] : [])]);
    }
  });

  it('promote and retire started together: one waits its turn or is refused, and the files agree with who succeeded', { timeout: 180_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const dir = await project(`together-${round}`, CONFIG);
      const config = join(dir, 'mta-sts.config.yaml');
      const child = (kind: string) => promisify(execFile)(process.execPath, [CHILD, kind, config, 'never', JSON.stringify(EVIDENCE)], { timeout: 30_000 })
        .then((r) => JSON.parse(r.stdout.slice(r.stdout.indexOf(': ') + 2)) as unknown);
      const [promoted, retired] = await Promise.all([child('promote'), child('retire')]);
      const end = await agrees(dir);
      expect(end.mode).toBe(end.home);
      expect(end.evidence).toBe(end.mode === 'enforce');
      if (typeof retired === 'object') expect(end.mode).toBe('none');
      else if (promoted === true) expect(end.mode).toBe('enforce');
      else expect(end.mode).toBe('testing');
      for (const refused of [promoted, retired].filter((r) => typeof r === 'string')) {
        expect(refused).toMatch(/another mta-sts (promote|retire) \(process \d+\) is changing these files right now|changed while promote ran/);
      }
    }
  });

  it('held by a pid that now belongs to another process (a reused pid) does not block', async () => {
    const dir = await project('reused-pid', CONFIG);
    const { spawn } = await import('node:child_process');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      // The pid runs, but it started at another time than the process that wrote the journal.
      const journal = { version: 2, command: 'retire', state: 'preparing', started: 'x', holder: { pid: other.pid, start: '1' }, files: [], folders: [{ out: join(dir, 'home'), staged: false }] };
      await writeFile(join(dir, JOURNAL_FILE), JSON.stringify(journal));
      const next = await command(dir, ['build']);
      expect(next.err).toContain('undid the retire that was interrupted');
      expect(next.code).toBe(0);
      expect((await readdir(dir)).sort()).toEqual(['home', 'mta-sts.config.yaml']);
    } finally {
      other.kill();
    }
  });

  it('a planted journal naming other files of the folder (README.md, .git) is refused and nothing is touched', async () => {
    const dir = await project('planted-inside', CONFIG);
    await writeFile(join(dir, 'README.md'), 'keep me');
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await mkdir(join(dir, '.git.new'));
    for (const journal of [
      { files: [{ target: join(dir, 'README.md'), staged: null, before: null, after: null }], folders: [] },
      { files: [], folders: [{ out: join(dir, '.git'), staged: true }] },
    ]) {
      await writeFile(join(dir, JOURNAL_FILE), JSON.stringify({ version: 2, command: 'retire', state: 'switching', started: 'x', holder: { pid: await deadPid() }, ...journal }));
      const next = await command(dir, ['build']);
      expect(next.code).toBe(1);
      expect(next.err).toMatch(/is not a change journal this program wrote; move it away/);
    }
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toBe('keep me');
    expect(await readFile(join(dir, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
  });
});

describe('recovery', () => {
  it('keeps a hand edit made after the commit point, says which file and what to do', async () => {
    const dir = await project('hand-edit', CONFIG);
    await committedPromote(dir);
    const edited = CONFIG.replace('# our domains', '# our domains, edited by hand');
    await writeFile(join(dir, 'mta-sts.config.yaml'), edited);
    const next = await command(dir, ['build']);
    expect(next.code).toBe(1);
    expect(next.err).toContain('mta-sts.config.yaml changed since (edited by hand?), so it was not overwritten');
    expect(next.err).toContain('.mta-sts.config.yaml.change-new: merge what you need by hand, then remove .mta-sts.config.yaml.change-new and .mta-sts.change.json');
    expect(await readFile(join(dir, 'mta-sts.config.yaml'), 'utf8')).toBe(edited);
  });

  it('keeps a hand edit inside home/ made after the commit point, and finishes once the admin has chosen', async () => {
    const dir = await project('hand-edit-home', CONFIG);
    await committedPromote(dir);
    const page = join(dir, 'home', 'index.html');
    const edited = `${await readFile(page, 'utf8')}<!-- edited by hand -->\n`;
    await writeFile(page, edited);
    const next = await command(dir, ['build']);
    expect(next.code).toBe(1);
    expect(next.err).toContain('home changed since (edited by hand?), so it was not overwritten');
    expect(next.err).toContain('.home.new: merge what you need by hand, then remove .home.new and .mta-sts.change.json and run promote again');
    expect(await readFile(page, 'utf8')).toBe(edited);
    expect(await state(dir)).toMatchObject({ home: 'testing' });

    // Undoing the edit is enough: the interrupted promote is then finished as recorded.
    await writeFile(page, edited.replace('<!-- edited by hand -->\n', ''));
    const again = await command(dir, ['build']);
    expect(again.err).toContain('finished the promote that was interrupted');
    expect(await state(dir)).toEqual({ config: PROMOTED, evidence: EVIDENCE_TEXT, home: 'enforce' });
  });

  it('a failure after the commit point says the change is recorded and will be finished, never "unchanged"', async () => {
    const dir = await project('after-commit', CONFIG);
    const hook = (step: string) => {
      if (step === 'file-switched') throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
    };
    const result = await writePromotion(join(dir, 'mta-sts.config.yaml'), 'mta-sts.config.yaml', EVIDENCE, hook);
    expect(result).toBe('promote stopped after its change was recorded (EIO): the change is kept in .mta-sts.change.json and the next mta-sts command finishes it');
    const next = await command(dir, ['build']);
    expect(next.err).toContain('finished the promote that was interrupted');
    expect(await state(dir)).toEqual({ config: PROMOTED, evidence: EVIDENCE_TEXT, home: 'enforce' });
  });

  it('removes the temp files of a command killed while writing (the journal\'s too), and .gitignore covers them meanwhile', async () => {
    const dir = await project('temps', CONFIG);
    const dead = await deadPid();
    const leftovers = [`.${JOURNAL_FILE}.${dead}-0123456789ab.tmp`, `.mta-sts.config.yaml.${dead}-0123456789ab.tmp`, `.mta-sts.evidence.json.${dead}-ba9876543210.tmp`];
    for (const name of leftovers) await writeFile(join(dir, name), '{');
    const ignore = await readFile(fileURLToPath(new URL('../../.gitignore', import.meta.url)), 'utf8');
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['init', '-q'], { cwd: dir });
    await writeFile(join(dir, '.gitignore'), ignore);
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, encoding: 'utf8' })).not.toContain('.tmp');
    await rm(join(dir, '.gitignore'));
    await rm(join(dir, '.git'), { recursive: true });
    expect((await command(dir, ['records'])).code).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['home', 'mta-sts.config.yaml']);
  });

  it('killed at random moments of retire, the next command leaves nothing beside the user\'s files', { timeout: 180_000 }, async () => {
    for (const delay of [80, 250, 450]) {
      const dir = await project(`random-${delay}`, PROMOTED, OLD_EVIDENCE);
      const { spawn } = await import('node:child_process');
      const child = spawn(process.execPath, [BIN, 'retire'], { cwd: dir, stdio: 'ignore' });
      await sleep(delay);
      child.kill('SIGKILL');
      await new Promise((done) => child.once('exit', done));
      // The next command in this process: the recovery is the same code, and the kill above was a real one.
      const next = await command(dir, ['build']);
      expect(next.code, next.err).toBe(0);
      const end = await agrees(dir);
      expect([{ mode: 'enforce', home: 'enforce', evidence: true }, { mode: 'none', home: 'none', evidence: false }]).toContainEqual(end);
      expect((await readdir(dir)).sort()).toEqual(['home', 'mta-sts.config.yaml', ...(end.evidence ? ['mta-sts.evidence.json'] : [])]);
    }
  });
});

describe('retire with a symlinked evidence file', () => {
  it('removes the link, never the file it points to', async () => {
    const dir = await project('linked-evidence', PROMOTED);
    await mkdir(join(dir, 'records'), { recursive: true });
    await writeFile(join(dir, 'records', 'evidence.json'), OLD_EVIDENCE);
    await symlink('records/evidence.json', join(dir, 'mta-sts.evidence.json'));
    const r = await command(dir, ['retire']);
    expect(r.code, r.err).toBe(0);
    expect(await readFile(join(dir, 'records', 'evidence.json'), 'utf8')).toBe(OLD_EVIDENCE);
    expect((await readdir(dir)).sort()).toEqual(['home', 'mta-sts.config.yaml', 'records']);
  });
});
