// hosting.kind static-web-app: Azure Static Web Apps serves home/ as it is, each mta-sts.<domain> a custom
// domain of the app, validated by its CNAME to the app's default host.
import type { DnsRecord, HostFacts, Hosting, HostingPlan } from './adapter.ts';
import { RECORD_TTL } from './adapter.ts';
import { FUNCTION_APP_DOMAIN_QUOTA } from './function-app.ts';

// Azure Static Web Apps quota: custom domains per app (each mail domain needs mta-sts.<domain>).
export const CUSTOM_DOMAIN_QUOTA: Record<HostingPlan, number> = { free: 2, standard: 5 };

/** Static Web Apps can be created in these regions (content is served worldwide from any of them). */
export const SWA_REGIONS = ['centralus', 'eastus2', 'westus2', 'westeurope', 'eastasia'] as const;

export const STATIC_WEB_APP: Hosting = {
  kind: 'static-web-app',
  name: 'Static Web App',
  folders: ['site'],
  deployed: 'site',
  hostSuffix: '.azurestaticapps.net',
  domainQuota: (plan) => CUSTOM_DOMAIN_QUOTA[plan],
  quotaMessage(count, plan) {
    const quota = CUSTOM_DOMAIN_QUOTA[plan];
    // The Function App is named first: it is the one way out that keeps every domain on one app.
    const functionApp = `set hosting.kind: function-app (one Function App serves up to ${FUNCTION_APP_DOMAIN_QUOTA} domains)`;
    const wayOut = plan === 'free' && count <= CUSTOM_DOMAIN_QUOTA.standard
      ? `use the Standard plan (${CUSTOM_DOMAIN_QUOTA.standard} domains), ${functionApp}, or split the domains across a second Static Web App`
      : `${functionApp}, or split the domains across ${Math.ceil(count / quota)} Static Web Apps`;
    return `domains lists ${count} domains but the ${plan === 'free' ? 'Free' : 'Standard'} plan allows ${quota} custom domains per Static Web App; ${wayOut}`;
  },
  pendingCertificate: 'Azure still serves its default *.azurestaticapps.net certificate',
  regions: SWA_REGIONS,
  deployNeedsApp: false, // the deployment token names the app
  hostRecords(domain: string, facts: HostFacts): DnsRecord[] {
    const name = `mta-sts.${domain}`;
    if (facts.defaultHostname) return [{ domain, name, type: 'CNAME', ttl: RECORD_TTL, value: facts.defaultHostname }];
    const show = facts.app ? `az staticwebapp show -n ${facts.app} --query defaultHostname -o tsv` : 'az staticwebapp show -n APP --query defaultHostname -o tsv';
    return [{
      domain, name, type: 'CNAME', ttl: RECORD_TTL, value: '<default_hostname>',
      placeholder: `the Static Web App's default host name (${show}); set it as hosting.default_hostname (mta-sts azure setup does) and run this again`,
    }];
  },
};
