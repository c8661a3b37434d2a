// `npm start` as a newcomer runs it: it must serve the site, and Ctrl-C (SIGINT to the terminal's process
// group) must leave no emulator process behind. It runs on a free port (`npm start -- --port N`, as the README
// says for a busy 4280), so the tests pass while the user's own `npm start` holds 4280.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((done) => server.once('listening', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

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

it('the start script serves on 127.0.0.1:4280 unless told otherwise', async () => {
  const { scripts } = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> };
  expect(scripts.start).toMatch(/ --host 127\.0\.0\.1 --port 4280$/);
});

it('npm start serves the policy, and Ctrl-C stops every process it started', { timeout: 90_000 }, async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/.well-known/mta-sts.txt`;
  const serving = () => fetch(url).then((r) => r.status === 200, () => false);
  const child = spawn('npm', ['start', '--', '--port', String(port)], { detached: true, stdio: 'ignore' });
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
