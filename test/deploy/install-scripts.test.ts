// package.json says which dependencies may run install scripts (npm's allowScripts: npm 11.16 and later read it,
// warn about every script it does not cover, and npm 12 blocks them). The template needs none of them:
// - esbuild's postinstall only swaps its JavaScript launcher for the native binary; esbuild (through tsx and Vite)
//   finds the binary in its optional platform package (@esbuild/linux-x64…) without it;
// - keytar's install builds (or downloads from github.com) a native keychain module that the SWA CLI loads only for
//   `swa login`; `swa start` and `swa deploy --deployment-token` never load it. Denied, `npm ci` needs no C
//   toolchain and no libsecret headers.
// A dependency that gains an install script fails this test until someone decides, here and in package.json.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = process.cwd();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean | string> };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };

/** Dependencies whose install script the template needs, with why; none today. */
const NEEDED: Record<string, string> = {};

const withScripts = Object.entries(lock.packages)
  .filter(([path, p]) => path !== '' && p.hasInstallScript === true)
  .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));

describe('install scripts of dependencies', () => {
  it('every dependency with an install script has a decision in allowScripts, and no decision is left over', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    expect(Object.keys(pkg.allowScripts ?? {}).sort()).toEqual([...new Set(withScripts)].sort());
  });

  it('only those the template needs may run', () => {
    for (const [name, allowed] of Object.entries(pkg.allowScripts ?? {})) expect(allowed !== false, name).toBe(name in NEEDED);
  });

  it('esbuild\'s API, as tsx uses it, runs the binary of its platform package (its postinstall would only copy it over the bin/ launcher)', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e',
      "const { transformSync } = await import('esbuild'); process.stdout.write(transformSync('let a: number = 1', { loader: 'ts' }).code)"],
    { cwd: root, encoding: 'utf8' });
    expect(out).toBe('let a = 1;\n');
  });

  it('the SWA CLI loads keytar only to log in, never to start or to deploy with a token', () => {
    const dist = join(root, 'node_modules/@azure/static-web-apps-cli/dist');
    const loaders = execFileSync('grep', ['-rlE', '--include=*.js', "import\\(\"keytar\"\\)|require\\(\"keytar\"\\)|from \"keytar\"", dist], { encoding: 'utf8' })
      .trim().split('\n').map((f) => f.slice(dist.length + 1));
    expect(loaders).toEqual(['core/swa-cli-persistence-plugin/impl/credentials-store.js']);
    // That store is the login's credential cache (swa login), behind a dynamic import.
    expect(readFileSync(join(dist, loaders[0]!), 'utf8')).toContain('await import("keytar")');
  });
});
