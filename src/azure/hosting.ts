// The Azure half of each hosting adapter (src/hosting/): the steps that need the Azure SDKs, so they stay on
// this floor and load only when a command calls Azure. Keyed by the adapter, not by the kind's name.
import { hostingOf, type Hosting } from '../hosting/hosting.ts';
import { FUNCTION_APP } from '../hosting/function-app.ts';
import { STATIC_WEB_APP } from '../hosting/static-web-app.ts';
import type { BindOptions } from './bind.ts';

export interface AzureHosting {
  /** `mta-sts azure bind`: each mta-sts.<domain> becomes a custom domain of the app, with its certificate. */
  bind(o: BindOptions): Promise<void>;
}

const AZURE = new Map<Hosting, () => Promise<AzureHosting>>([
  // Custom domains of the Static Web App, validated by their CNAME; Azure issues the certificates.
  [STATIC_WEB_APP, async () => ({ bind: (await import('./bind.ts')).bindDomains })],
  // Host-name bindings (CNAME and asuid TXT), App Service managed certificates and their SNI bindings.
  [FUNCTION_APP, async () => {
    const { bindFunctionApp } = await import('./function-app.ts');
    // The poll interval a caller gives (tests: a virtual clock) also spaces the looks at a certificate being issued.
    return { bind: async (o) => void (await bindFunctionApp({ ...o, ...(o.pollIntervalMs !== undefined ? { certificatePollMs: o.pollIntervalMs } : {}) })) };
  }],
]);

export function azureHosting(config: { hosting: Parameters<typeof hostingOf>[0]['hosting'] }): Promise<AzureHosting> {
  return AZURE.get(hostingOf(config))!();
}
