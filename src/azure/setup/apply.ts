// Setup's third part: the planned steps run in order, each reported as done, waiting, failed or skipped (the
// steps' bodies are in the modules that plan them). A step whose resource provider the subscription never used
// registers it and runs once more.
import { printable } from '../../printable.ts';
import { classify, readAzureError, unregisteredNamespace } from '../azure-error.ts';
import { clockOf, poll } from '../retry.ts';
import { describe, line, rightsMissing, type SetupContext, type Step, type StepOutcome } from './model.ts';

export async function apply(ctx: SetupContext, steps: Step[]): Promise<boolean> {
  const done: number[] = [];
  const failedAt: number[] = [];
  const skipped: number[] = [];
  const failed = new Set<string>();
  const byHand: string[] = [];
  // Steps that failed for want of rights, and those skipped because of them: whoever has the rights does all of them.
  const lacksRights = new Set<string>();
  const how = (step: Step) => (typeof step.byHand === 'function' ? step.byHand() : step.byHand);
  for (const [i, step] of steps.entries()) {
    const n = `[${i + 1}/${steps.length}]`;
    if (step.needs.some((k) => failed.has(k))) {
      failed.add(step.key);
      skipped.push(i + 1);
      line(ctx, `${n} ${step.title}: skipped (it needs a step that failed)`);
      if (step.needs.some((k) => lacksRights.has(k))) {
        lacksRights.add(step.key);
        byHand.push(`${step.title}: skipped, as it needs a step above; after that: ${how(step)}`);
      }
      continue;
    }
    let outcome = await attempt(step);
    // A subscription that never used a resource provider refuses its resources until it is registered.
    const namespace = 'error' in outcome ? unregistered(outcome.error) : undefined;
    if (namespace && (await registerProvider(ctx, namespace))) outcome = await attempt(step);
    if ('detail' in outcome) {
      const { detail } = outcome;
      done.push(i + 1);
      if (typeof detail === 'object') line(ctx, `${n} ${step.title}: ${detail.state} (${detail.detail})`);
      else line(ctx, `${n} ${step.title}: done${detail ? ` (${detail})` : ''}`);
    } else {
      const e = outcome.error;
      failed.add(step.key);
      failedAt.push(i + 1);
      ctx.reporter.fail(`${n} ${step.title}: failed: ${describe(e)}`);
      const stillUnregistered = unregistered(e);
      if (rightsMissing(e) || stillUnregistered) {
        lacksRights.add(step.key);
        const first = stillUnregistered ? `az provider register --namespace ${stillUnregistered} (once Registered) then ` : '';
        byHand.push(`${step.title}: you lack the rights for this step; someone who has them can do it by hand: ${first}${how(step)}`);
      }
    }
  }
  if (failed.size === 0) return true;
  const list = (xs: number[]) => (xs.length ? xs.join(', ') : 'none');
  line(ctx, '');
  line(ctx, `Done: steps ${list(done)}. Failed: ${list(failedAt)}. Skipped: ${list(skipped)}. ${ctx.r.configFile} is either fully updated or unchanged.`);
  for (const b of byHand) line(ctx, `By hand: ${b}`);
  line(ctx, 'Run the same command again to continue from here: it only does what is still missing.');
  return false;
}

async function attempt(step: Step): Promise<{ detail: string | void | StepOutcome } | { error: unknown }> {
  try {
    return { detail: await step.apply() };
  } catch (error) {
    return { error };
  }
}

/** The namespace of a MissingSubscriptionRegistration answer (checked: it goes into a printed command). */
function unregistered(e: unknown): string | undefined {
  const a = readAzureError(e);
  return classify(a) === 'unregistered' ? unregisteredNamespace(a) : undefined;
}

/**
 * Registers a resource provider on the subscription, as `az provider register` does (POST …/providers/{ns}/register,
 * which needs {ns}/register/action on the subscription: Contributor or Owner there), and waits, bounded, until it
 * reads Registered. False when the caller may not, or it did not finish: the step then fails naming the command.
 */
async function registerProvider(ctx: SetupContext, namespace: string): Promise<boolean> {
  line(ctx, `The subscription has never used ${namespace}: registering it (az provider register --namespace ${namespace})`);
  try {
    await ctx.resources.providers.register(namespace);
  } catch (e) {
    line(ctx, `Registering ${namespace} failed: ${describe(e)}`);
    return false;
  }
  const looks = 40;
  const result = await poll(async () => {
    const state = (await ctx.resources.providers.get(namespace)).registrationState ?? '';
    return { done: /^registered$/i.test(state), value: state };
  }, {
    attempts: looks, delayMs: 15_000, clock: clockOf(ctx.d),
    onWait: (ms, n, state) => line(ctx, `  ${namespace} is ${printable(state) || 'not registered yet'} (look ${n} of ${looks}); next look in ${ms / 1000} s`),
  }).catch((e: unknown) => {
    line(ctx, `Reading the registration of ${namespace} failed: ${describe(e)}`);
    return { done: false };
  });
  if (result.done) line(ctx, `  ${namespace} is registered`);
  return result.done;
}
