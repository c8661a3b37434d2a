// `npm start` as a newcomer runs it: it must serve the site on 127.0.0.1:4280, and Ctrl-C (SIGINT to the
// terminal's process group) must leave no emulator process behind.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';

const URL = 'http://127.0.0.1:4280/.well-known/mta-sts.txt';

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(250)) {
    if (await condition()) return true;
  }
  return false;
}

const serving = () => fetch(URL).then((r) => r.status === 200, () => false);

it('npm start serves the policy, and Ctrl-C stops every process it started', { timeout: 90_000 }, async () => {
  expect(await serving(), 'something already listens on 127.0.0.1:4280').toBe(false);
  const child = spawn('npm', ['start'], { detached: true, stdio: 'ignore' });
  const pgid = child.pid!;
  try {
    expect(await waitFor(serving, 60_000)).toBe(true);
    process.kill(-pgid, 'SIGINT');
    expect(await waitFor(() => !groupAlive(pgid), 15_000)).toBe(true);
    expect(await serving()).toBe(false);
  } finally {
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  }
});
