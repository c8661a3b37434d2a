// Bounded concurrency across domains.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runChecks } from '../../src/check/run.ts';
import { policyFor, World } from './world.ts';

let world: World;
beforeAll(async () => {
  world = await World.start();
});
afterAll(async () => {
  await world?.close();
});

it('never checks more domains at once than --concurrency, yet runs that many in parallel', async () => {
  let inFlight = 0;
  let peak = 0;
  const domains = Array.from({ length: 8 }, (_, i) => `pool${i}.example`);
  for (const d of domains) {
    await world.addDomain(d, {
      handler: (_req, res) => {
        peak = Math.max(peak, ++inFlight);
        setTimeout(() => {
          inFlight--;
          res.writeHead(200, { 'content-type': 'text/plain' }).end(policyFor([`mx.${d}`]));
        }, 100);
      },
    });
  }
  const progress: number[] = [];
  const reports = await runChecks(domains, world.io(), {
    concurrency: 3,
    timeoutMs: 8000,
    allowPendingCert: false,
    onProgress: (done) => progress.push(done),
  });
  expect(peak).toBe(3);
  expect(reports.map((r) => [r.domain, r.status])).toEqual(domains.map((d) => [d, 'pass']));
  expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
});
