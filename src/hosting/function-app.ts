// hosting.kind function-app: one Azure Functions app serves every domain from the package in functions/
// (home/ is still built: the package carries its bytes, and reviewers read the policy there).
import type { Hosting } from './adapter.ts';

export const FUNCTION_APP: Hosting = {
  kind: 'function-app',
  name: 'Function App',
  folders: ['site', 'functions'],
  deployed: 'functions',
};
