// The world of the `mta-sts azure setup` tests (setup*.test.ts): a fresh clone, and setup run as a child process
// exactly as the README says (setupProcess), or in this process under the same contract (setup), with only the
// endpoints, the test CA and az's credential replaced: the ARM emulator
// (MTA_STS_ARM_ENDPOINT), the Azure DevOps emulator (its URL is the --devops-org value), a DNS server on loopback
// (--dns-server), NODE_EXTRA_CA_CERTS, and an `az` on PATH that answers `az account get-access-token` as
// AzureCliCredential calls it. Each test file calls useSetupWorld() once; the exported bindings are live.
import { execFile, spawn } from 'node:child_process';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TokenCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';
import { command, runSetup, type SetupCommandDeps } from '../../src/cli/azure-setup.ts';
import { azureBindCommand } from '../../src/cli/azure-bind.ts';
import { runCommand } from '../../src/cli/main.ts';
import { startDns, TestCA, type DnsServer } from '../check/servers.ts';
import { ADMIN, ArmEmulator, SUBSCRIPTION, TOKEN } from './arm-emulator.ts';
import type { BuiltInRole } from './authorization.ts';
import { addFunctionAppHandlers, addSetupHandlers, type FunctionAppArm, type SetupArm } from './arm-setup-handlers.ts';
import { FirstPolicyWorld } from './first-policy-world.ts';
import { createPolicyFetcher } from '../../src/check/https-fetcher.ts';
import { productionIO } from '../../src/cli/production.ts';
import { zipDeploy } from '../../src/azure/zip-deploy.ts';
import { startDevOpsEmulator, type DevOpsEmulator } from './devops-emulator.ts';

export const git = promisify(execFile);
export const ROOT = process.cwd();
export const BIN = join(ROOT, 'bin/mta-sts.js');
export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

export let ca: TestCA;
export let dns: DnsServer;
export let arm: ArmEmulator;
export let setupArm: SetupArm;
export let devops: DevOpsEmulator;
/** Azure's side of the first policy: the apps' front end, Kudu, the SWA content service, the internet proxy. */
export let azure: FirstPolicyWorld;
export let dir: string;
export let repo: string;
export let env: NodeJS.ProcessEnv;
/** The one clone of this test file, copied for each test. */
let pristineDir: string;
let pristine: string;

/** Registers the hooks that give each test a fresh clone, fresh emulators' state and az's profile. */
export function useSetupWorld(): void {
  // A setup test runs setup two or three times over a fresh git clone (each run now deploys and checks too): 10-20 s
  // on an idle 2-core machine, and up to four times that beside three other test files and a loaded machine. Still
  // bounded; a hang fails.
  vi.setConfig({ testTimeout: 150_000 });
  beforeAll(async () => {
    ca = await TestCA.create();
    dns = await startDns();
    arm = new ArmEmulator(dns.zone);
    await arm.start(ca);
    arm.pollsInProgress = 0;
    azure = await FirstPolicyWorld.start(ca, tmpdir());
    azure.resolveFrontEnd(dns);
    // In-process runs trust the test CA as child processes do through NODE_EXTRA_CA_CERTS (the deploy to Kudu too).
    setDefaultCACertificates([...getCACertificates('default'), ca.certPem]);
    pristineDir = mkdtempSync(join(tmpdir(), 'setup-clone-'));
    pristine = join(pristineDir, 'mta-sts');
    // Sparse: every file and folder setup reads or writes (and any it creates), without the template's own source,
    // tests and docs (src/, test/, docs/, scripts/: nine in ten of its files), which setup never opens, the CLI
    // under test being this checkout's; copying them for each test was a tenth of these files' CPU.
    await git('git', ['clone', '-q', '--depth', '1', '--sparse', `file://${ROOT}`, pristine]);
    await git('git', ['sparse-checkout', 'set', '--no-cone', '/*', '!/src/', '!/test/', '!/docs/', '!/scripts/'], { cwd: pristine });
    await git('git', ['config', 'user.email', 'admin@contoso.com'], { cwd: pristine });
    await git('git', ['config', 'user.name', 'Mail Admin'], { cwd: pristine });
    // No `git maintenance run --auto` process after each of setup's commits: a clone this small never needs one.
    await git('git', ['config', 'maintenance.auto', 'false'], { cwd: pristine });
  });
  afterAll(async () => {
    setDefaultCACertificates(getCACertificates('bundled'));
    await Promise.all([arm.close(), dns.close(), azure.close()]);
    rmSync(pristineDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    arm.sites.clear();
    arm.zones.clear();
    arm.requests.length = 0;
    arm.extensions.length = 0;
    arm.resetAuthorization();
    dns.zone.clear();
    setupArm = addSetupHandlers(arm);
    arm.addZone('rg-dns', 'contoso.com');
    devops = await startDevOpsEmulator(ca);

    dir = mkdtempSync(join(tmpdir(), 'setup-test-'));
    azure.reset(dir);
    azure.arm = arm;
    azure.setupArm = setupArm;
    // az's state as `az login` leaves it: the default subscription and its tenant, and an az that hands out tokens.
    const azDir = join(dir, 'azure');
    mkdirSync(azDir);
    writeFileSync(join(azDir, 'azureProfile.json'), '\uFEFF' + JSON.stringify({
      installationId: 'x', subscriptions: [{ id: SUBSCRIPTION, name: 'Contoso Production', tenantId: TENANT, isDefault: true, state: 'Enabled', environmentName: 'AzureCloud', user: { name: 'admin@contoso.com', type: 'user' } }],
    }));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const answer = (token: string) => JSON.stringify({ accessToken: token, expiresOn: '2099-01-01 00:00:00.000000', expires_on: expires, subscription: SUBSCRIPTION, tenant: TENANT, tokenType: 'Bearer' });
    writeFileSync(join(bin, 'az'), [
      '#!/bin/sh',
      '# az account get-access-token --output json --resource R, as AzureCliCredential runs it',
      'case "$*" in',
      `  *"account get-access-token"*499b84ac-1321-427f-aa17-267ca6975798*) echo '${answer(devops.token)}' ;;`,
      // Only the emulator's own audience: a client that asked for the public cloud's (arm-resources 8 and
      // arm-appservice 19 do, unless told) fails here as it would against a sovereign or private cloud.
      `  *"account get-access-token --output json --resource ${arm.endpoint}") echo '${answer(TOKEN)}' ;;`,
      '  *) echo "fake az: unexpected: $*" >&2; exit 2 ;;',
      'esac',
      '',
    ].join('\n'));
    chmodSync(join(bin, 'az'), 0o755);
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);

    // A fresh clone of the template, with origin pointing at the Azure Repos repository it was imported into: a
    // copy of the file's one clone (cloned in beforeAll), which is what a second clone would hold, without the
    // four git processes a clone costs each test.
    repo = join(dir, 'mta-sts');
    cpSync(pristine, repo, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    await git('git', ['remote', 'set-url', 'origin', `${devops.orgUrl}/mail/_git/mta-sts`], { cwd: repo });

    env = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: dir,
      AZURE_CONFIG_DIR: azDir,
      MTA_STS_ARM_ENDPOINT: arm.endpoint,
      NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
      // The suite's compile cache (vitest.config.ts): setup and swa deploy compile the Azure SDKs and the SWA CLI once.
      ...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
      ...azure.env(),
    };
  });
  afterEach(async () => {
    await devops.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

export interface Result { code: number | null; out: string; err: string }

export function start(args: string[]): { done: Promise<Result>; err: () => string } {
  const child = spawn(process.execPath, [BIN, 'azure', 'setup', ...args, '--dns-server', dns.address], {
    cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<Result>((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, out, err });
  }));
  return { done, err: () => err };
}

/** setup as a child process, exactly as the README runs it (the fake az hands out the tokens). */
export const setupProcess = (args: string[]) => start(args).done;

/**
 * setup in this process, under the CLI's contract (runCommand: a usage error is exit 2), with the same
 * arguments, environment and emulators as setupProcess; its credential answers what the fake az answers, and only
 * for the audiences it accepts. Most tests use it: a child process loads every Azure SDK again (about a second of
 * CPU a run), and the first full runs of each hosting kind stay child processes.
 */
export async function setup(args: string[], options: { deps?: Partial<SetupCommandDeps>; stdinIsTTY?: boolean } = {}): Promise<Result> {
  let out = '';
  let err = '';
  errSoFar = '';
  const credential: TokenCredential = {
    getToken: async (scopes) => {
      const scope = [scopes].flat()[0] ?? '';
      if (scope.startsWith('499b84ac-1321-427f-aa17-267ca6975798')) return { token: devops.token, expiresOnTimestamp: Date.now() + 3600e3 };
      if (scope !== `${arm.endpoint}/.default`) throw new Error(`fake az: unexpected: account get-access-token --resource ${scope}`);
      return { token: TOKEN, expiresOnTimestamp: Date.now() + 3600e3 };
    },
  };
  // The policy fetches trust the test CA as the child process does through NODE_EXTRA_CA_CERTS.
  const fetcher = createPolicyFetcher({ port: azure.https.port, ca: ca.certPem, timeoutMs: 5_000 });
  const deps: SetupCommandDeps = {
    credential, armCa: ca.certPem, devopsCaFile: join(dir, 'ca.pem'), fetcher,
    // One look at each policy before its TXT is held back (the waits themselves are tested in publish-dns.test.ts).
    liveWaitMs: 1_000,
    // swa deploy's upload without its processes, and Kudu's looks 20 ms apart (not 5 s): the real CLI and the
    // production interval run in setupProcess's tests (setup-first-policy.test.ts, setup.test.ts' first run).
    deployer: { staticWebApp: azure.swaUpload, functionApp: (d) => zipDeploy({ ...d, pollIntervalMs: 20 }) },
    checkIO: (o) => ({ ...productionIO(o), fetcher: createPolicyFetcher({ port: o.httpsPort, ca: ca.certPem, timeoutMs: o.timeoutMs }) }),
    ...options.deps,
  };
  const code = await runCommand({ ...command, run: (a, io) => runSetup(a, io, deps) }, [...args, '--dns-server', dns.address], {
    out: (t) => (out += t), err: (t) => (errSoFar = err += t), cwd: repo, isTTY: false, stdinIsTTY: options.stdinIsTTY ?? false, env,
  });
  return { code, out, err };
}

let errSoFar = '';
/** What the in-process setup running now has written to standard error so far (for its injected waits). */
export const stderrSoFar = () => errSoFar;

/** The admin az signs in as holds exactly these roles (by default: Owner of the subscription). */
export function adminHolds(...grants: [BuiltInRole, string][]): void {
  arm.authz.assignments.splice(0, Infinity, ...arm.authz.assignments.filter((a) => a.principalId !== ADMIN.objectId));
  for (const [role, scope] of grants) arm.authz.assign(ADMIN.objectId, role, scope);
}

export const DEVOPS = () => ['--devops-org', devops.orgUrl, '--devops-project', 'mail'];
export const armWrites = () => arm.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/listSecrets'));

export function filesUnder(path: string): string[] {
  return readdirSync(path).flatMap((name) => {
    const full = join(path, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}


/**
 * `mta-sts azure bind` in the clone, as the managed identity setup created (its token: what the service connection or
 * azure/login gets for it), with exactly the roles it was given.
 */
export async function bindAsIdentity(): Promise<Result> {
  const identity = setupArm.identities.get('rg-dns/mta-sts-pipeline')!;
  arm.authz.addPrincipal('pipeline-token', { objectId: identity.principalId, client: identity.clientId });
  let out = '';
  let err = '';
  const credential = { getToken: async () => ({ token: 'pipeline-token', expiresOnTimestamp: Date.now() + 3600e3 }) };
  const command = azureBindCommand({ credential, armCa: ca.certPem, sleep: async () => {}, pollIntervalMs: 1 });
  const code = await runCommand(command, ['--arm-endpoint', arm.endpoint, '--dns-server', dns.address], {
    out: (t) => (out += t), err: (t) => (err += t), cwd: repo, isTTY: false, env: { HOME: repo },
  });
  return { code, out, err };
}

/** hosting.kind function-app: the ARM handlers of its plan, storage and site, and its front end and Kudu. */
export function useFunctionApp(): FunctionAppArm {
  const functionArm = addFunctionAppHandlers(arm, setupArm, dns.zone);
  azure.functionApp = functionArm;
  return functionArm;
}

/** Exchange Online's MX for `domain`, so the closing check has MX hosts to match the policy. */
export function addMx(domain: string): void {
  const mx = `${domain.replace(/\./g, '-')}.mail.protection.outlook.com`;
  dns.zone.set(domain, { ...dns.zone.get(domain), mx: [{ exchange: mx, priority: 0 }] });
  dns.zone.set(mx, { a: ['127.0.0.1'] });
}
