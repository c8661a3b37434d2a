// The local runner for the Function App package when Azure Functions Core Tools (`func`) is not installed: a
// node:http server that turns each request into @azure/functions' own HttpRequest, calls the handler the
// package registers (functions/src/index.js `registration`, the object given to app.http) and writes back its
// HttpResponse. It serves what functions/ holds, so `npm start`, the browser tests and Azure run the same code.
// It is a preview, not a host: no routePrefix, bindings or auth levels; every request reaches the one handler.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
// The default import: Node 22's CommonJS export detection misses HttpRequest and HttpResponse in @azure/functions
// (a named import fails to link there), Node 24's finds them.
import functions, { type HttpRequest as Request, type HttpResponse as Response, type HttpResponseInit } from '@azure/functions';
import { printable } from '../printable.ts';

const { HttpRequest, HttpResponse } = functions;

interface Registration { methods: string[]; handler: (request: Request, context?: unknown) => Promise<HttpResponseInit> }

export interface Runner { url: string; server: Server; close: () => Promise<void> }

// A request body the handler never reads is still bounded, so a stray upload cannot fill memory.
const MAX_BODY = 64 * 1024;

/** Loads `functionsDir`'s registered handler and serves it on host:port (port 0: a free one). */
export async function startFunctionAppRunner(functionsDir: string, host: string, port: number): Promise<Runner> {
  const entry = pathToFileURL(join(resolve(functionsDir), 'src', 'index.js')).href;
  const { registration } = (await import(entry)) as { registration: Registration };
  const server = createServer((req, res) => {
    handle(registration, req).then(
      async (response) => {
        const headers: Record<string, string> = {};
        response.headers.forEach((value, key) => (headers[key] = value));
        const body = Buffer.from(await response.arrayBuffer());
        res.writeHead(response.status, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (e: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`the handler failed: ${printable(String((e as Error)?.message ?? e))}\n`);
      },
    );
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => done());
  });
  const address = server.address() as { port: number };
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  // The handler serves the app's own default host (Azure: WEBSITE_HOSTNAME); here that is the runner's address.
  process.env.WEBSITE_HOSTNAME = host;
  // closeAllConnections: a browser's idle keep-alive connection would otherwise hold Ctrl-C for seconds.
  return { url, server, close: () => new Promise((done) => { server.close(() => done()); server.closeAllConnections(); }) };
}

async function handle(registration: Registration, req: IncomingMessage): Promise<Response> {
  const method = (req.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return new HttpResponse({ status: 413, body: 'request body too large\n' });
    chunks.push(chunk as Buffer);
  }
  // The Functions host refuses a method the function does not register; so does the runner.
  if (!registration.methods.includes(method)) return new HttpResponse({ status: 404 });
  const request = new HttpRequest({
    method,
    url: `http://${headers.host ?? 'localhost'}${req.url ?? '/'}`,
    headers,
    ...(chunks.length > 0 ? { body: { bytes: Buffer.concat(chunks) } } : {}),
  });
  return new HttpResponse(await registration.handler(request));
}
