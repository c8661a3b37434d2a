// A Function App's package as a zip, pushed to the app's deployment service (Kudu) with the caller's own Azure
// sign-in: POST https://<app>.scm.azurewebsites.net/api/zipdeploy?isAsync=true answers 202 with a Location to poll
// until the deployment is complete (projectkudu/kudu wiki, "Deploying from a zip file"; the status URL answers 202
// while it runs, then 200 with status 4 for success or 3 for failure, as microsoft/pipelines-appservice-lib's
// KuduServiceClient reads it). Kudu takes a Microsoft Entra token for ARM's audience from a caller allowed
// Microsoft.Web/sites/publish/Action on the site (Website Contributor or Contributor). The package is built
// without node_modules: SCM_DO_BUILD_DURING_DEPLOYMENT, set when setup creates the app, has Kudu run npm install.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  bearerTokenAuthenticationPolicy, createHttpHeaders, getDefaultProxySettings, createPipelineFromOptions, createPipelineRequest, createDefaultHttpClient,
} from '@azure/core-rest-pipeline';
import { zipSync } from 'fflate';
import { printable } from '../printable.ts';
import { DeployError, type ZipDeployment } from './deploy.ts';
import { clockOf, poll } from './retry.ts';

/** Kudu's DeployStatus values (Kudu.Core.Deployment.DeployStatus). */
const FAILED = 3;
const SUCCESS = 4;
const LOOKS = 120;

/** The folder's files in a zip, paths with forward slashes, node_modules left out (Kudu installs them). */
export async function zipFolder(folder: string): Promise<Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') await walk(path);
      } else if (entry.isFile()) {
        files[relative(folder, path).split(sep).join('/')] = await readFile(path);
      }
    }
  };
  await walk(folder);
  // A fixed time stamp: the same folder gives the same bytes.
  return zipSync(files, { level: 6, mtime: new Date('2000-01-01T00:00:00Z') });
}

export async function zipDeploy(d: ZipDeployment): Promise<void> {
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(d.scmHost)) throw new Error(`Azure reported an unusable deployment host for ${d.app} (${printable(d.scmHost)})`);
  const base = `https://${d.scmHost}`;
  const proxy = d.env.HTTPS_PROXY || d.env.https_proxy || undefined;
  const pipeline = createPipelineFromOptions({
    ...(d.ca ? { tlsOptions: { ca: d.ca } } : {}), ...(proxy ? { proxyOptions: getDefaultProxySettings(proxy) } : {}), retryOptions: { maxRetries: 3 },
  });
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: d.credential, scopes: `${d.armEndpoint.replace(/\/+$/, '')}/.default` }));
  const client = createDefaultHttpClient();
  const send = (method: 'GET' | 'POST', url: string, body?: Uint8Array) => pipeline.sendRequest(client, createPipelineRequest({
    url, method, body, timeout: 120_000,
    headers: createHttpHeaders({ accept: 'application/json', ...(body ? { 'content-type': 'application/zip' } : {}) }),
  }));
  const refused = (status: number, text: string | undefined) => {
    const why = status === 401 || status === 403
      ? 'the signed-in identity may not deploy to this app (Microsoft.Web/sites/publish/Action: Website Contributor or Contributor on the app or its resource group)'
      : `Kudu answered HTTP ${status}`;
    return new DeployError(`deploying to ${d.scmHost} failed: ${why}${text ? ` (${printable(text.slice(0, 300))})` : ''}`, status);
  };

  const zip = await zipFolder(d.folder);
  d.onLine(`  uploading ${zip.length} bytes to ${base}/api/zipdeploy`);
  const posted = await send('POST', `${base}/api/zipdeploy?isAsync=true`, zip);
  if (posted.status === 200) return;
  if (posted.status !== 202) throw refused(posted.status, posted.bodyAsText ?? undefined);
  const location = posted.headers.get('location');
  // The status URL is remote text that our token is sent to: only on the app's own deployment host.
  let statusUrl: URL;
  try {
    statusUrl = new URL(location ?? '', base);
  } catch {
    throw new Error(`Kudu accepted the package but named no usable status URL (${printable(location ?? 'none')})`);
  }
  if (statusUrl.protocol !== 'https:' || statusUrl.host !== new URL(base).host) {
    throw new Error(`Kudu named a status URL on another host (${printable(statusUrl.host)}); not followed`);
  }
  const result = await poll(async () => {
    const r = await send('GET', statusUrl.href);
    if (r.status === 202) return { done: false, value: { status: undefined as number | undefined, text: '' } };
    if (r.status !== 200) throw refused(r.status, r.bodyAsText ?? undefined);
    let body: { status?: unknown; complete?: unknown; status_text?: unknown };
    try {
      body = JSON.parse(r.bodyAsText ?? '{}') as typeof body;
    } catch {
      body = {};
    }
    const status = typeof body.status === 'number' ? body.status : undefined;
    const value = { status, text: typeof body.status_text === 'string' ? body.status_text : '' };
    return status === SUCCESS || status === FAILED ? { done: true, value } : { done: false, value };
  }, {
    attempts: LOOKS, delayMs: d.pollIntervalMs ?? 5_000, clock: clockOf(d),
    onWait: (ms, n) => d.onLine(`  ${d.app}: the deployment is still running (look ${n} of ${LOOKS}); next look in ${ms / 1000} s`),
  });
  if (!result.done) throw new Error(`the deployment to ${d.app} did not finish within ${LOOKS} looks; see Deployment Center in the portal, then run the same command again`);
  if (result.value.status === FAILED) throw new Error(`Kudu reports the deployment to ${d.app} failed${result.value.text ? `: ${printable(result.value.text)}` : ''} (Deployment Center > Logs in the portal)`);
}
