// The Azure half of each hosting adapter (src/hosting/): the steps that need the Azure SDKs, so they stay on
// this floor and load only when a command calls Azure. Keyed by the adapter, not by the kind's name.
import { hostingOf, type Hosting } from '../hosting/hosting.ts';
import { FUNCTION_APP } from '../hosting/function-app.ts';
import { STATIC_WEB_APP } from '../hosting/static-web-app.ts';
import type { BindOptions } from './bind.ts';
import type { RoleGrant } from './identity.ts';
import type { SetupHosting } from './setup/model.ts';

export interface AzureHosting {
  /** `mta-sts azure bind`: each mta-sts.<domain> becomes a custom domain of the app, with its certificate. */
  bind(o: BindOptions): Promise<void>;
  /** `mta-sts azure setup`'s part: reading the app, creating it, binding its hosts, what its pipeline needs. */
  setup(): Promise<SetupHosting>;
  /** The role the pipeline's identity needs to deploy to the app, bind its hosts and get their certificates. */
  pipelineGrant(where: { subscription: string; resourceGroup: string; app: string }): RoleGrant;
}

const AZURE = new Map<Hosting, AzureHosting>([
  // Custom domains of the Static Web App, validated by their CNAME; Azure issues the certificates.
  [STATIC_WEB_APP, {
    bind: async (o) => (await import('./bind.ts')).bindDomains(o),
    setup: async () => (await import('./setup/static-web-app.ts')).STATIC_WEB_APP_SETUP,
    // Write on the app itself: its custom domains and, through the token it lists, its content.
    pipelineGrant: ({ subscription, resourceGroup, app }) => ({
      role: 'Contributor', scope: `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/staticSites/${app}`,
    }),
  }],
  // Host-name bindings (CNAME and asuid TXT), App Service managed certificates and their SNI bindings.
  [FUNCTION_APP, {
    bind: async (o) => {
      const { bindFunctionApp } = await import('./function-app.ts');
      // The poll interval a caller gives (tests: a virtual clock) also spaces the looks at a certificate being issued.
      await bindFunctionApp({ ...o, ...(o.pollIntervalMs !== undefined ? { certificatePollMs: o.pollIntervalMs } : {}) });
    },
    setup: async () => (await import('./setup/function-app.ts')).FUNCTION_APP_SETUP,
    // Website Contributor on the app's resource group: the site (and its deployments), and the managed certificates
    // that are resources of the group.
    pipelineGrant: ({ subscription, resourceGroup }) => ({ role: 'Website Contributor', scope: `/subscriptions/${subscription}/resourceGroups/${resourceGroup}` }),
  }],
]);

export function azureHosting(config: { hosting: Parameters<typeof hostingOf>[0]['hosting'] }): AzureHosting {
  return AZURE.get(hostingOf(config))!;
}
