// promote and retire change the config, home/ and mta-sts.evidence.json as one: killed at every boundary
// between their steps, the next command finishes or undoes the change and says which, so the three always
// agree (never mode enforce in the config with a testing home/ and no evidence).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { JOURNAL_FILE, recoverChange } from '../../src/rollout/change.ts';
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

/** A folder with the config, and home/ built from it (and for retire, evidence from an earlier promote). */
async function project(name: string, config: string, evidence?: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'mta-sts.config.yaml'), config);
  if (evidence !== undefined) await writeFile(join(dir, 'mta-sts.evidence.json'), evidence);
  expect((await command(dir, ['build'])).code).toBe(0);
  return dir;
}

async function killedAt(kind: 'promote' | 'retire', dir: string, step: string): Promise<void> {
  const args = [CHILD, kind, join(dir, 'mta-sts.config.yaml'), step, JSON.stringify(EVIDENCE)];
  const result = await promisify(execFile)(process.execPath, args, { timeout: 30_000 }).then((r) => ({ ...r, signal: null }), (e) => e);
  expect(result.stdout).toBe('');
  expect(result.signal).toBe('SIGKILL');
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

describe('retire killed between its steps', () => {
  it.each(retireSteps)('at %s: the next command finishes or undoes it, and says which', async (step) => {
    const dir = await project(`retire-${step}`, PROMOTED, OLD_EVIDENCE);
    await killedAt('retire', dir, step);
    const next = await command(dir, ['build']);
    expect(next.code).toBe(0);
    const committed = !BEFORE_COMMIT.includes(step);
    if (step !== 'journal-removed') expect(next.err).toContain(committed ? 'finished the retire' : 'undid the retire');
    expect(await state(dir)).toEqual(committed
      ? { config: RETIRED, evidence: undefined, home: 'none' }
      : { config: PROMOTED, evidence: OLD_EVIDENCE, home: 'enforce' });
    expect(next.out).toContain('home/ is already up to date');
  });
});

describe('the journal', () => {
  it('is recovered by any command (records here), with --config naming the folder', async () => {
    const dir = await project('records', CONFIG);
    await killedAt('promote', dir, 'journal-switching');
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
      version: 2, command: 'promote', state: 'switching', started: 'x', pid: 999_999_999,
      files: [{ target: victim, staged: null }], folders: [{ out: join(dir, 'home'), staged: false }],
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
      const journal = { version: 2, command: 'promote', state: 'preparing', started: 'x', pid: other.pid, files: [], folders: [{ out: join(dir, 'home'), staged: false }] };
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
    expect(await recoverChange(dir)).toBeUndefined();
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
