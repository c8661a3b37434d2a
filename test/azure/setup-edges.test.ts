// `mta-sts azure setup` for a Static Web App at its edges (the world: setup-world.ts): existing groups, no DevOps
// flags, DNS outside Azure, no az, wrong flags, CAA, an organisation without hosted jobs, failed lookups, GitHub,
// the answer no.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { devopsOrgError } from '../../src/cli/azure-setup.ts';
import { useSetupWorld, dns, arm, setupArm, devops, dir, repo, env, git, BIN, setup, DEVOPS, armWrites, stderrSoFar, type Result } from './setup-world.ts';

useSetupWorld();

describe('mta-sts azure setup: edges', () => {
  it('an existing variable group: replaces the stale token, keeps the group\'s other variables and secrets', async () => {
    devops.variableGroups.push({
      id: 7, name: 'mta-sts', description: 'made by hand', projectIds: [devops.projects[0]!.id],
      variables: { deployment_token: { value: 'old-token', isSecret: true }, notify: { value: 'ops@contoso.com', isSecret: false }, api_key: { value: 'kept-secret', isSecret: true } },
    });
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('Update variable group mta-sts in project mail');
    const token = setupArm.tokens.get('rg-dns/mta-sts-contoso-com')!;
    expect(devops.variableGroups).toHaveLength(1);
    expect(devops.variableGroups[0]!.variables).toEqual({
      deployment_token: { value: token, isSecret: true },
      notify: { value: 'ops@contoso.com', isSecret: false },
      api_key: { value: 'kept-secret', isSecret: true },
    });
    expect(devops.permissions.get('variablegroup/7')?.get(devops.definitions[0]!.id)).toBe(true);
  });

  it('without the DevOps flags it sets up Azure and prints what to do in Azure DevOps', async () => {
    const r = await setup(['--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('Azure DevOps was not set up');
    expect(r.out).toContain('Pipelines > Library > + Variable group "mta-sts"');
    expect(devops.requests).toHaveLength(0);
    expect(arm.sites.has('rg-dns/mta-sts-contoso-com')).toBe(true);
  });

  it('a DNS host outside Azure: prints the CNAME and says to run again (no wait without a terminal)', async () => {
    arm.zones.clear();
    const config = join(repo, 'mta-sts.config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('# tlsrpt:\n#   rua:\n#     - mailto:tlsrpt@contoso.com', 'tlsrpt:\n  rua:\n    - mailto:tlsrpt@contoso.com'));
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    const site = arm.sites.get('rg-mta-sts/mta-sts-contoso-com')!;
    expect(r.out).toContain(`mta-sts.contoso.com. 3600 IN CNAME ${site.defaultHostname}.`);
    expect(r.err).toContain('then run the same command again');
    expect(r.out).toMatch(/TXT still to publish: _mta-sts\.contoso\.com\. 3600 IN TXT "v=STSv1; id=[A-Za-z0-9]+;"/);
    // The step says it waits, not "done"; the last line says who publishes the TXT records: the admin.
    expect(r.out).toMatch(/\[\d+\/\d+\] Bind mta-sts\.contoso\.com \(once its CNAME exists at your DNS host\) to mta-sts-contoso-com: waiting \(nothing bound yet; mta-sts\.contoso\.com waits for the CNAME at your DNS host \(below\)\)/);
    expect(r.out).not.toMatch(/Bind .*: done/);
    // Nothing can be live before the CNAME: the TXT records are held back and printed after it, in the order they must
    // go live (RFC 8461 §8.1); the last line is check's verdict, which says so too.
    expect(r.err).toMatch(/contoso\.com: TXT held back: .*; create the CNAME first, then, once https:\/\/mta-sts\.contoso\.com:\d+\/\.well-known\/mta-sts\.txt serves home\/\.well-known\/mta-sts\.txt, publish the TXT records/);
    expect(r.out).toContain('Later changes: edit mta-sts.config.yaml, commit and push; the pipeline deploys home/, binds new domains and publishes the TXT records once the new policy is live.');
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('mta-sts check: contoso.com fail');
    expect(r.out).toContain('TLS-RPT still to publish: _smtp._tls.contoso.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com"');
    expect(site.customDomains.size).toBe(0);

    // The user creates the record; the next run binds it.
    dns.zone.set('mta-sts.contoso.com', { cname: site.defaultHostname });
    arm.publicCnames.set('mta-sts.contoso.com', site.defaultHostname);
    const again = await setup([...DEVOPS(), '--yes']);
    expect(again.code, again.out + again.err).toBe(0);
    expect(site.customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
  });

  it('without az installed: says to install the Azure CLI (exit 1), not "run az login" (exit 2)', async () => {
    const r = await new Promise<Result>((done) => {
      const child = spawn(process.execPath, [BIN, 'azure', 'setup', '--yes'], { cwd: repo, env: { ...env, PATH: join(dir, 'empty-path'), MTA_STS_HTTPS_PORT: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => done({ code, out, err }));
    });
    expect(r.code).toBe(1);
    expect(r.err).toBe('mta-sts azure setup: the Azure CLI (az) is not installed, or not on PATH: install it (https://aka.ms/installazurecli), run az login, then run the same command again\n');
    expect(arm.requests).toEqual([]);
  });

  it('a project URL in --devops-org is a usage error naming the two flags to pass', async () => {
    expect(devopsOrgError('https://dev.azure.com/contoso/mail')).toBe('--devops-org must be the organisation URL, not a project\'s: pass --devops-org https://dev.azure.com/contoso --devops-project mail (got "https://dev.azure.com/contoso/mail")');
    expect(devopsOrgError('https://contoso.visualstudio.com/mail/_git/mta-sts')).toContain('pass --devops-org https://contoso.visualstudio.com --devops-project mail');
    expect(devopsOrgError('https://dev.azure.com/')).toContain('must name the organisation');
    expect(devopsOrgError('http://dev.azure.com/contoso')).toContain('https://');
    expect(devopsOrgError('https://dev.azure.com/contoso')).toBeUndefined();
    expect(devopsOrgError('https://dev.azure.com/contoso/')).toBeUndefined();
    expect(devopsOrgError('https://tfs.contoso.com/tfs/DefaultCollection')).toBeUndefined();
    const r = await setup(['--devops-org', 'https://dev.azure.com/contoso/mail', '--devops-project', 'mail', '--yes']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('pass --devops-org https://dev.azure.com/contoso --devops-project mail');
  });

  it('a CAA record that forbids DigiCert: the state line says the certificate is blocked, and the run fails naming the record', async () => {
    dns.zone.set('contoso.com', { ...dns.zone.get('contoso.com'), caa: [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }] });
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/contoso\.com: bound \(Ready\);.*; certificate blocked by CAA;/);
    expect(r.out).toMatch(/\[\d+\/\d+\] Bind .*: done/);
    expect(r.err).toContain('add contoso.com. CAA 0 issue "digicert.com"');
  });

  it('a new Azure DevOps organisation without hosted parallel jobs: says so before the push, with the request link and the self-hosted way', async () => {
    devops.hostedParallelJobs = 0;
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    const asked = devops.requests.find((q) => q.path.includes('/_apis/distributedtask/resourceusage'))!;
    expect(asked.path).toMatch(/parallelismTag=Private/);
    expect(asked.path).toMatch(/poolIsHosted=true/);
    expect(r.err).toContain(`warning: the Azure DevOps organisation ${devops.orgUrl} has no Microsoft-hosted parallel job yet`);
    expect(r.err).toContain('https://aka.ms/azpipelines-parallelism-request');
    expect(r.err).toContain('self-hosted Linux agent');
  });

  it('a TXT lookup that fails (SERVFAIL) is reported as failed, never as "still to publish"', async () => {
    arm.zones.clear();
    dns.zone.set('_mta-sts.contoso.com', { servfail: true });
    const r = await setup([...DEVOPS(), '--yes']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('TXT: lookup failed (DNS server failure (SERVFAIL) looking up TXT at _mta-sts.contoso.com; check the zone and its DNSSEC), cannot tell whether it is published');
    expect(r.out).not.toContain('TXT still to publish');
  });

  it('a DNS host outside Azure with --wait-dns: counts down, binds as soon as the CNAME resolves (on a virtual clock)', async () => {
    arm.zones.clear();
    let skipped = 0;
    const waits: number[] = [];
    const { code, out, err } = await setup([...DEVOPS(), '--yes', '--wait-dns', '60'], { deps: {
      now: () => Date.now() + skipped,
      // A wait returns at once but moves the clock; the admin creates the CNAME during the first wait for it.
      sleep: async (ms) => {
        waits.push(ms);
        skipped += ms;
        if (stderrSoFar().includes('waiting for the CNAME of mta-sts.contoso.com')) {
          dns.zone.set('mta-sts.contoso.com', { cname: arm.sites.get('rg-mta-sts/mta-sts-contoso-com')!.defaultHostname });
        }
      },
    } });
    expect(err).toMatch(/waiting for the CNAME of mta-sts\.contoso\.com: 1:00 left/);
    expect(code, out + err).toBe(0);
    expect(waits.filter((ms) => ms === 10_000).length).toBeGreaterThanOrEqual(1);
    expect(out).toContain('CNAME visible for contoso.com; binding.');
    expect(arm.sites.get('rg-mta-sts/mta-sts-contoso-com')!.customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');
  });

  it('a repository on GitHub: the pipeline uses the named GitHub service connection', async () => {
    await git('git', ['remote', 'set-url', 'origin', 'https://github.com/contoso/mta-sts.git'], { cwd: repo });
    const missing = await setup([...DEVOPS(), '--yes']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('pass --github-connection NAME');
    const id = randomUUID();
    devops.endpoints.push({ id, body: { name: 'github-contoso', type: 'github', url: 'https://github.com' }, projectIds: [devops.projects[0]!.id], readyAfterGets: 0 });
    const r = await setup([...DEVOPS(), '--yes', '--github-connection', 'github-contoso']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(devops.definitions[0]!.body).toMatchObject({ repository: { type: 'GitHub', id: 'contoso/mta-sts', properties: { connectedServiceId: id } } });
  });

  it('answering no to the question changes nothing', async () => {
    let asked = '';
    const r = await setup([...DEVOPS()], { stdinIsTTY: true, deps: { confirm: async (question) => { asked = question; return false; } } });
    const code = r.code;
    const out = r.out + r.err;
    expect(code).toBe(0);
    expect(asked).toMatch(/^Apply these \d+ changes\? \[y\/N\] $/);
    expect(out).toContain('Nothing was changed.');
    expect(armWrites()).toHaveLength(0);
    expect(devops.writes()).toHaveLength(0);
    expect((await git('git', ['status', '--porcelain'], { cwd: repo })).stdout).toBe('');
  });
});

