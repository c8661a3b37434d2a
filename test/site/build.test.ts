import { mkdtemp, readFile, readdir, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { buildSite, SiteError, staleFiles, SWA_CONFIG_SOURCE } from '../../src/site/build.ts';
import { effectiveId, policyText } from '../../src/config/policy.ts';
import { defaultConfig } from './fixtures.ts';

let work: string;
let out: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mta-sts-build-'));
  out = join(work, 'home');
  await buildSite(defaultConfig(), out);
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('buildSite', () => {
  it('writes the policy bytes under the dot-folder', async () => {
    expect(await readFile(join(out, '.well-known/mta-sts.txt'), 'latin1')).toBe(policyText(defaultConfig()));
  });

  it('copies staticwebapp.config.json byte for byte into the deployed folder', async () => {
    expect(await readFile(join(out, 'staticwebapp.config.json'))).toEqual(await readFile(SWA_CONFIG_SOURCE));
  });

  it('builds a page that names the domains, mode and id and loads nothing from elsewhere', async () => {
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).toContain('contoso.com');
    expect(html).toContain('data-testid="mode">testing<');
    expect(html).toContain('class="mode mode-testing"');
    expect(html).toContain(effectiveId(defaultConfig()));
    expect(html).not.toMatch(/\{\{|%[A-Z_]+%/); // every placeholder was filled
    expect(html).not.toMatch(/<script/i); // the CSP allows no scripts
    const resources = [...html.matchAll(/<(?:link|img|script)[^>]+(?:href|src)="([^"]+)"/g)].map((m) => m[1]);
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((url) => url.startsWith('/'))).toBe(true);
  });

  it('shows max_age and the build time, and no TLS-RPT address or contact when none is configured', async () => {
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).toContain('data-testid="max-age">604800 seconds (7 days): how long senders keep this policy');
    expect(html).toMatch(/<time data-testid="built" datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>/);
    expect(html).toContain('data-testid="domain">contoso.com<');
    expect(html).not.toContain('data-testid="tlsrpt"');
    expect(html).not.toContain('data-testid="contact"');
    expect(html).not.toMatch(/report/i); // the page promises no reports that are not set up
  });

  it('shows the TLS-RPT addresses and the contact when configured, and with several domains names none of them', async () => {
    const dir = join(work, 'configured');
    await buildSite({ ...defaultConfig(), domains: ['contoso.com', 'fabrikam.com'], tlsrpt: { rua: ['mailto:tlsrpt@contoso.com'] }, site: { contact: 'postmaster@contoso.com' } }, dir);
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('data-testid="tlsrpt">Senders report TLS problems with mail to this domain to <code>mailto:tlsrpt@contoso.com</code>');
    expect(html).toContain('<a href="mailto:postmaster@contoso.com" data-testid="contact">postmaster@contoso.com</a>');
    expect(html).not.toContain('fabrikam.com'); // one page for every host: it must not list the others
    expect(html).toContain("mail sent to the domain in this host's name");
  });

  it('keeps the build time while the policy stays the same, and takes a new one when it changes', async () => {
    const dir = join(work, 'timed');
    await buildSite(defaultConfig(), dir);
    const time = async () => /datetime="([^"]+)"/.exec(await readFile(join(dir, 'index.html'), 'utf8'))![1];
    const first = await time();
    expect(first).toMatch(/^\d{4}-/);
    const page = (await readFile(join(dir, 'index.html'), 'utf8')).replace(/datetime="[^"]+">[^<]+/, 'datetime="2020-01-01T00:00:00Z">2020-01-01 00:00 UTC');
    await writeFile(join(dir, 'index.html'), page);
    expect(await staleFiles(defaultConfig(), dir)).toEqual([]);
    await buildSite(defaultConfig({ mode: 'enforce' }), dir);
    expect(await time()).not.toBe('2020-01-01T00:00:00Z');
  });

  it('escapes config values in the page', async () => {
    const dir = join(work, 'escaped');
    await buildSite({ ...defaultConfig(), domains: ['<b>contoso.com'] }, dir);
    expect(await readFile(join(dir, 'index.html'), 'utf8')).toContain('&#60;b&#62;contoso.com');
  });

  it('leaves no temp folders next to the output', async () => {
    expect((await readdir(work)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('gives identical bytes for the same config, so home/ can be checked for staleness', async () => {
    expect(await staleFiles(defaultConfig(), out)).toEqual([]);
  });

  it('reports the files a config change would alter', async () => {
    expect(await staleFiles(defaultConfig({ mode: 'enforce' }), out)).toEqual(['.well-known/mta-sts.txt', 'index.html']);
  });

  it('reports hand edits and extra files', async () => {
    const dir = join(work, 'edited');
    await buildSite(defaultConfig(), dir);
    await writeFile(join(dir, '.well-known/mta-sts.txt'), policyText(defaultConfig()).replace(/\r\n/g, '\n'));
    await writeFile(join(dir, 'assets/extra.css'), 'x');
    expect(await staleFiles(defaultConfig(), dir)).toEqual(['.well-known/mta-sts.txt', 'assets/extra.css']);
  });

  it('compares sizes before bytes, so a huge file in the output is never read', async () => {
    const dir = join(work, 'huge');
    await buildSite(defaultConfig(), dir);
    await truncate(join(dir, 'index.html'), 3 * 1024 ** 3); // sparse; reading it whole would fail past 2 GiB
    expect(await staleFiles(defaultConfig(), dir)).toEqual(['index.html']);
    expect(await buildSite(defaultConfig(), dir)).toBe(true);
    expect(await staleFiles(defaultConfig(), dir)).toEqual([]);
  });

  it('leaves an up-to-date folder untouched, so a running server never sees it vanish', async () => {
    const dir = join(work, 'same');
    expect(await buildSite(defaultConfig(), dir)).toBe(true);
    const before = (await stat(join(dir, 'index.html'))).ino;
    expect(await buildSite(defaultConfig(), dir)).toBe(false);
    expect((await stat(join(dir, 'index.html'))).ino).toBe(before);
  });

  it('replaces a previous build completely', async () => {
    const dir = join(work, 'rebuilt');
    await buildSite(defaultConfig(), dir);
    await writeFile(join(dir, 'assets/index-0ld.css'), 'x'); // as an earlier page's hashed asset
    await buildSite(defaultConfig(), dir);
    expect(await staleFiles(defaultConfig(), dir)).toEqual([]);
  });
});

describe('buildSite on bad ground', () => {
  const leftovers = async () => (await readdir(work)).filter((n) => n.startsWith('.'));

  it('refuses an --out that is a file, with a message, leaving the file and no temp folder', async () => {
    const file = join(work, 'a-file');
    await writeFile(file, 'keep me');
    await expect(buildSite(defaultConfig(), file)).rejects.toThrow(SiteError);
    await expect(buildSite(defaultConfig(), file)).rejects.toThrow(/exists and is not a folder/);
    expect(await readFile(file, 'utf8')).toBe('keep me');
    expect(await leftovers()).toEqual([]);
  });

  it('names a missing or broken staticwebapp.config.json and keeps the previous output', async () => {
    const dir = join(work, 'kept');
    await buildSite(defaultConfig(), dir);
    await expect(buildSite(defaultConfig({ mode: 'enforce' }), dir, join(work, 'nope.json'))).rejects.toThrow(
      /cannot read .*nope\.json \(ENOENT\)/,
    );
    const broken = join(work, 'broken.json');
    await writeFile(broken, '{ "routes": [ }');
    await expect(buildSite(defaultConfig({ mode: 'enforce' }), dir, broken)).rejects.toThrow(/broken\.json: not valid JSON/);
    expect(await staleFiles(defaultConfig(), dir)).toEqual([]);
    expect(await leftovers()).toEqual([]);
  });
});

describe('the committed home/', () => {
  it('is what `npm run build` makes from mta-sts.config.yaml (else: run npm run build and commit)', async () => {
    const result = await loadConfig('mta-sts.config.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(await staleFiles(result.config, 'home')).toEqual([]);
  });
});

describe('a write failure inside Vite', () => {
  it('is a SiteError naming the folder and the cause, without Rust backtrace, and keeps the previous output', async () => {
    const dir = join(work, 'disk-full');
    await buildSite(defaultConfig(), dir);
    // /dev/full answers every write with ENOSPC: Vite writing index.html there sees a real full disk.
    const full = buildSite(defaultConfig({ mode: 'enforce' }), dir, undefined, async (step, staging) => {
      if (step === 'staging-created') await symlink('/dev/full', join(staging, 'index.html'));
    });
    const error = await full.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SiteError);
    expect((error as Error).message).toBe(`cannot write ${dir}: No space left on device (os error 28)`);
    expect(await staleFiles(defaultConfig(), dir)).toEqual([]);
    expect((await readdir(work)).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
