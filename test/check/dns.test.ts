// The production DNS client against a real DNS server on 127.0.0.1: cancellation at the deadline and the
// bound on queries in flight.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDns } from '../../src/check/io.ts';
import { startDns, type DnsServer } from './servers.ts';

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDns(
    new Map([
      ['slow.example', { a: ['127.0.0.1'], delayMs: 300 }],
      ['fast.example', { a: ['127.0.0.9'] }],
      ['never.example', { silent: true }],
    ]),
  );
});
afterAll(async () => {
  await dns?.close();
});

const within = <T>(ms: number, p: Promise<T>): Promise<T | 'too late'> =>
  Promise.race([p, new Promise<'too late'>((resolve) => setTimeout(() => resolve('too late'), ms).unref())]);

it('queues queries beyond the bound, and one whose deadline passed while queued leaves without losing the others', async () => {
  const client = createDns({ server: dns.address, maxInFlight: 1, timeoutMs: 2000, tries: 1 });
  const holder = client.forDomain(new AbortController().signal).resolve4('slow.example');
  const queued = client.forDomain(new AbortController().signal).resolve4('fast.example');
  const gone = new AbortController();
  const late = client.forDomain(gone.signal).resolve4('fast.example');
  gone.abort();
  await expect(late).rejects.toMatchObject({ code: 'EDEADLINE' });
  const alreadyGone = client.forDomain(AbortSignal.abort()).resolve4('fast.example');
  await expect(alreadyGone).rejects.toMatchObject({ code: 'EDEADLINE' });
  expect(await within(3000, holder)).toEqual(['127.0.0.1']);
  expect(await within(3000, queued)).toEqual(['127.0.0.9']);
});

it('cancels a domain\'s lookups still in flight when its deadline passes, and only that domain\'s', async () => {
  const client = createDns({ server: dns.address, timeoutMs: 5000, tries: 2 });
  const deadline = new AbortController();
  const cancelled = client.forDomain(deadline.signal).resolve4('never.example');
  const other = client.forDomain(new AbortController().signal).resolve4('slow.example');
  setTimeout(() => deadline.abort(), 100);
  const outcome = await within(2000, cancelled.then(() => 'answered', (e: NodeJS.ErrnoException) => e.code));
  expect(outcome).toBe('ECANCELLED');
  expect(await other).toEqual(['127.0.0.1']);
  // The domains share one resolver; the cancelled one's was retired, and later lookups go to a fresh one.
  expect(await within(2000, client.forDomain(new AbortController().signal).resolve4('fast.example'))).toEqual(['127.0.0.9']);
});

it('a domain whose lookups all ended leaves the shared resolver to the others', async () => {
  const client = createDns({ server: dns.address, timeoutMs: 2000, tries: 1 });
  const done = new AbortController();
  expect(await client.forDomain(done.signal).resolve4('fast.example')).toEqual(['127.0.0.9']);
  const other = client.forDomain(new AbortController().signal).resolve4('slow.example');
  done.abort(); // as checkDomain does when a domain ends: nothing of its own is in flight, so nothing is cancelled
  expect(await within(2000, other)).toEqual(['127.0.0.1']);
});
