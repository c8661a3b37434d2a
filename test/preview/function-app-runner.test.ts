// The local runner `npm start` uses for a Function App without Azure Functions Core Tools: real HTTP on a free
// loopback port into the package's registered handler, as a sender would ask (the Host header decides).
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.ts';
import { startFunctionAppRunner, type Runner } from '../../src/preview/function-app-runner.ts';
import { buildSite } from '../../src/site/build.ts';
import { buildFunctionApp } from '../../src/site/function-app.ts';
import { defaultConfig } from '../site/fixtures.ts';

const config: Config = { ...defaultConfig(), domains: ['contoso.com', 'fabrikam.com'], hosting: { kind: 'function-app', plan: 'standard' } };
let work: string;
let runner: Runner;

beforeAll(async () => {
  await mkdir('test-results', { recursive: true });
  work = await mkdtemp(resolve('test-results', 'runner-'));
  await buildSite(config, join(work, 'home'));
  await buildFunctionApp(config, join(work, 'functions'));
  runner = await startFunctionAppRunner(join(work, 'functions'), '127.0.0.1', 0);
}, 60_000);
afterAll(async () => {
  await runner?.close();
  delete process.env.WEBSITE_HOSTNAME;
  await rm(work, { recursive: true, force: true });
});

function get(path: string, host: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const { port } = new URL(runner.url);
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host }, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out'))).on('error', fail).end();
  });
}

it('serves home/\'s policy bytes on each mta-sts host over real HTTP, text/plain, no cookie, no redirect', async () => {
  const policy = await readFile(join(work, 'home/.well-known/mta-sts.txt'));
  for (const host of ['mta-sts.contoso.com', 'mta-sts.fabrikam.com']) {
    const r = await get('/.well-known/mta-sts.txt', host);
    expect(r.status).toBe(200);
    expect(r.body.equals(policy)).toBe(true);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers.location).toBeUndefined();
  }
  const head = await get('/.well-known/mta-sts.txt', 'mta-sts.contoso.com', 'HEAD');
  expect([head.status, head.body.length]).toEqual([200, 0]);
});

it('serves its own address as the app\'s default host, so a browser on 127.0.0.1 sees the page', async () => {
  const page = await get('/', new URL(runner.url).host);
  expect(page.status).toBe(200);
  expect(page.body.toString()).toContain('MTA-STS policy host');
  // The app's own host serves several domains' policies, so its page names none; each mta-sts host names its own.
  expect(page.body.toString()).not.toContain('contoso.com');
  expect((await get('/', 'mta-sts.contoso.com')).body.toString()).toContain('data-testid="domain">contoso.com<');
});

it('answers 404 for another host or path and 405 for another method', async () => {
  expect((await get('/.well-known/mta-sts.txt', 'mta-sts.example.org')).status).toBe(404);
  expect((await get('/nothing', 'mta-sts.contoso.com')).status).toBe(404);
  const post = await get('/.well-known/mta-sts.txt', 'mta-sts.contoso.com', 'POST');
  expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
});
