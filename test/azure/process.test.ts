// The azure commands as a child process, exactly as a shell runs them: the policy host on a 127.77.N.x address
// found through --dns-server or MTA_STS_DNS_SERVER (no URL override), on the port MTA_STS_HTTPS_PORT names
// instead of 443 (tests run as an ordinary user), and the cloud replaced only by the ARM emulator's endpoint,
// the test CA (NODE_EXTRA_CA_CERTS) and a fake az that hands out a token.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { SUBSCRIPTION } from './arm-emulator.ts';
import { APP, DEFAULT_HOST, DNS_RG, POLICY, WEB_RG } from './harness.ts';
import { LoopbackInternet } from './loopback-internet.ts';

const OLD_POLICY = 'version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n';

let net: LoopbackInternet;
beforeAll(async () => {
  net = await LoopbackInternet.start();
});
afterAll(() => net.close());
beforeEach(() => {
  net.https.certs.clear();
  net.https.handlers.clear();
  net.dns.zone.delete('mta-sts.contoso.com');
  mkdirSync(join(net.dir, 'home/.well-known'), { recursive: true });
  writeFileSync(join(net.dir, 'home/.well-known/mta-sts.txt'), POLICY);
});

function writeConfig(hosting: string[]): void {
  writeFileSync(join(net.dir, 'mta-sts.config.yaml'), [
    'domains: [contoso.com]',
    'policy:',
    '  mode: testing',
    '  mx: ["*.mail.protection.outlook.com"]',
    '  max_age: 604800',
    'hosting:',
    ...hosting.map((l) => `  ${l}`),
    '',
  ].join('\n'));
}

const node = (args: string[], env: Record<string, string>) =>
  net.run(process.execPath, [join(net.dir, 'bin/mta-sts.js'), ...args], { HOME: net.dir, ...env });

it('publish-dns waits on https://mta-sts.<domain> found through --dns-server until it serves home/\'s bytes', async () => {
  writeConfig([`app: ${APP}`]);
  let fetches = 0;
  net.https.handlers.set('mta-sts.contoso.com', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(++fetches <= 2 ? OLD_POLICY : POLICY);
  });
  net.dns.zone.set('mta-sts.contoso.com', { cname: DEFAULT_HOST });
  await net.issueCertificate('mta-sts.contoso.com');
  const r = await node(['azure', 'publish-dns', '--config', 'mta-sts.config.yaml', '--dns-server', net.dns.address, '--wait-seconds', '20', '--poll-seconds', '0.2'],
    { PATH: process.env.PATH!, NODE_EXTRA_CA_CERTS: net.caFile, MTA_STS_HTTPS_PORT: String(net.https.port) });
  expect(r.stderr).toContain('warning: contoso.com: TXT _mta-sts.contoso.com is not published yet');
  expect(r.code).toBe(0);
  expect(fetches).toBe(3);
  expect(r.stdout).toContain('contoso.com: not live yet: it serves other bytes');
  expect(r.stdout).toContain(`contoso.com: the new policy is live at https://mta-sts.contoso.com:${net.https.port}/.well-known/mta-sts.txt`);
  expect(r.stdout).toMatch(/^ {2}_mta-sts\.contoso\.com\. 3600 IN TXT "v=STSv1; id=\w+;"$/m);
  expect(net.arm.requests).toEqual([]);
});

it('bind and publish-dns through AzureCliCredential (fake az), NODE_EXTRA_CA_CERTS and MTA_STS_DNS_SERVER, never running az for the work', async () => {
  writeConfig([`app: ${APP}`, `resource_group: ${WEB_RG}`, `subscription: ${SUBSCRIPTION}`, `dns_resource_group: ${DNS_RG}`]);
  net.arm.addZone(DNS_RG, 'contoso.com');
  net.serveSite(() => Buffer.from(POLICY));
  const env = { ...net.cloudEnv() };
  const bind = await node(['azure', 'bind', '--config', 'mta-sts.config.yaml'], env);
  expect(bind.stderr).toContain('warning: contoso.com: mta-sts.contoso.com is bound, certificate pending');
  expect(bind.code).toBe(0);
  expect(net.arm.sites.get(`${WEB_RG}/${APP}`)!.customDomains.get('mta-sts.contoso.com')?.status).toBe('Ready');

  await net.issueCertificate('mta-sts.contoso.com');
  const publish = await node(['azure', 'publish-dns', '--config', 'mta-sts.config.yaml', '--wait-seconds', '5'], env);
  expect(publish.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('mta-sts azure publish-dns: override in force: '))).toEqual([]);
  expect(publish.stderr).toContain(`override in force: MTA_STS_DNS_SERVER=${net.dns.address}`);
  expect(publish.code).toBe(0);
  expect(net.arm.txt(DNS_RG, 'contoso.com', '_mta-sts')).toHaveLength(1);
  // The only az the product ran is AzureCliCredential's token request, for the emulator's endpoint.
  expect(new Set(net.azCalls())).toEqual(new Set([`account get-access-token --output json --resource ${net.arm.endpoint}`]));
});
