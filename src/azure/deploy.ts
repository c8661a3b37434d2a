// Deploying a built folder to the app: `azure setup` makes the first policy live itself, so no pipeline run (and
// no hosted-parallelism grant) stands between a fork and a live policy; the pipeline deploys every later change.
// One deployer per kind of app; the production one is wired in src/cli/production.ts, tests pass their own.
import type { TokenCredential } from '@azure/identity';

/** A Static Web App's content, deployed with the app's deployment token (src/azure/swa-deploy.ts). */
export interface SwaDeployment {
  /** The built site folder (home/). */
  folder: string;
  /** The deployment token (listSecrets' apiKey): handed to the deploy tool in its environment, never on a command line. */
  token: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Each line the deploy tool prints, already made printable. */
  onLine: (line: string) => void;
}

/** A Function App's package, deployed as a zip with the caller's own Azure sign-in (src/azure/zip-deploy.ts). */
export interface ZipDeployment {
  /** The built package folder (functions/). */
  folder: string;
  app: string;
  /** The app's deployment (Kudu) host, <app>.scm.azurewebsites.net, as ARM names it. */
  scmHost: string;
  credential: TokenCredential;
  /** The ARM endpoint: Kudu takes a token for ARM's audience from a caller with publish rights on the site. */
  armEndpoint: string;
  /** The run's environment: its HTTPS_PROXY, if any, carries the upload as it carries the SDKs' calls. */
  env: NodeJS.ProcessEnv;
  /** The test CA (the product trusts NODE_EXTRA_CA_CERTS like any Node program). */
  ca?: string | undefined;
  onLine: (line: string) => void;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  now?: (() => number) | undefined;
  /** Between two looks at a deployment in progress (default 5 s). */
  pollIntervalMs?: number | undefined;
}

export interface Deployer {
  staticWebApp(d: SwaDeployment): Promise<void>;
  functionApp(d: ZipDeployment): Promise<void>;
}

/** A deployment the service refused or could not finish; `status` is its HTTP answer when it refused (401, 403…). */
export class DeployError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}
