// `mta-sts verify`, the pipelines' Build: the config with every error, home/ against a fresh build, the built
// policy through lint's parser and staticwebapp.config.json; exit 1 with each problem named (and annotated in CI).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const GOOD = 'domains:\n  - contoso.com\npolicy:\n  mode: testing\n  mx:\n    - "*.mail.protection.outlook.com"\n  max_age: 604800\n';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'mta-sts-verify-'));
});
afterAll(() => rm(cwd, { recursive: true, force: true }));
beforeEach(async () => {
  await writeFile(join(cwd, 'mta-sts.config.yaml'), GOOD);
  expect((await run(['build'])).code).toBe(0);
});

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), cwd, isTTY: false, env });
  return { code, out, err };
}

describe('mta-sts verify', () => {
  it('passes a config and the home/ built from it: four ok lines, exit 0', async () => {
    const r = await run(['verify']);
    expect(r.out.split('\n').filter((l) => l.startsWith('ok '))).toHaveLength(4);
    expect(r.out).toContain('Ready to deploy.');
    expect(r.code).toBe(0);
  });

  it('fails on a home/ that is stale against the config, naming the files and the fix', async () => {
    await writeFile(join(cwd, 'mta-sts.config.yaml'), GOOD.replace('604800', '1209600'));
    const r = await run(['verify']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^error {2}home\/: stale against mta-sts\.config\.yaml \(\.well-known\/mta-sts\.txt.*\): run npm run build and commit the result$/m);
    expect(r.out).toContain('1 problem(s)');
  });

  it('lists every config error with its line and column at once', async () => {
    await writeFile(join(cwd, 'mta-sts.config.yaml'), GOOD.replace('mode: testing', 'mode: enforced').replace('604800', '-5'));
    const r = await run(['verify']);
    expect(r.code).toBe(1);
    const errors = r.out.split('\n').filter((l) => l.startsWith('error  mta-sts.config.yaml:'));
    expect(errors).toEqual([expect.stringMatching(/^error {2}mta-sts\.config\.yaml:4:\d+: .*mode/), expect.stringMatching(/^error {2}mta-sts\.config\.yaml:7:\d+: .*max_age/)]);
  });

  it('lints the committed policy itself: a hand edit of home/ is stale and invalid, with the line', async () => {
    await writeFile(join(cwd, 'home/.well-known/mta-sts.txt'), 'version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n');
    const r = await run(['verify']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^error {2}home\/\.well-known\/mta-sts\.txt: .*mx.*\[[a-z-]+\]$/m);
  });

  it('checks the SWA config that deploys, and a missing file says how to make it', async () => {
    await writeFile(join(cwd, 'home/staticwebapp.config.json'), '{"routes": [{"route": "/.well-known/*", "redirect": "/"}]}');
    let r = await run(['verify']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^error {2}home\/staticwebapp\.config\.json: the route "\/\.well-known\/\*" must not set redirect/m);
    await rm(join(cwd, 'home/staticwebapp.config.json'));
    r = await run(['verify']);
    expect(r.out).toContain('error  home/staticwebapp.config.json: cannot read it (ENOENT): run npm run build and commit home/');
  });

  it('annotates each problem in GitHub Actions (and Azure Pipelines), and nothing when all is in order', async () => {
    expect((await run(['verify'], { GITHUB_ACTIONS: 'true' })).out).not.toContain('::');
    await writeFile(join(cwd, 'mta-sts.config.yaml'), GOOD.replace('604800', '1209600'));
    const github = await run(['verify'], { GITHUB_ACTIONS: 'true' });
    expect(github.out).toMatch(/^::error title=home\/::stale against mta-sts\.config\.yaml/m);
    const azure = await run(['verify'], { TF_BUILD: 'True' });
    expect(azure.out).toMatch(/^##vso\[task\.logissue type=error\]home\/: stale against/m);
  });
});

describe('mta-sts verify with hosting.kind function-app', () => {
  const FA = `${GOOD}hosting:\n  kind: function-app\n`;

  it('build writes functions/ beside home/; build --check and verify pass it and fail it once stale', async () => {
    await writeFile(join(cwd, 'mta-sts.config.yaml'), FA);
    const built = await run(['build']);
    expect(built.code).toBe(0);
    expect(built.out).toContain('Wrote functions/ (host.json, package.json, src/');
    expect((await run(['build', '--check'])).out).toContain('functions/ is up to date.');
    const r = await run(['verify']);
    expect(r.out).toMatch(/^ok {5}functions\/ is the fresh Function App package of mta-sts\.config\.yaml$/m);
    expect(r.code).toBe(0);

    await writeFile(join(cwd, 'functions/src/content.js'), 'export const POLICY = "edited by hand";\n');
    const check = await run(['build', '--check']);
    expect(check.code).toBe(1);
    expect(check.err).toBe('functions/ is stale against the config (src/content.js): run npm run build and commit the result.\n');
    const stale = await run(['verify']);
    expect(stale.code).toBe(1);
    expect(stale.out).toMatch(/^error {2}functions\/: stale against mta-sts\.config\.yaml \(src\/content\.js\): run npm run build and commit the result$/m);
  });

  it('a Static Web App config neither writes nor checks functions/', async () => {
    await rm(join(cwd, 'functions'), { recursive: true, force: true });
    expect((await run(['build'])).out).not.toContain('functions/');
    expect((await run(['verify'])).out).not.toContain('functions/');
  });
});
