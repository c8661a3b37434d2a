// The Function App's entry (package.json "main"): registers the one HTTP function on the Node.js v4 programming
// model. Every method and every path reach the handler, which answers 404 and 405 itself; host.json's empty
// routePrefix puts the routes at the root, so /.well-known/mta-sts.txt is served as senders fetch it.
import { app } from '@azure/functions';
import { mtaSts } from './handler.js';

/** What is registered; the local runner (mta-sts preview) calls this same handler. */
export const registration = {
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  authLevel: 'anonymous',
  route: '{*path}',
  handler: mtaSts,
};

app.http('mta-sts', registration);
