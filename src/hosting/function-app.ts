// hosting.kind function-app: one Azure Functions app serves every domain from the package in functions/
// (home/ is still built: the package carries its bytes, and reviewers read the policy there). Each
// mta-sts.<domain> is a host name of the app: App Service checks ownership by a TXT record
// asuid.mta-sts.<domain> holding the app's customDomainVerificationId, besides the CNAME.
import type { DnsRecord, HostFacts, Hosting } from './adapter.ts';
import { RECORD_TTL } from './adapter.ts';

// App Service (Function App) quota: 500 host names per app, each with a free managed certificate.
export const FUNCTION_APP_DOMAIN_QUOTA = 500;

export const FUNCTION_APP: Hosting = {
  kind: 'function-app',
  name: 'Function App',
  folders: ['site', 'functions'],
  deployed: 'functions',
  hostSuffix: '.azurewebsites.net',
  domainQuota: () => FUNCTION_APP_DOMAIN_QUOTA,
  quotaMessage: (count) =>
    `domains lists ${count} domains but a Function App allows ${FUNCTION_APP_DOMAIN_QUOTA} custom domains; split the domains across a second Function App`,
  pendingCertificate: "App Service still serves *.azurewebsites.net's certificate until it issues the managed one",
  deployNeedsApp: true,
  hostRecords(domain: string, facts: HostFacts): DnsRecord[] {
    const name = `mta-sts.${domain}`;
    const app = facts.app ?? 'APP';
    const group = facts.resourceGroup ?? 'GROUP';
    const cname: DnsRecord = facts.defaultHostname
      ? { domain, name, type: 'CNAME', ttl: RECORD_TTL, value: facts.defaultHostname }
      : {
        domain, name, type: 'CNAME', ttl: RECORD_TTL, value: '<default_hostname>',
        placeholder: `the Function App's default host name (az functionapp show -n ${app} -g ${group} --query defaultHostName -o tsv); set it as hosting.default_hostname and run this again`,
      };
    const asuid: DnsRecord = facts.verificationId
      ? { domain, name: `asuid.${name}`, type: 'TXT', ttl: RECORD_TTL, value: facts.verificationId }
      : {
        domain, name: `asuid.${name}`, type: 'TXT', ttl: RECORD_TTL, value: '<customDomainVerificationId>',
        placeholder: `the Function App's customDomainVerificationId (az functionapp show -n ${app} -g ${group} --query customDomainVerificationId -o tsv; mta-sts azure bind prints the records with it)`,
      };
    return [cname, asuid];
  },
};
