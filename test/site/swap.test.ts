// A build killed at any point leaves a complete site under a fixed name, and the next build repairs it.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.ts';
import { buildSite, SiteError, staleFiles, type BuildStep } from '../../src/site/build.ts';
import { defaultConfig } from './fixtures.ts';

const CHILD = fileURLToPath(new URL('./crash-build.mjs', import.meta.url));
const OLD = defaultConfig();
const NEW = defaultConfig({ mode: 'enforce' });

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mta-sts-swap-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function killedAt(step: BuildStep, out: string, config: Config): Promise<void> {
  const args = [CHILD, out, step, JSON.stringify(config)];
  const result = await promisify(execFile)(process.execPath, args, { timeout: 20_000 }).then((r) => ({ ...r, signal: null }), (e) => e);
  expect(result.stdout).toBe('');
  expect(result.signal).toBe('SIGKILL');
}

/** The folder holds the complete site built from `config`. */
async function isSite(dir: string, config: Config): Promise<boolean> {
  return (await staleFiles(config, dir).catch(() => ['(unreadable)'])).length === 0;
}

/** The entries beside `home` other than it, with the random part of temp names masked. */
async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n !== 'home').map((n) => n.replace(/^(\.home\.build-)\d+-\w+$/, '$1PID-X')).sort();
}

// What exists at each kill point: one complete site is always under `home`, `.home.new` or `.home.old`.
const cases: { step: BuildStep; left: string[]; home: 'old' | 'new' | 'none'; repairsTo: 'finish' | 'rebuild' }[] = [
  { step: 'staging-created', left: ['.home.build-PID-X'], home: 'old', repairsTo: 'rebuild' },
  { step: 'rendered', left: ['.home.build-PID-X'], home: 'old', repairsTo: 'rebuild' },
  { step: 'staged', left: ['.home.new'], home: 'old', repairsTo: 'rebuild' },
  { step: 'moved-aside', left: ['.home.new', '.home.old'], home: 'none', repairsTo: 'finish' },
  { step: 'swapped', left: ['.home.old'], home: 'new', repairsTo: 'finish' },
];

describe('a build killed between its steps', () => {
  it.each(cases)('at $step leaves a complete site under a fixed name, and the next build repairs it', async ({ step, left, home, repairsTo }) => {
    const dir = join(work, step);
    const out = join(dir, 'home');
    await buildSite(OLD, out);
    await killedAt(step, out, NEW);

    expect(await leftovers(dir)).toEqual(left);
    if (home === 'none') {
      expect(await readdir(dir)).not.toContain('home');
      expect(await isSite(join(dir, '.home.old'), OLD)).toBe(true);
      expect(await isSite(join(dir, '.home.new'), NEW)).toBe(true);
    } else {
      expect(await isSite(out, home === 'old' ? OLD : NEW)).toBe(true);
    }
    if (left.includes('.home.new')) expect(await isSite(join(dir, '.home.new'), NEW)).toBe(true);
    if (left.includes('.home.old')) expect(await isSite(join(dir, '.home.old'), OLD)).toBe(true);

    // Finishing the swap leaves the new site in place, so the rebuild finds it up to date.
    expect(await buildSite(NEW, out)).toBe(repairsTo === 'rebuild');
    expect(await isSite(out, NEW)).toBe(true);
    expect(await leftovers(dir)).toEqual([]);
  });

  it('on the very first build (no home/ yet), killed mid-swap, the next build finishes it', async () => {
    const dir = join(work, 'first');
    const out = join(dir, 'home');
    await mkdir(dir);
    await killedAt('staged', out, NEW);
    expect(await readdir(dir)).toEqual(['.home.new']);
    expect(await buildSite(NEW, out)).toBe(false);
    expect(await readdir(dir)).toEqual(['home']);
  });
});

describe('repairing', () => {
  it('puts the old site back when the swap fails, and removes the new one', async () => {
    const dir = join(work, 'failed-swap');
    const out = join(dir, 'home');
    await buildSite(OLD, out);
    const failing = buildSite(NEW, out, undefined, (step) => {
      if (step === 'moved-aside') throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
    });
    await expect(failing).rejects.toThrow(SiteError);
    expect(await isSite(out, OLD)).toBe(true);
    expect(await leftovers(dir)).toEqual([]);
  });

  it('leaves the temp folder of a build that is still running, and removes those of dead ones', async () => {
    const dir = join(work, 'temp-folders');
    const out = join(dir, 'home');
    await buildSite(OLD, out);
    const running = join(dir, `.home.build-${process.pid}-abcdef`);
    await mkdir(join(running, 'assets'), { recursive: true });
    await mkdir(join(dir, '.home.build-Xyz123'), { recursive: true }); // from a build that did not name its pid
    await buildSite(NEW, out);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['home', `.home.build-${process.pid}-abcdef`]));
    expect(await readdir(dir)).toHaveLength(2);
  });

  it('never moves or removes a leftover name that holds something a build does not write', async () => {
    const dir = join(work, 'in-the-way');
    const out = join(dir, 'home');
    await buildSite(OLD, out);
    await mkdir(join(dir, '.home.old'));
    await writeFile(join(dir, '.home.old', 'notes.txt'), 'mine');
    await expect(buildSite(NEW, out)).rejects.toThrow(/\.home\.old is in the way and is not a build \(notes\.txt\); move it away/);
    expect((await readdir(dir)).sort()).toEqual(['.home.old', 'home']);
    expect(await readdir(join(dir, '.home.old'))).toEqual(['notes.txt']);
    expect(await isSite(out, OLD)).toBe(true);
  });
});
