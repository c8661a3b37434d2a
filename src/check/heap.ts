// The young generation of V8's heap while many domains are checked at once. Node 24's V8 (13.6) lets it grow to
// 64 MiB when a program allocates fast, and a run at the default concurrency does: every lookup, handshake and
// finding is short-lived garbage. Most of it dies young whatever the size, so the growth buys little and costs
// its size in RSS (issue 26: peak RSS 126 MB at 500 domains against the floor probe's 80 MB).
import { setFlagsFromString } from 'node:v8';

/**
 * Keeps the young generation at its starting size for the rest of the process. Measured with bench:check
 * --floor-only (500 domains, concurrency 32, medians of 5 interleaved runs, Node 24): peak RSS 107 MB instead
 * of 114, CPU 3.05 s instead of 3.22 (no cost seen: the scavenges are more, each is smaller).
 * --max-semi-space-size would do it too, but only on node's command line, which the pipelines' `node
 * bin/mta-sts.js check` does not carry; V8 reads the growth factor each time it would grow the space.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Lets the old generation grow only a quarter past what was live after the last full GC (V8's own factor goes up
 * to 4), for `reports` and `promote`: each TLS-RPT report streams through as short-lived tokens and details, and
 * what survives a scavenge or two piles up as old garbage. Measured with bench:reports (16 reports of 200,000
 * failure rows, compiled, Node 24, one process): peak RSS 223 MB with V8's factor, 159 MB at 50%, 146 MB at 25%,
 * for 17.7, 17.9 and 19.0 s of CPU (JSON.parse before the streaming reader: 18.7–19.4 s, 436–509 MB).
 * V8 reads the percentage each time it sets the next limit, so setting it at run time works.
 */
export function keepOldGenerationNearLive(): void {
  setFlagsFromString('--heap-growing-percent=25');
}
