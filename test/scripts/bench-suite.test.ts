// bench:suite (scripts/bench-suite.ts): what each process is, and a real sampled tree: a shell that starts a busy
// Node process and git, and one that execs into Node (kept under its last command line).
import { describe, expect, it } from 'vitest';
import { kindOf, report, sampleTree } from '../../scripts/bench-suite.ts';

// Busy for 0.4 s of its own CPU, however loaded the machine is.
const BUSY = 'while (process.cpuUsage().user < 400000);';

describe('bench:suite', () => {
  it('tells the test runners from the processes the tests run', () => {
    const cases: [string, string, boolean][] = [
      ['/usr/bin/node --conditions development /work/main/node_modules/vitest/dist/workers/forks.js', 'vitest workers (the in-process tests)', true],
      ['node /work/main/node_modules/.bin/vitest run', 'vitest itself', true],
      ['/usr/lib/chromium/chromium --type=renderer --user-data-dir=/tmp/playwright_chromiumdev_profile-x', 'Chromium', false],
      ['/usr/bin/node /work/main/node_modules/playwright/lib/worker/workerProcessEntry.js', 'Playwright runner and worker', true],
      ['/usr/bin/node /work/main/bin/mta-sts.js azure setup --yes --dns-server 127.0.0.1:5300', 'the CLI: mta-sts azure setup', false],
      ['node bin/mta-sts.js check --before-deploy', 'the CLI: mta-sts check', false],
      ['/usr/bin/node /work/main/test/files/crash-change.mjs retire /tmp/x', 'crash children (killed mid-change)', false],
      ['/usr/bin/node /work/main/node_modules/@azure/static-web-apps-cli/dist/cli/bin.js deploy home', 'SWA CLI (deploy, start)', false],
      ['node /usr/bin/npm ci --omit=dev', 'npm ci', false],
      ['node /work/main/node_modules/.bin/tsc -p tsconfig.build.json', 'TypeScript (tsc)', false],
      ['/usr/lib/git-core/git pack-objects --revs', 'git', false],
      ['git commit -q -m x', 'git', false],
      ['bash --noprofile --norc /tmp/a/.step-azure-3.sh', 'shells (pipeline steps, npm scripts)', false],
      ['node /usr/bin/npm test', 'npm (scripts)', true],
    ];
    for (const [cmdline, kind, runner] of cases) expect(kindOf(cmdline), cmdline).toEqual({ kind, runner });
  });

  it('samples the whole tree, by its last command line, and sums the floor of the processes the tests run', async () => {
    const command = ['sh', '-c', `node -e '${BUSY}' & git --version > /dev/null; wait; exec node -e '${BUSY}' -- exec-ed`];
    const r = await sampleTree(command, 20);
    expect(r.code).toBe(0);
    const nodes = [...r.seen.values()].filter((p) => p.cmdline.startsWith('node -e'));
    expect(nodes).toHaveLength(2);
    expect(nodes.find((p) => p.cmdline.endsWith('exec-ed'))?.cpu).toBeGreaterThanOrEqual(0.3);
    expect(r.treeCpuS).toBeGreaterThanOrEqual(0.8);
    const printed = report(r, command, 2).join('\n');
    const line = /^other Node processes +2 +([\d.]+) /m.exec(printed);
    expect(Number(line?.[1]), printed).toBeGreaterThanOrEqual(0.6);
    const floor = Number(/on 2 cores the command cannot end in under ([\d.]+) s/.exec(printed)?.[1]);
    expect(floor, printed).toBeGreaterThanOrEqual(Number(line?.[1]) / 2 - 0.05); // both printed to 0.1
  });
});
