// Bounded concurrency across domains, and parking of domains whose servers hang.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkDomain } from '../../src/check/domain.ts';
import { createDns } from '../../src/check/io.ts';
import type { DomainReport } from '../../src/check/result.ts';
import { runChecks, type RunOptions } from '../../src/check/run.ts';
import { FAST, policyFor, World } from './world.ts';

let world: World;
beforeAll(async () => {
  world = await World.start();
});
afterAll(async () => {
  await world?.close();
});

/** Policy hosts that accept the request and never answer: only the per-domain deadline ends them. */
async function addHanging(domains: string[]): Promise<void> {
  for (const d of domains) await world.addDomain(d, { handler: () => {} });
}

/** Runs the checks, recording the completion order and the largest active and parked counts seen. */
async function observe(domains: string[], options: Omit<RunOptions, 'allowPendingCert'>) {
  const finished: string[] = [];
  let maxActive = 0;
  let maxParked = 0;
  let last: [number, number] | undefined;
  const reports: DomainReport[] = await runChecks(domains, world.io({ ...FAST, fetchMs: 60_000 }), {
    allowPendingCert: false,
    ...options,
    onProgress: (_done, _total, report) => finished.push(report.domain),
    onSlots: (active, parked) => {
      maxActive = Math.max(maxActive, active);
      maxParked = Math.max(maxParked, parked);
      last = [active, parked];
    },
  });
  return { reports, finished, maxActive, maxParked, last };
}

const fetchCode = (r: DomainReport): string | undefined => r.checks.find((c) => c.check === 'policy-fetch')?.code;

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
    stallMs: 8000, // no parking here: the slots alone bound the servers' load
    allowPendingCert: false,
    onProgress: (done) => progress.push(done),
  });
  expect(peak).toBe(3);
  expect(reports.map((r) => [r.domain, r.status])).toEqual(domains.map((d) => [d, 'pass']));
  expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
});

it('parks stalled domains so healthy ones finish without waiting for hung servers', async () => {
  const hung = ['hang0.park.example', 'hang1.park.example', 'hang2.park.example'];
  const healthy = Array.from({ length: 8 }, (_, i) => `ok${i}.park.example`);
  await addHanging(hung);
  for (const d of healthy) await world.addDomain(d);
  // Both slots start on hung servers, and a third hung server comes along later.
  const domains = [hung[0]!, hung[1]!, ...healthy.slice(0, 5), hung[2]!, ...healthy.slice(5)];

  const run = await observe(domains, { concurrency: 2, maxParked: 3, timeoutMs: 4000, stallMs: 300 });

  // Without parking, both slots would wait 4 s on hung servers before any healthy domain ran.
  expect(run.finished.slice(0, healthy.length).sort()).toEqual([...healthy].sort());
  expect(run.finished.slice(healthy.length).sort()).toEqual([...hung].sort());
  expect(run.maxActive).toBe(2);
  expect(run.maxParked).toBe(3);
  expect(run.last).toEqual([0, 0]);
  expect(run.reports.map((r) => r.domain)).toEqual(domains);
  for (const r of run.reports) {
    if (hung.includes(r.domain)) expect([r.status, fetchCode(r)]).toEqual(['fail', 'policy-timeout']);
    else expect(r.status).toBe('pass');
  }
});

it('keeps a stalled domain in its slot once the parked domains reach their cap', async () => {
  const hung = ['hang0.cap.example', 'hang1.cap.example', 'hang2.cap.example'];
  const healthy = ['ok0.cap.example', 'ok1.cap.example'];
  await addHanging(hung);
  for (const d of healthy) await world.addDomain(d);
  const domains = [...hung, ...healthy];

  const run = await observe(domains, { concurrency: 2, maxParked: 1, timeoutMs: 2000, stallMs: 200 });

  // One hung domain is parked; the other two fill both slots until their deadline, so the healthy
  // domains can only start once a hung domain has finished.
  expect(run.maxParked).toBe(1);
  expect(run.maxActive).toBe(2);
  expect(run.finished.slice(0, 2).every((d) => hung.includes(d))).toBe(true);
  expect(run.reports.map((r) => r.domain)).toEqual(domains);
  expect(run.reports.map((r) => r.status)).toEqual(['fail', 'fail', 'fail', 'pass', 'pass']);
});

it('needs no callbacks, and finishes at once with no domains', async () => {
  const domains = ['quiet0.example', 'quiet1.example', 'quiet2.example'];
  for (const d of domains) await world.addDomain(d);
  const options = { concurrency: 2, timeoutMs: 8000, allowPendingCert: false };
  const reports = await runChecks(domains, world.io(), options);
  expect(reports.map((r) => [r.domain, r.status])).toEqual(domains.map((d) => [d, 'pass']));
  expect(await runChecks([], world.io(), options)).toEqual([]);
});

it('hands each report to onReport with its place, and keeps none with retain: false', async () => {
  const domains = ['hand0.example', 'hand1.example', 'hand2.example'];
  for (const d of domains) await world.addDomain(d);
  const seen: [number, string][] = [];
  const kept = await runChecks(domains, world.io(), { concurrency: 3, timeoutMs: 8000, allowPendingCert: false, retain: false, onReport: (i, r) => void seen.push([i, r.domain]) });
  expect(kept).toEqual([]);
  expect(seen.sort()).toEqual(domains.map((d, i) => [i, d]));
});

it('keeps DNS queries in flight within the bound, however many domains run at once', async () => {
  const domains = Array.from({ length: 12 }, (_, i) => `busy${i}.dns.example`);
  for (const d of domains) await world.addDomain(d);
  world.dns.latencyMs = 30;
  world.dns.peakPending = 0;
  try {
    const io = { ...world.io(), dns: createDns({ server: world.dns.address, maxInFlight: 4 }) };
    const reports = await runChecks(domains, io, { concurrency: 12, timeoutMs: 20_000, allowPendingCert: false });
    expect(reports.map((r) => r.status)).toEqual(domains.map(() => 'pass'));
    expect(world.dns.peakPending).toBeLessThanOrEqual(4);
    expect(world.dns.peakPending).toBeGreaterThan(1); // and they do run in parallel
  } finally {
    world.dns.latencyMs = 0;
  }
});

it('retries a lost DNS answer soon enough to finish well within a short deadline (production retry settings)', async () => {
  await world.addDomain('lossy.example');
  for (const name of ['_mta-sts.lossy.example', 'lossy.example', 'mta-sts.lossy.example']) world.dns.zone.get(name)!.drop = 1;
  const io = { ...world.io(), dns: createDns({ server: world.dns.address }) };
  const report = await checkDomain('lossy.example', io, { timeoutMs: 3000, allowPendingCert: false });
  expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([]);
});
