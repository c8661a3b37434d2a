// `azure setup` makes the first policy live itself (issue 24, item 1), from a fresh clone, with no pipeline run:
// it deploys the built folder (a Static Web App through the real `swa deploy`, whose download of StaticSitesClient
// meets the stand-in described in first-policy-world.ts; a Function App by zip deployment to the Kudu emulator,
// with the admin's own sign-in), binds the hosts, publishes the TXT records once the policy is live over HTTPS
// (RFC 8461 §8.1), and ends with `mta-sts check`'s verdict. A second run changes nothing. The first run of each
// kind is a child process, as the admin runs it, signed in (the fake az) as the admin with only the roles given
// here; the runs after it go through the same command in this process (setup-world.ts `setup`), a child process
// loading every Azure SDK again for nothing it could show.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyText } from '../../src/config/policy.ts';
import { parseConfig } from '../../src/config/config.ts';
import { SUBSCRIPTION } from './arm-emulator.ts';
import { addMx, adminHolds, arm, armWrites, azure, devops, dns, repo, setup, setupArm, setupProcess, useFunctionApp, useSetupWorld } from './setup-world.ts';

useSetupWorld();

const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-dns`;
const lastLine = (out: string) => out.trimEnd().split('\n').at(-1);
const config = () => {
  const parsed = parseConfig(readFileSync(join(repo, 'mta-sts.config.yaml'), 'utf8'), 'mta-sts.config.yaml');
  if (!parsed.ok) throw new Error('the config does not parse');
  return parsed.config;
};
/** The DNS writes of a run: record sets PUT or DELETEd in the emulated Azure DNS. */
const dnsWrites = () => armWrites().filter((r) => /\/dnszones\//i.test(r.path));

describe('azure setup makes the first policy live (no pipeline run)', () => {
  it('Static Web App: deploys home/ with swa deploy, binds, publishes the TXT once the policy is live, check passes; a second run changes nothing', { timeout: 240_000 }, async () => {
    // The admin owns the resource group that holds the DNS zone (where setup puts the app), nothing more.
    adminHolds(['Owner', RG]);
    addMx('contoso.com');
    const first = await setupProcess(['--resource-group', 'rg-dns', '--dns-resource-group', 'rg-dns', '--yes']);
    expect(first.err).not.toMatch(/^\s+at /m);
    expect(first.code, first.out + first.err).toBe(0);
    const plan = first.out.slice(0, first.out.indexOf('[1/'));
    expect(plan).toMatch(/\d+\. Deploy home\/ to mta-sts-contoso-com \(the first policy; the pipeline deploys later changes\)/);
    expect(plan).toMatch(/\d+\. Publish the _mta-sts TXT records once the policy is live over HTTPS/);
    // Steps in the order RFC 8461 §8.1 needs: the policy served before the record that announces it.
    const order = ['Deploy home/', 'Bind mta-sts.contoso.com', 'Publish the _mta-sts'].map((s) => first.out.indexOf(`] ${s}`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    // The real swa deploy ran, with the token in its environment: StaticSitesClient uploaded home/ to the app.
    expect(azure.refused).toEqual([]);
    expect(azure.uploads).toHaveLength(1);
    expect(azure.uploads[0]!.app).toBe('rg-dns/mta-sts-contoso-com');
    const policy = readFileSync(join(repo, 'home/.well-known/mta-sts.txt'));
    expect(azure.uploads[0]!.files.get('.well-known/mta-sts.txt')).toEqual(policy);
    expect(policy.toString()).toBe(policyText(config()));
    expect(azure.uploads[0]!.files.has('staticwebapp.config.json')).toBe(true);
    const token = setupArm.tokens.get('rg-dns/mta-sts-contoso-com')!;
    expect(first.out + first.err).not.toContain(token);

    // The TXT records went in only after the policy was served: the TXT PUT follows the check that saw it live.
    expect(arm.txt('rg-dns', 'contoso.com', '_mta-sts')).toEqual([expect.stringMatching(/^v=STSv1; id=[0-9a-f]{32};$/)]);
    expect(first.out).toMatch(/contoso\.com: the new policy is live at https:\/\/mta-sts\.contoso\.com:\d+\/\.well-known\/mta-sts\.txt/);
    expect(first.out.indexOf('the new policy is live')).toBeLessThan(first.out.indexOf('TXT _mta-sts.contoso.com = '));
    // The last line is check's verdict: no domain fails (STARTTLS is left to the pipeline: a warning).
    expect(lastLine(first.out)).toMatch(/^mta-sts check: contoso\.com (pass|warn)$/);
    expect(first.out).toMatch(/mta-sts check \(as senders see it now\):/);
    expect(first.out).not.toMatch(/\bfail\b.*policy/);
    // No pipeline: nothing was run or created in Azure DevOps.
    expect(devops.requests).toHaveLength(0);

    // Second run: the policy is live and the records in place: no deploy, no write anywhere.
    const armBefore = armWrites().length;
    const dnsBefore = dnsWrites().length;
    const second = await setup(['--resource-group', 'rg-dns', '--dns-resource-group', 'rg-dns', '--yes']);
    expect(second.code, second.out + second.err).toBe(0);
    expect(second.out).toContain('Nothing to change');
    expect(azure.uploads).toHaveLength(1);
    expect(armWrites().length).toBe(armBefore);
    expect(dnsWrites().length).toBe(dnsBefore);
    expect(lastLine(second.out)).toMatch(/^mta-sts check: contoso\.com (pass|warn)$/);
    expect(azure.refused).toEqual([]);
  });

  it('Function App: zip-deploys functions/ with the admin\'s own sign-in (Kudu answers 202 and takes several looks), binds, publishes, check passes; a second run changes nothing', { timeout: 240_000 }, async () => {
    useFunctionApp();
    const file = join(repo, 'mta-sts.config.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  kind: static-web-app\n', '  kind: function-app\n'));
    adminHolds(['Owner', RG]);
    addMx('contoso.com');
    azure.kuduLooksInProgress = 3;
    const first = await setupProcess(['--resource-group', 'rg-dns', '--dns-resource-group', 'rg-dns', '--yes']);
    expect(first.err).not.toMatch(/^\s+at /m);
    expect(first.code, first.out + first.err).toBe(0);
    expect(first.out).toMatch(/\] Deploy functions\/ to mta-sts-contoso-com \(the first policy; the pipeline deploys later changes\): done \(functions\/ deployed to mta-sts-contoso-com\.scm\.azurewebsites\.net/);
    // Kudu: one upload, 202 and a Location, three looks in progress, then complete; as the admin, who may publish.
    expect(azure.kuduRequests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /api/zipdeploy 202', 'GET /api/deployments/latest 202', 'GET /api/deployments/latest 202', 'GET /api/deployments/latest 202', 'GET /api/deployments/latest 200',
    ]);
    expect(first.out).toMatch(/the deployment is still running \(look 1 of \d+\)/);
    expect(azure.deployments).toHaveLength(1);
    // The package without node_modules, which Kudu installs (SCM_DO_BUILD_DURING_DEPLOYMENT on the app).
    expect(readFileSync(join(azure.deployments[0]!.dir, 'host.json'), 'utf8')).toBe(readFileSync(join(repo, 'functions/host.json'), 'utf8'));
    expect(arm.calls('PUT', '/providers/Microsoft.Web/sites/mta-sts-contoso-com').some((q) => JSON.stringify(q.body).includes('"SCM_DO_BUILD_DURING_DEPLOYMENT","value":"true"'))).toBe(true);
    expect(arm.txt('rg-dns', 'contoso.com', '_mta-sts')).toEqual([expect.stringMatching(/^v=STSv1; id=[0-9a-f]{32};$/)]);
    expect(first.out.indexOf('the new policy is live')).toBeLessThan(first.out.indexOf('TXT _mta-sts.contoso.com = '));
    expect(lastLine(first.out)).toMatch(/^mta-sts check: contoso\.com (pass|warn)$/);
    expect(devops.requests).toHaveLength(0);
    expect(azure.refused).toEqual([]);

    const armBefore = armWrites().length;
    const second = await setup(['--resource-group', 'rg-dns', '--dns-resource-group', 'rg-dns', '--yes']);
    expect(second.code, second.out + second.err).toBe(0);
    expect(second.out).toContain('Nothing to change');
    expect(azure.kuduRequests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(armWrites().length).toBe(armBefore);
    expect(lastLine(second.out)).toMatch(/^mta-sts check: contoso\.com (pass|warn)$/);
  });

  it('Function App: an admin without publish rights on the app is refused by Kudu as by Azure; the step names the role and the command', { timeout: 240_000 }, async () => {
    useFunctionApp();
    const file = join(repo, 'mta-sts.config.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  kind: static-web-app\n', '  kind: function-app\n'));
    addMx('contoso.com');
    const first = await setup(['--resource-group', 'rg-dns', '--dns-resource-group', 'rg-dns', '--yes']);
    expect(first.code, first.out + first.err).toBe(0);
    expect(azure.deployments).toHaveLength(1);
    // Another admin, with read rights only on the group, runs setup after the config changed: the deploy is refused.
    writeFileSync(file, readFileSync(file, 'utf8').replace('mode: testing', 'mode: none'));
    adminHolds(['Reader', RG]);
    const second = await setup(['--resource-group', 'rg-dns', '--dns-resource-group', 'rg-dns', '--yes']);
    expect(second.code).toBe(1);
    expect(azure.kuduRequests.at(-1)).toMatchObject({ method: 'POST', path: '/api/zipdeploy', status: 403 });
    expect(second.err).toMatch(/Deploy functions\/ to mta-sts-contoso-com .*: failed: deploying to mta-sts-contoso-com\.scm\.azurewebsites\.net failed: the signed-in identity may not deploy to this app \(Microsoft\.Web\/sites\/publish\/Action/);
    expect(second.out).toMatch(/By hand: Deploy functions\/ .*az functionapp deployment source config-zip -g rg-dns -n mta-sts-contoso-com --src functions\.zip --build-remote true/);
    void dns;
  });
});
