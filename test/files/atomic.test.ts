// The files written for the user: through a symbolic link to its target, keeping the mode, never half written.
import { chmod, lstat, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeTarget } from '../../src/files/atomic.ts';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mta-sts-write-')); });
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes through a symbolic link (and a chain of them): the link stays, its target changes', async () => {
    await writeFile(join(dir, 'real.yaml'), 'old');
    await symlink('real.yaml', join(dir, 'middle.yaml'));
    await symlink('middle.yaml', join(dir, 'config.yaml'));
    await writeFileAtomic(join(dir, 'config.yaml'), 'new');
    expect((await lstat(join(dir, 'config.yaml'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dir, 'config.yaml'))).toBe('middle.yaml');
    expect(await readFile(join(dir, 'real.yaml'), 'utf8')).toBe('new');
    expect((await readdir(dir)).sort()).toEqual(['config.yaml', 'middle.yaml', 'real.yaml']);
  });

  it('creates the target of a dangling link', async () => {
    await symlink('made.json', join(dir, 'link.json'));
    await writeFileAtomic(join(dir, 'link.json'), '{}');
    expect(await readFile(join(dir, 'made.json'), 'utf8')).toBe('{}');
    expect(await writeTarget(join(dir, 'link.json'))).toBe(join(dir, 'made.json'));
  });

  it.each([0o600, 0o444, 0o640])('keeps the mode %o of the file it replaces (and its owner)', async (mode) => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'old');
    await chmod(file, mode);
    const before = await stat(file);
    await writeFileAtomic(file, 'new');
    const after = await stat(file);
    expect(after.mode & 0o7777).toBe(mode);
    expect([after.uid, after.gid]).toEqual([before.uid, before.gid]);
    expect(await readFile(file, 'utf8')).toBe('new');
  });
});
