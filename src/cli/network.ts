// Where the network checks look: the system's resolvers and port 443, as senders do, unless a lab or a test
// points them elsewhere (--dns-server, MTA_STS_DNS_SERVER, MTA_STS_HTTPS_PORT). Such an override changes every
// verdict, so it is never silent: each command that reads it says so on stderr (and, in Azure Pipelines or
// GitHub Actions, as a warning on the run's page), `check --json` and JUnit carry it, and URLs show the port.
import { annotation, ciFormat } from '../ci/annotations.ts';
import { dnsServerError } from '../check/io.ts';
import type { Override } from '../check/result.ts';
import { numberOption, UsageError, type CommandIO } from './io.ts';

export type { Override };

export const DNS_SERVER_ENV = 'MTA_STS_DNS_SERVER';
export const HTTPS_PORT_ENV = 'MTA_STS_HTTPS_PORT';

export interface NetworkSettings {
  /** Every DNS lookup goes here; undefined: the system's resolvers. */
  dnsServer?: string;
  /** The policy hosts' port; undefined: 443. */
  httpsPort?: number;
  overrides: Override[];
}

/**
 * Reads `--dns-server HOST:PORT` (else MTA_STS_DNS_SERVER) and MTA_STS_HTTPS_PORT, checked the same in every
 * command, and announces each one in force on stderr before the command does anything with it.
 */
export function networkSettings(io: CommandIO, command: string, dnsServerFlag: string | undefined): NetworkSettings {
  const env = io.env ?? process.env;
  const fromEnv = env[DNS_SERVER_ENV] || undefined;
  const dnsServer = dnsServerFlag ?? fromEnv;
  const problem = dnsServer === undefined ? undefined : dnsServerError(dnsServer);
  if (problem) throw new UsageError(dnsServerFlag === undefined ? `${DNS_SERVER_ENV}: ${problem.replace(/^--dns-server /, '')}` : problem);
  const rawPort = env[HTTPS_PORT_ENV];
  const httpsPort = rawPort === undefined || rawPort === '' ? undefined : numberOption(HTTPS_PORT_ENV, rawPort, 443, { integer: true, min: 1, max: 65535 });

  const overrides: Override[] = [];
  if (dnsServer !== undefined) {
    overrides.push({
      name: dnsServerFlag !== undefined ? '--dns-server' : DNS_SERVER_ENV, value: dnsServer,
      effect: `every DNS lookup goes to ${dnsServer}, not to the system's resolvers; verdicts are what that server answers, which need not be what senders see`,
    });
  }
  if (httpsPort !== undefined) {
    overrides.push({
      name: HTTPS_PORT_ENV, value: String(httpsPort),
      effect: `every policy host is fetched on port ${httpsPort}, not on 443 as senders fetch it (labs and tests only); a policy seen here may not be what senders see`,
    });
  }
  announce(io, env, command, overrides);
  return { ...(dnsServer !== undefined ? { dnsServer } : {}), ...(httpsPort !== undefined ? { httpsPort } : {}), overrides };
}

/** `MTA_STS_HTTPS_PORT=8443: every policy host is fetched…`: the one line an override is shown as. */
export function overrideLine(o: Override): string {
  return `${o.name}${o.name.startsWith('--') ? ' ' : '='}${o.value}: ${o.effect}`;
}

// On stderr, so `--json` on stdout stays JSON; both CIs read workflow commands from stderr as well.
function announce(io: CommandIO, env: NodeJS.ProcessEnv, command: string, overrides: Override[]): void {
  const ci = ciFormat(env);
  for (const o of overrides) {
    io.err(`mta-sts ${command}: override in force: ${overrideLine(o)}\n`);
    if (ci) io.err(`${annotation(ci, 'warning', 'mta-sts override in force', overrideLine(o))}\n`);
  }
}
