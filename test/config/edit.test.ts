import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigEditError, editConfigFile, editConfigText } from '../../src/config/edit.ts';

const config = `# top comment
domains:
  - contoso.com # inline
policy:
  # the mode
  mode: testing
  max_age: 7d
hosting:
  plan: standard
`;

describe('editConfigText', () => {
  it('changes one value and keeps every comment and the layout', () => {
    const out = editConfigText(config, [{ path: ['policy', 'mode'], value: 'enforce' }], 'c.yaml');
    expect(out).toBe(config.replace('mode: testing', 'mode: enforce'));
  });

  it('keeps the spacing before inline comments and the quoting of other values when values change in place', () => {
    const text = 'domains: ["contoso.com"]\npolicy:\n  mode: testing     # testing -> enforce\n  mx: [ "*.mail.protection.outlook.com" ]\n  max_age: 604800   # a week\n';
    const out = editConfigText(text, [{ path: ['policy', 'mode'], value: 'none' }, { path: ['policy', 'max_age'], value: '1d' }], 'c.yaml');
    expect(out).toBe('domains: ["contoso.com"]\npolicy:\n  mode: none     # testing -> enforce\n  mx: [ "*.mail.protection.outlook.com" ]\n  max_age: 1d   # a week\n');
  });

  it('adds a key to an existing map and removes one', () => {
    const out = editConfigText(config, [
      { path: ['hosting', 'default_hostname'], value: 'a-1.azurestaticapps.net' },
      { path: ['hosting', 'plan'], value: undefined },
    ], 'c.yaml');
    expect(out).toContain('hosting:\n  default_hostname: a-1.azurestaticapps.net\n');
    expect(out).not.toContain('plan:');
    expect(out).toContain('# the mode');
  });

  it('refuses an edit that makes the config invalid, naming the field', () => {
    expect(() => editConfigText(config, [{ path: ['policy', 'mode'], value: 'enforced' }], 'c.yaml'))
      .toThrow(/c\.yaml:6:9: policy\.mode must be one of/);
  });

  it('refuses a file that is not a config', () => {
    expect(() => editConfigText('a: [', [], 'c.yaml')).toThrow(ConfigEditError);
  });
});

describe('editConfigFile', () => {
  it('writes atomically and leaves no temp file; an unchanged result writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edit-'));
    const file = join(dir, 'mta-sts.config.yaml');
    await writeFile(file, config);
    expect(await editConfigFile(file, [{ path: ['policy', 'mode'], value: 'enforce' }])).toBe(true);
    expect(await readFile(file, 'utf8')).toContain('mode: enforce');
    expect(await editConfigFile(file, [{ path: ['policy', 'mode'], value: 'enforce' }])).toBe(false);
    expect(await readdir(dir)).toEqual(['mta-sts.config.yaml']);
  });

  it('names a missing file', async () => {
    await expect(editConfigFile('/nonexistent/x.yaml', [], 'x.yaml')).rejects.toThrow('cannot read x.yaml: ENOENT');
  });
});

describe('values an edit must not change silently', () => {
  const mode = (value: string, tail = '') => `domains: [contoso.com]\npolicy:\n  mode: ${value}\n  max_age: 7d\nhosting:\n  plan: standard\n${tail}`;

  it('refuses a value that carries an anchor: changing it would change every alias of it too', () => {
    const text = mode('&m testing', '  app: *m\n');
    expect(() => editConfigText(text, [{ path: ['policy', 'mode'], value: 'enforce' }], 'c.yaml'))
      .toThrow('c.yaml: policy.mode carries the anchor &m, so changing it would also change every *m that refers to it; remove the anchor (write the values out) and run again; it was not changed');
  });

  it('refuses a value that is an alias', () => {
    const text = `x: &t testing\n${mode('*t')}`;
    expect(() => editConfigText(text, [{ path: ['policy', 'mode'], value: 'enforce' }], 'c.yaml')).toThrow(/policy\.mode is the alias \*t, so changing it here would cut it loose from &t/);
  });

  it('edits a block-scalar mode in its own style, keeping its header and comment', () => {
    const text = mode('>-  # folded\n    testing');
    expect(editConfigText(text, [{ path: ['policy', 'mode'], value: 'enforce' }], 'c.yaml')).toBe(mode('>-  # folded\n    enforce'));
  });
});
