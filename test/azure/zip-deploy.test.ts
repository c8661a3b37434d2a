// The Function App's zip deployment (src/azure/zip-deploy.ts) against the Kudu emulator of first-policy-world.ts:
// 202 and a Location polled until complete (projectkudu/kudu wiki, "Deploying from a zip file"), the caller's
// role checked, and the Location treated as the remote text it is: the token goes to the app's own host only.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../src/azure/deploy.ts';
import { zipDeploy, zipFolder } from '../../src/azure/zip-deploy.ts';
import { TestCA } from '../check/servers.ts';
import { ADMIN, ArmEmulator, SUBSCRIPTION, TOKEN } from './arm-emulator.ts';
import type { FunctionAppArm } from './arm-setup-handlers.ts';
import { FirstPolicyWorld } from './first-policy-world.ts';

let ca: TestCA;
let world: FirstPolicyWorld;
let dir: string;
const arm = new ArmEmulator();
const credential: TokenCredential = { getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }) };
const lines: string[] = [];

beforeAll(async () => {
  ca = await TestCA.create();
  dir = mkdtempSync(join(tmpdir(), 'zip-deploy-'));
  world = await FirstPolicyWorld.start(ca, dir);
  // The test CA, as NODE_EXTRA_CA_CERTS gives it to the product in a child process (the proxy's tunnel uses the defaults).
  setDefaultCACertificates([...getCACertificates('default'), ca.certPem]);
});
afterAll(async () => {
  setDefaultCACertificates(getCACertificates('bundled'));
  await world.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  world.reset(dir);
  world.arm = arm;
  arm.resetAuthorization();
  // A Function App in rg-fa; its package has a node_modules folder that must stay home.
  world.functionApp = { fa: { site: { name: 'fa-app', resourceGroup: 'rg-fa', defaultHostName: 'fa-app.azurewebsites.net' }, bindings: new Map() } } as unknown as FunctionAppArm;
  mkdirSync(join(dir, 'functions/src'), { recursive: true });
  mkdirSync(join(dir, 'functions/node_modules/x'), { recursive: true });
  writeFileSync(join(dir, 'functions/host.json'), '{"version":"2.0"}');
  writeFileSync(join(dir, 'functions/src/handler.js'), 'export const mtaSts = async () => ({ status: 200, body: "x" });');
  writeFileSync(join(dir, 'functions/node_modules/x/index.js'), '');
  lines.length = 0;
});

const deploy = () => zipDeploy({
  folder: join(dir, 'functions'), app: 'fa-app', scmHost: 'fa-app.scm.azurewebsites.net', credential, armEndpoint: 'https://management.azure.com',
  ca: ca.certPem, env: world.env(), onLine: (l) => lines.push(l), sleep: async () => {}, pollIntervalMs: 1,
});

describe('zip deployment to Kudu', () => {
  it('the package without node_modules, in the same bytes each time', async () => {
    const zip = await zipFolder(join(dir, 'functions'));
    expect(Object.keys(unzipSync(zip)).sort()).toEqual(['host.json', 'src/handler.js']);
    expect(await zipFolder(join(dir, 'functions'))).toEqual(zip);
  });

  it('posts the zip, follows the Location through the looks in progress, and ends when Kudu reports success', async () => {
    world.kuduLooksInProgress = 3;
    await deploy();
    expect(world.kuduRequests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /api/zipdeploy 202', 'GET /api/deployments/latest 202', 'GET /api/deployments/latest 202', 'GET /api/deployments/latest 202', 'GET /api/deployments/latest 200',
    ]);
    expect(lines.filter((l) => l.includes('still running'))).toHaveLength(3);
    expect(world.refused).toEqual([]);
  });

  it('a deployment Kudu reports failed is a failure naming where to look', async () => {
    world.kuduOutcome = 3;
    await expect(deploy()).rejects.toThrow(/Kudu reports the deployment to fa-app failed: npm install failed \(Deployment Center > Logs/);
  });

  it('a caller without publish rights gets Kudu\'s 403 as a DeployError naming the role', async () => {
    arm.authz.assignments.splice(0, Infinity);
    arm.authz.assign(ADMIN.objectId, 'Reader', `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-fa`);
    const e = await deploy().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DeployError);
    expect((e as DeployError).status).toBe(403);
    expect((e as Error).message).toMatch(/may not deploy to this app \(Microsoft\.Web\/sites\/publish\/Action: Website Contributor or Contributor/);
  });

  it('a Location on another host is not followed: the token goes to the app\'s own deployment host only', async () => {
    world.kuduLocation = () => 'https://collector.example/api/deployments/latest';
    await expect(deploy()).rejects.toThrow('Kudu named a status URL on another host (collector.example); not followed');
    expect(world.kuduRequests.map((r) => r.method)).toEqual(['POST']);
    expect(world.refused).toEqual([]);
  });
});
