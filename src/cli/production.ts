// The production wiring of the network checks and of setup's deployers, in one place: the system's (or --dns-server's) resolver, Node's
// trust store with NODE_EXTRA_CA_CERTS, ports 443 and 25, and the real clock. Commands take it as their default
// and tests pass their own (a loopback world, a fixed clock) through the same shape.
import { createPolicyFetcher } from '../check/https-fetcher.ts';
import { createDns, type CheckIO } from '../check/io.ts';
import { createSmtpProbe } from '../check/smtp-probe.ts';
import type { Deployer } from '../azure/deploy.ts';

export interface IOOptions {
  dnsServer?: string;
  /** The policy hosts' port when not 443 (MTA_STS_HTTPS_PORT). */
  httpsPort?: number;
  timeoutMs: number;
}

export function productionIO(options: IOOptions): CheckIO {
  return {
    dns: createDns({ server: options.dnsServer }),
    fetcher: createPolicyFetcher({ port: options.httpsPort, timeoutMs: options.timeoutMs }),
    smtp: createSmtpProbe({ stepTimeoutMs: Math.min(30_000, options.timeoutMs) }),
    now: () => new Date(),
  };
}

/**
 * The production deployers of `azure setup`'s first policy: a Static Web App through the SWA CLI's `swa deploy`
 * (a child process), a Function App by zip deployment with the caller's Azure sign-in. Loaded on use.
 */
export function productionDeployer(): Deployer {
  return {
    staticWebApp: async (d) => (await import('../azure/swa-deploy.ts')).swaDeploy()(d),
    functionApp: async (d) => (await import('../azure/zip-deploy.ts')).zipDeploy(d),
  };
}
