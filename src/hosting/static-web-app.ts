// hosting.kind static-web-app: Azure Static Web Apps serves home/ as it is.
import type { Hosting } from './adapter.ts';

export const STATIC_WEB_APP: Hosting = {
  kind: 'static-web-app',
  name: 'Static Web App',
  folders: ['site'],
  deployed: 'site',
};
