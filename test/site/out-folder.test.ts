// Which folders a build may replace: missing, empty, or a previous build; everything else is refused untouched.
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite, SITE_DIR, SiteError, staleFiles } from '../../src/site/build.ts';
import { defaultConfig } from './fixtures.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mta-sts-out-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Every path under `dir` with its bytes (symlinks as their target), to prove nothing was touched. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const name = relative(dir, path);
    if (entry.isSymbolicLink()) result[name] = `-> ${await readlink(path)}`;
    else if (entry.isDirectory()) result[name] = '/';
    else result[name] = await readFile(path, 'latin1');
  }
  return result;
}

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Builds into `dir` and expects a refusal that leaves `dir` and its parent exactly as they were. */
async function expectRefused(dir: string, message: RegExp, parent = work): Promise<void> {
  const before = await snapshot(parent);
  const error = await buildSite(defaultConfig({ mode: 'enforce' }), dir).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SiteError);
  expect((error as Error).message).toMatch(message);
  expect(await snapshot(parent)).toEqual(before);
}

describe('buildSite refuses a folder that is not a previous build', () => {
  it('a project folder (.git, the config, site/) — the `--out .` case — with the reason and the rule', async () => {
    const dir = await folder('project', {
      '.git/HEAD': 'ref: refs/heads/main\n',
      'mta-sts.config.yaml': 'domains: [contoso.com]\n',
      'site/index.html': '<p>source</p>',
      'index.html': '<p>looks like a page</p>',
    });
    await expectRefused(dir, /project is not a previous build, so it is not replaced: it holds \.git\/, .*mta-sts\.config\.yaml.*a build writes only \.well-known\/, assets\/, index\.html, staticwebapp\.config\.json\. Nothing was touched/);
    // --check refuses it the same way instead of reading it.
    await expect(staleFiles(defaultConfig(), dir)).rejects.toThrow(/is not a previous build/);
  });

  it('the page source site/ (a copy of it), which holds files a build does not write', async () => {
    const dir = join(work, 'site');
    await cp(SITE_DIR, dir, { recursive: true });
    await expectRefused(dir, /site is not a previous build, so it is not replaced: it holds style\.css, and a build writes only/);
  });

  it('a folder with a nested tree where a build writes only files', async () => {
    const dir = await folder('nested', { '.well-known/mta-sts.txt': 'version: STSv1\r\n', 'assets/fonts/a.woff2': 'x' });
    await expectRefused(dir, /it holds assets\/fonts\//);
    const other = await folder('well-known-extra', { '.well-known/mta-sts.txt': 'x', '.well-known/security.txt': 'x' });
    await expectRefused(other, /it holds \.well-known\/security\.txt/);
  });

  it('a folder holding only what a build writes, but no policy: someone else’s site', async () => {
    const dir = await folder('website', { 'index.html': '<p>my site</p>' });
    await expectRefused(dir, /it holds no \.well-known\/mta-sts\.txt/);
  });

  it('a folder with more entries than a build writes, without reading them all', async () => {
    const files: Record<string, string> = { '.well-known/mta-sts.txt': 'x' };
    for (let i = 0; i < 300; i++) files[`assets/a${i}.css`] = 'x';
    const dir = await folder('many', files);
    await expectRefused(dir, /assets\/ holds more than 256 entries/);
  });

  it('the root folder', async () => {
    await expect(buildSite(defaultConfig(), '/')).rejects.toThrow(/\/ is the root folder/);
    await expect(staleFiles(defaultConfig(), '/')).rejects.toThrow(/\/ is the root folder/);
  });

  it('a symbolic link, which it neither follows nor replaces', async () => {
    const target = await folder('link-target', {});
    const link = join(work, 'link');
    await symlink(target, link);
    await expectRefused(link, /link is a symbolic link \(to .*link-target\); give the folder itself as --out/);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });
});

describe('buildSite replaces', () => {
  it('an empty folder', async () => {
    const dir = await folder('empty', {});
    expect(await buildSite(defaultConfig(), dir)).toBe(true);
    expect(await staleFiles(defaultConfig(), dir)).toEqual([]);
  });

  it('the home/ committed in this repository, as forks have it', async () => {
    const dir = join(work, 'fork-home');
    await cp('home', dir, { recursive: true });
    expect(await buildSite(defaultConfig({ mode: 'enforce' }), dir)).toBe(true);
    expect(await staleFiles(defaultConfig({ mode: 'enforce' }), dir)).toEqual([]);
    expect((await readdir(work)).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
