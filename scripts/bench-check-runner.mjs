// The checker as users run it, for bench:check's peak-RSS section: plain Node on the compiled dist/ (no
// TypeScript loader), in a process of its own, at the default concurrency, trusting the test CA the way a
// user adds a private CA (NODE_EXTRA_CA_CERTS, set by bench-check.ts). Only the ports differ from
// `mta-sts check`. Usage: node scripts/bench-check-runner.mjs COUNT TIMEOUT_MS [--sample] [--json] [--dist DIR], the
// world's JSON ({dns, httpsPort, smtpPort, domains}) on stdin. Prints one JSON line: {ms, cpuMs, maxRssKiB, failed, ...}.
// --json renders the reports as `check --json` does (written a domain at a time where that build can, else whole)
// into a byte count, so the memory of the output is measured too.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';

const [count, timeoutMs] = process.argv.slice(2, 4).map(Number);
const sample = process.argv.includes('--sample');
const json = process.argv.includes('--json');
// --dist DIR: another compiled checker (bench:check --before DIR compares a build of another commit).
const distAt = process.argv.indexOf('--dist');
const dist = distAt > 0 ? pathToFileURL(`${process.argv[distAt + 1]}/`).href : new URL('../dist/', import.meta.url).href;

const { createPolicyFetcher } = await import(`${dist}check/https-fetcher.js`);
const { createDns } = await import(`${dist}check/io.js`);
const { DEFAULT_CONCURRENCY, runChecks } = await import(`${dist}check/run.js`);
const { createSmtpProbe } = await import(`${dist}check/smtp-probe.js`);
// The heap setting `mta-sts check` makes, where that build has one.
(await import(`${dist}check/heap.js`).catch(() => undefined))?.keepYoungGenerationSmall();

let input = '';
for await (const chunk of process.stdin) input += chunk;
const world = JSON.parse(input);
const domains = world.domains.slice(0, count);

// As src/cli/check.ts builds it, with the world's ports.
const io = {
  dns: createDns({ server: world.dns }),
  fetcher: createPolicyFetcher({ port: world.httpsPort, timeoutMs }),
  smtp: createSmtpProbe({ port: world.smtpPort, stepTimeoutMs: Math.min(30_000, timeoutMs) }),
  now: () => new Date(),
};

// --sample: where the memory is at its highest, heap (JS objects) vs the rest (native: TLS, c-ares, buffers).
let peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const sampler = sample
  ? setInterval(() => {
      const m = process.memoryUsage();
      if (m.rss > peak.rss) peak = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
    }, 20)
  : undefined;

const start = performance.now();
const failed = [];
let jsonBytes = 0;
const render = json ? await import(`${dist}check/report.js`) : undefined;
const writer = render?.JsonReportWriter ? new render.JsonReportWriter((t) => { jsonBytes += t.length; }) : undefined;
const reports = await runChecks(domains, io, {
  concurrency: DEFAULT_CONCURRENCY, timeoutMs, allowPendingCert: false,
  ...(writer ? { retain: false, onReport: (i, r) => { writer.add(i, r); if (r.status !== 'pass') failed.push(r); } } : {}),
});
if (writer) writer.end();
else if (render) jsonBytes = render.renderJson(reports).length;
const ms = performance.now() - start;
clearInterval(sampler);
if (!writer) failed.push(...reports.filter((r) => r.status !== 'pass'));
const mb = (bytes) => Math.round(bytes / 1048576);
const usage = process.resourceUsage(); // CPU of the whole process, start-up included
process.stdout.write(
  JSON.stringify({
    ms,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    checked: domains.length,
    concurrency: DEFAULT_CONCURRENCY,
    maxRssKiB: process.resourceUsage().maxRSS,
    failed: failed.length,
    ...(json ? { jsonBytes, streamed: Boolean(writer) } : {}),
    firstFailure: failed[0],
    ...(sample ? { peakMB: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, mb(v)])), heapLimitMB: mb(getHeapStatistics().heap_size_limit) } : {}),
  }) + '\n',
);
// Sockets closing after QUIT hold timers (unref'd); nothing else should keep the process alive.
