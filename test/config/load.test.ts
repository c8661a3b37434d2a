// Reading the file from disk and printing diagnostics.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, loadConfig, MAX_CONFIG_BYTES, parseConfig } from '../../src/config/config.ts';
import { config } from './helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mta-sts-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('loads a file and names it in diagnostics as the caller gave it', async () => {
    const path = join(dir, 'good.yaml');
    await writeFile(path, config());
    expect((await loadConfig(path)).ok).toBe(true);

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, config({ mode: 'enforced' }));
    const result = await loadConfig(bad);
    expect(result.ok ? [] : result.errors.map((d) => formatDiagnostic(d))).toEqual([
      `${bad}:3:9: policy.mode must be one of testing, enforce, none (got "enforced")`,
    ]);
  });

  it('reports a missing file without throwing, pointing at the template', async () => {
    const path = join(dir, 'missing.yaml');
    const result = await loadConfig(path);
    expect(result).toEqual({
      ok: false,
      errors: [{ file: path, code: 'config-unreadable', message: `cannot read ${path}: no such file; create it from the template (docs/configuration.md: "Edit the config")` }],
      warnings: [],
    });
    expect(formatDiagnostic(result.ok ? ({} as never) : result.errors[0]!)).toBe(
      `cannot read ${path}: no such file; create it from the template (docs/configuration.md: "Edit the config")`,
    );
  });

  it('names the file by its display path when one is given', async () => {
    const missing = await loadConfig(join(dir, 'missing.yaml'), 'mta-sts.config.yaml');
    expect(missing.ok ? [] : missing.errors.map((d) => formatDiagnostic(d))).toEqual([
      'cannot read mta-sts.config.yaml: no such file; create it from the template (docs/configuration.md: "Edit the config")',
    ]);
    const bad = join(dir, 'bad-display.yaml');
    await writeFile(bad, config({ domains: '[contoso]' }));
    const result = await loadConfig(bad, 'mta-sts.config.yaml');
    expect(result.ok ? [] : result.errors.map((d) => formatDiagnostic(d))).toEqual([
      expect.stringMatching(/^mta-sts\.config\.yaml:1:11: domains: each entry must be a domain name/),
    ]);
  });

  it('reports a directory given as the config file', async () => {
    const path = join(dir, 'a-directory');
    await mkdir(path);
    const result = await loadConfig(path);
    expect(result.ok ? '' : result.errors[0]!.message).toBe(`cannot read ${path}: a folder, not a file; not read`);
  });
});

describe('formatDiagnostic', () => {
  const d = { file: 'mta-sts.config.yaml', line: 3, column: 9, code: 'x', message: 'policy.mode must be one of testing' };

  it('prints FILE:LINE:COL: MESSAGE for errors', () => {
    expect(formatDiagnostic(d)).toBe('mta-sts.config.yaml:3:9: policy.mode must be one of testing');
    expect(formatDiagnostic(d, 'error')).toBe('mta-sts.config.yaml:3:9: policy.mode must be one of testing');
  });

  it('marks warnings after the position', () => {
    expect(formatDiagnostic(d, 'warning')).toBe('mta-sts.config.yaml:3:9: warning: policy.mode must be one of testing');
  });
});

describe('npm run schema -- --check', () => {
  it('passes while schema.generated.ts matches mta-sts.schema.json', async () => {
    const run = promisify(execFile);
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/config/generate-schema.ts', '--check'], {
      cwd: new URL('../..', import.meta.url).pathname,
      timeout: 20_000,
    });
    expect(stdout + stderr).toBe('');
  });
});

describe('a config over 256 KiB', () => {
  // Real configs are a few hundred bytes; 40,000 unknown keys used to keep the checker busy for half a minute.
  const huge = config({ extra: Array.from({ length: 70_000 }, (_, i) => `unknown_key_${i}: 1`).join('\n') });

  it('is refused by loadConfig before parsing, naming the file and the limit, without reading it all', async () => {
    expect(Buffer.byteLength(huge)).toBeGreaterThan(MAX_CONFIG_BYTES);
    const path = join(dir, 'huge.yaml');
    await writeFile(path, huge);
    const result = await loadConfig(path, 'huge.yaml');
    expect(result.ok ? [] : result.errors.map((d) => formatDiagnostic(d))).toEqual([
      `huge.yaml is ${Buffer.byteLength(huge)} bytes, over the 256 KiB (262144 bytes) a config may have; check that it is the right file`,
    ]);
    // A device that never ends is not read at all.
    const endless = await loadConfig('/dev/zero', 'zero.yaml');
    expect(endless.ok ? [] : endless.errors.map((d) => d.message)).toEqual(['cannot read zero.yaml: a device, not a regular file; not read']);
  });

  it('is refused by parseConfig too, while exactly 256 KiB is still parsed', () => {
    const result = parseConfig(huge, 'mta-sts.config.yaml');
    expect(result.ok ? [] : result.errors.map((d) => d.code)).toEqual(['config-too-large']);
    const padded = config() + '#'.repeat(MAX_CONFIG_BYTES - Buffer.byteLength(config()));
    expect(parseConfig(padded, 'mta-sts.config.yaml').ok).toBe(true);
  });
});
