// `mta-sts azure setup`: one idempotent run from "domains in the config" to a pipeline that can deploy. It looks
// at what exists (resource group, Static Web App, config keys, Azure DevOps variable group, service connection,
// pipeline and its permissions, custom domains), prints a numbered plan of what is missing, asks once, then does
// it step by step. Every step re-reads before it writes, so a second run, or a run after a half-finished one,
// only does what is still missing. It makes the first policy live itself (deploy, bind, TXT once live: no pipeline
// run needed) and ends with `mta-sts check`'s verdict. The deployment token is read into memory and sent to Azure
// DevOps and to `swa deploy` (in its environment) only.
// The run is step modules over a frozen request and an explicit state: observe returns the State, plan builds
// the steps from (request, state), apply runs them; what differs per hosting kind is its adapter's (ctx.hosting),
// what differs per CI target is the target's (ctx.ci).
import { ResourceManagementClient } from '@azure/arm-resources';
import { StorageManagementClient } from '@azure/arm-storage';
import { Reporter } from './annotations.ts';
import { armClientOptions, armClients } from './arm.ts';
import { azureHosting } from './hosting.ts';
import { identityClients } from './identity.ts';
import { apply } from './setup/apply.ts';
import { ciTargets } from './setup/ci-targets.ts';
import { StepFailure, describe, freezeRequest, line, type SetupContext, type SetupDeps, type SetupRequest, type State, type Step } from './setup/model.ts';
import { observe } from './setup/observe.ts';
import { plan } from './setup/plan.ts';
import { finalState, nextSteps, verdict, waitForExternalCnames } from './setup/report.ts';

/** The context of one run: the frozen request, the ARM clients on its endpoint and subscription, the kind's steps, the CI targets. */
export async function setupContext(request: SetupRequest, d: SetupDeps): Promise<SetupContext> {
  const r = freezeRequest(request);
  const azure = azureHosting(r.config);
  return {
    r, d,
    arm: armClients({ endpoint: r.armEndpoint, subscription: r.subscription.id, credential: d.credential, ca: d.armCa }),
    resources: new ResourceManagementClient(d.credential, r.subscription.id, armClientOptions({ endpoint: r.armEndpoint, ca: d.armCa })),
    storage: new StorageManagementClient(d.credential, r.subscription.id, armClientOptions({ endpoint: r.armEndpoint, ca: d.armCa })),
    identities: identityClients({ endpoint: r.armEndpoint, subscription: r.subscription.id, credential: d.credential, ca: d.armCa }),
    reporter: new Reporter(d.out, d.env),
    hosting: await azure.setup(),
    pipelineGrant: azure.pipelineGrant,
    ci: ciTargets(r),
  };
}

/** The whole run; the exit code (0 done or only waiting on the user's DNS, 1 a step failed). */
export async function run(ctx: SetupContext): Promise<number> {
  let state: State;
  let steps: Step[];
  try {
    state = await observe(ctx);
    steps = plan(ctx, state);
  } catch (e) {
    ctx.reporter.fail(`${e instanceof StepFailure ? e.message : `reading the current state failed: ${describe(e)}`}. Nothing was changed; fix that and run the same command again.`);
    return 1;
  }

  if (steps.length === 0) {
    line(ctx, 'Nothing to change: every resource and setting is already in place.');
  } else {
    line(ctx, `Plan (${steps.length} change${steps.length === 1 ? '' : 's'}):`);
    steps.forEach((s, i) => line(ctx, `  ${String(i + 1).padStart(2)}. ${s.title}`));
    if (!(await ctx.d.confirm(`Apply these ${steps.length} changes? [y/N] `))) {
      line(ctx, 'Nothing was changed.');
      return 0;
    }
    if (!(await apply(ctx, steps))) {
      await finalState(ctx, state);
      await verdict(ctx, state);
      return 1;
    }
  }

  await waitForExternalCnames(ctx, state);
  await finalState(ctx, state);
  nextSteps(ctx, state);
  // Its last line: what `mta-sts check` says of every domain now.
  await verdict(ctx, state);
  return ctx.reporter.finish();
}
