// The GitHub Actions CI target of `mta-sts azure setup --github OWNER/REPO`: the workflow's Azure identity the same
// way as Azure DevOps' (the user-assigned managed identity and its roles: pipeline-identity.ts), trusting GitHub's
// OIDC tokens for runs of main (identity.ts, githubCredential), then the repository's Actions variables and the
// deployment secret the kind's adapter names, through GitHub's REST API with the admin's token (GH_TOKEN or
// GITHUB_TOKEN), or without one the exact `gh` commands to run. The token goes from Azure to GitHub sealed to the
// repository's key; it is never printed.
import { printable } from '../../printable.ts';
import { GITHUB_API, GITHUB_API_ENV, GitHubRepository, tokenFrom } from '../../github/repository.ts';
import { IDENTITY_NAME, federateAs, federateCommand, githubCredential, isFederatedAs } from '../identity.ts';
import { StepFailure, describe, fingerprint, guid, line, type CiTarget, type GitHubTarget, type SetupContext, type State, type Step } from './model.ts';
import { WORKFLOW_FILE, WORKFLOW_TOKEN_FINGERPRINT, WORKFLOW_TOKEN_SECRET, WORKFLOW_VARIABLES, type WorkflowVariable } from './names.ts';
import { identitySteps, observeIdentity } from './pipeline-identity.ts';

/** GitHub Actions, with --github OWNER/REPO. */
export function gitHub(target: GitHubTarget): CiTarget {
  return {
    name: 'GitHub Actions',
    async observe(ctx, state) {
      if (state.rgExists) await observeIdentity(ctx, state);
      await observeGitHub(ctx, state, target);
    },
    plan(ctx, state, steps) {
      identitySteps(ctx, state, steps);
      planGitHub(ctx, state, target, steps);
    },
    nextSteps: (ctx, state) => gitHubNextSteps(ctx, state, target),
  };
}

/** The repository as GitHub spells it once read (the OIDC subject must match it to the letter), else as typed. */
const repositoryName = (state: State, target: GitHubTarget) => state.github?.fullName ?? target.repository;

/** With a token: the repository, the variables the workflow reads, and whether the secret is there. */
async function observeGitHub(ctx: SetupContext, state: State, target: GitHubTarget): Promise<void> {
  const token = tokenFrom(ctx.d.env);
  if (token) {
    const repo = new GitHubRepository(target.repository, { token, baseUrl: ctx.d.env[GITHUB_API_ENV] || GITHUB_API, fetch: ctx.d.githubFetch });
    try {
      const info = await repo.read();
      if (info.fullName !== target.repository) line(ctx, `GitHub spells the repository ${info.fullName}; using that (the workflow's token names it so).`);
      const variables: Partial<Record<string, string>> = {};
      for (const name of [...WORKFLOW_VARIABLES, WORKFLOW_TOKEN_FINGERPRINT]) variables[name] = await repo.variable(name);
      const secret = ctx.hosting.pipelineSecret(ctx, state) ? await repo.secretExists(WORKFLOW_TOKEN_SECRET) : false;
      state.github = { fullName: info.fullName, defaultBranch: info.defaultBranch, variables, secret, client: repo };
    } catch (e) {
      throw new StepFailure(`cannot read GitHub repository ${target.repository}: ${describe(e)}`, { cause: e });
    }
    if (state.github.defaultBranch !== 'main') {
      ctx.reporter.warn(`${state.github.fullName}'s default branch is ${printable(state.github.defaultBranch)}, but ${WORKFLOW_FILE} deploys from main: push to main, or rename the branch (docs/github-actions.md: "Troubleshooting")`);
    }
  }
  if (state.identity) {
    try {
      state.githubFederated = await isFederatedAs(ctx.identities, state.resourceGroup, githubCredential(repositoryName(state, target)));
    } catch (e) {
      throw new StepFailure(`cannot read the federated credentials of ${IDENTITY_NAME}: ${describe(e)}`, { cause: e });
    }
  }
}

/** The values the workflow's variables must hold, once the identity exists. */
function wantedVariables(ctx: SetupContext, state: State): Record<WorkflowVariable, string> | undefined {
  const identity = state.identity;
  if (!identity) return undefined;
  return { AZURE_CLIENT_ID: identity.clientId, AZURE_TENANT_ID: identity.tenantId, AZURE_SUBSCRIPTION_ID: ctx.r.subscription.id };
}

/** The exact gh commands for the variables and the secret (no value of the secret: az pipes it into gh). */
function ghCommands(ctx: SetupContext, state: State, target: GitHubTarget): string[] {
  const repo = repositoryName(state, target);
  const wanted = wantedVariables(ctx, state);
  const value = (name: WorkflowVariable) => guid(wanted?.[name]) ?? `<${name}>`;
  const lines = WORKFLOW_VARIABLES.map((name) => `gh variable set ${name} --repo ${repo} --body ${value(name)}`);
  const secret = ctx.hosting.pipelineSecret(ctx, state);
  if (secret) lines.push(`${secret.show} | gh secret set ${WORKFLOW_TOKEN_SECRET} --repo ${repo}`);
  return lines;
}

function planGitHub(ctx: SetupContext, state: State, target: GitHubTarget, steps: Step[]): void {
  const rg = state.resourceGroup;
  const repo = repositoryName(state, target);
  if (!state.githubFederated) {
    const c = githubCredential(repo);
    steps.push({
      key: 'gh-federation', needs: state.identity ? [] : ['identity'],
      title: `Let ${IDENTITY_NAME} trust GitHub Actions runs of main in ${repo} (federated credential ${c.name}: issuer ${c.issuer}, subject ${c.subject})`,
      byHand: federateCommand(rg, c),
      apply: async () => {
        await federateAs(ctx.identities, rg, c);
        state.githubFederated = true;
        return `audience ${c.audience}`;
      },
    });
  }
  const gh = state.github;
  if (!gh) return; // no token: nextSteps prints the gh commands
  const wanted = wantedVariables(ctx, state);
  const stale = WORKFLOW_VARIABLES.filter((name) => !wanted || gh.variables[name] !== wanted[name]);
  if (stale.length > 0) {
    steps.push({
      key: 'gh-variables', needs: state.identity ? [] : ['identity'],
      title: `Set the Actions variable${stale.length === 1 ? '' : 's'} ${stale.join(', ')} of ${repo} (the identity ${WORKFLOW_FILE} signs in as)`,
      byHand: () => ghCommands(ctx, state, target).filter((c) => c.startsWith('gh variable')).join(' ; '),
      apply: async () => {
        const values = wantedVariables(ctx, state)!;
        for (const name of stale) {
          await gh.client.setVariable(name, values[name], gh.variables[name] !== undefined);
          gh.variables[name] = values[name];
        }
        return stale.map((n) => `${n} = ${values[n]}`).join(', ');
      },
    });
  }
  // A Function App deploys through azure/login: its adapter names no secret.
  const secret = ctx.hosting.pipelineSecret(ctx, state);
  if (!secret) return;
  const current = gh.secret && secret.value !== undefined && gh.variables[WORKFLOW_TOKEN_FINGERPRINT] === fingerprint(secret.value);
  if (!current) {
    steps.push({
      key: 'gh-secret', needs: state.site ? [] : ['app'],
      title: `${gh.secret ? 'Update' : 'Set'} the Actions secret ${WORKFLOW_TOKEN_SECRET} of ${repo} = ${secret.what} (sealed to the repository's key)`,
      byHand: () => ghCommands(ctx, state, target).filter((c) => c.includes('gh secret')).join(''),
      apply: async () => {
        // Read now: the app (and so its token) may have been created by a step of this run.
        const value = ctx.hosting.pipelineSecret(ctx, state)?.value;
        if (!value) throw new Error(`${secret.what} is not known yet; run the same command again`);
        await gh.client.setSecret(WORKFLOW_TOKEN_SECRET, value);
        gh.secret = true;
        const print = fingerprint(value);
        await gh.client.setVariable(WORKFLOW_TOKEN_FINGERPRINT, print, gh.variables[WORKFLOW_TOKEN_FINGERPRINT] !== undefined);
        gh.variables[WORKFLOW_TOKEN_FINGERPRINT] = print;
        return `its sha256 fingerprint ${print} in the variable ${WORKFLOW_TOKEN_FINGERPRINT}`;
      },
    });
  }
}

/** What is left for the GitHub route: without a token, the exact gh commands. */
function gitHubNextSteps(ctx: SetupContext, state: State, target: GitHubTarget): string[] {
  if (state.github) return [];
  const secret = ctx.hosting.pipelineSecret(ctx, state);
  const lines = [`GitHub: no GH_TOKEN or GITHUB_TOKEN was set, so set the repository's variables${secret ? ' and secret' : ''} with the GitHub CLI (after gh auth login), or run this command again with GH_TOKEN set (docs/github-actions.md: "Setting the variables by hand"):`];
  if (!state.identity) lines.push(`  (${IDENTITY_NAME} does not exist yet, so its ids are shown as <…>: run this command again once it does)`);
  for (const c of ghCommands(ctx, state, target)) lines.push(`  ${c}`);
  if (secret) lines.push('  (the deployment token goes from az to gh through the pipe: it is never shown)');
  return lines;
}
