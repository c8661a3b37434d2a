// Forks get dependency and action updates: .github/dependabot.yml covers npm and the workflow's actions. Dependabot
// cannot read azure-pipelines.yml, so the Azure pipeline's Node is the same major as the GitHub workflow's and a
// release the template supports (package.json engines); a move to another major changes both, or this fails.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = process.cwd();
const read = (p: string) => readFileSync(join(root, p), 'utf8');

interface Update { 'package-ecosystem': string; directory: string; schedule: { interval: string }; ignore?: { 'dependency-name': string; 'update-types'?: string[] }[] }

describe('.github/dependabot.yml', () => {
  const config = parse(read('.github/dependabot.yml')) as { version: number; updates: Update[] };

  it('updates npm and the GitHub Actions, at the repository root, weekly', () => {
    expect(config.version).toBe(2);
    expect(config.updates.map((u) => [u['package-ecosystem'], u.directory, u.schedule.interval]))
      .toEqual([['npm', '/', 'weekly'], ['github-actions', '/', 'weekly']]);
  });

  it('keeps @types/node on the oldest Node major the template supports', () => {
    const npm = config.updates.find((u) => u['package-ecosystem'] === 'npm')!;
    expect(npm.ignore).toContainEqual({ 'dependency-name': '@types/node', 'update-types': ['version-update:semver-major'] });
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; dependencies: Record<string, string> };
    const oldest = Number(/^>=(\d+)$/.exec(pkg.engines.node)![1]);
    expect(pkg.dependencies['@types/node']).toMatch(new RegExp(`^\\^${oldest}\\.`));
  });
});

describe('the Node the pipelines run on (which Dependabot cannot read in azure-pipelines.yml)', () => {
  it('is one major, the same in azure-pipelines.yml and the GitHub workflow, and one the template supports', () => {
    const azure = [...read('azure-pipelines.yml').matchAll(/versionSpec: '(\d+)\.x'/g)].map((m) => Number(m[1]));
    const github = [...read('.github/workflows/deploy.yml').matchAll(/node-version: '?(\d+)'?/g)].map((m) => Number(m[1]));
    expect(azure.length).toBeGreaterThanOrEqual(3);
    expect(github.length).toBeGreaterThanOrEqual(3);
    const majors = new Set([...azure, ...github]);
    expect(majors.size).toBe(1);
    const [major] = majors;
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
    expect(major).toBeGreaterThanOrEqual(Number(/^>=(\d+)$/.exec(pkg.engines.node)![1]));
    expect(major! % 2, 'an LTS (even) major').toBe(0);
  });
});
