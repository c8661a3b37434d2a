// The Function App's one HTTP handler (hosting.kind: function-app). `mta-sts build` copies this file as it is
// into functions/src/ beside content.js, which holds the policy and page bytes built from the config: nothing
// here reads the config at run time, only the request. It needs no package, so tests and the local runner
// call it directly with @azure/functions' own HttpRequest.

import { FILES, HEADERS, HOSTS, PAGES, POLICY, POLICY_HEADERS } from './content.js';

export const POLICY_PATH = '/.well-known/mta-sts.txt';
const TEXT = 'text/plain; charset=utf-8';
const policyBytes = new TextEncoder().encode(POLICY);

/** The request's host name: lower case, without port or trailing dot. */
export function hostOf(request) {
  const raw = request.headers.get('host') ?? new URL(request.url).host;
  return raw.trim().toLowerCase().replace(/:\d*$/, '').replace(/\.$/, '');
}

// A configured mta-sts.<domain>, or the app's own default host (Azure sets WEBSITE_HOSTNAME to
// <app>.azurewebsites.net; the local runner to its own address).
function served(host) {
  const own = (process.env.WEBSITE_HOSTNAME ?? '').toLowerCase().replace(/:\d*$/, '');
  return HOSTS.includes(host) || (own !== '' && host === own);
}

function answer(status, text, extra = {}) {
  return { status, headers: { ...HEADERS, 'Content-Type': TEXT, ...extra }, body: text };
}

/**
 * GET or HEAD of the policy or the page on a served host: 200 with the built bytes, never a redirect and
 * never a cookie (RFC 8461 §3.3: senders take only a 200 and follow no redirect). Other hosts or paths 404,
 * other methods 405.
 */
export async function mtaSts(request) {
  const host = hostOf(request);
  if (!served(host)) return answer(404, 'Not found: this app serves MTA-STS policies only for its configured mta-sts hosts.\n');
  const path = new URL(request.url).pathname;
  const page = path === '/' || path === '/index.html';
  // Each mta-sts.<domain> has its own page, naming that domain only; the app's own host gets the shared one.
  const file = path === POLICY_PATH
    ? { type: TEXT, bytes: policyBytes, headers: POLICY_HEADERS }
    : page && Object.hasOwn(PAGES, host) ? { ...FILES['/index.html'], base64: PAGES[host] } : FILES[page ? '/index.html' : path];
  if (!file) return answer(404, 'Not found.\n');
  const bytes = file.bytes ?? Buffer.from(file.base64, 'base64');
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return answer(405, 'Method not allowed: use GET.\n', { Allow: 'GET, HEAD' });
  const headers = { ...HEADERS, ...(file.headers ?? {}), 'Content-Type': file.type, 'Content-Length': String(bytes.byteLength) };
  return { status: 200, headers, body: method === 'HEAD' ? undefined : bytes };
}
