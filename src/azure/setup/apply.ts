// Setup's third part: the steps run in order, each reported as done, waiting, failed or skipped; and the step
// bodies that are more than one call: the config and home/, the bindings, the commit.
import { readFile } from 'node:fs/promises';
import { withProjectLock } from '../../files/change.ts';
import { outputs } from '../../project/outputs.ts';
import { parseConfig } from '../../config/config.ts';
import { editConfigFile } from '../../config/edit.ts';
import { printable } from '../../printable.ts';
import { classify, readAzureError, unregisteredNamespace } from '../azure-error.ts';
import { bindDomains } from '../bind.ts';
import { clockOf, poll } from '../retry.ts';
import { commitFiles } from './git.ts';
import { bindFunctionApp } from '../function-app.ts';
import { describe, isFunctionApp, line, rightsMissing, type SetupContext, type Step, type StepOutcome } from './model.ts';
import { configEdits, readHostBindings } from './observe.ts';

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

export async function writeConfig(ctx: SetupContext): Promise<string> {
  // Under the project's lock, as build, promote and retire write (src/files/change.ts).
  return withProjectLock(ctx.r.configPath, 'azure setup', () => writeConfigLocked(ctx));
}

async function writeConfigLocked(ctx: SetupContext): Promise<string> {
  const { r, state } = ctx;
  const edits = configEdits(ctx);
  const changed = await editConfigFile(r.configPath, edits, r.configFile);
  if (changed) state.filesChanged.add(r.configFile);
  const text = await readFile(r.configPath, 'utf8');
  const parsed = parseConfig(text, r.configFile);
  if (!parsed.ok) throw new Error(`${r.configFile} no longer parses after the edit`);
  // The folders are built from the config and committed with it (README: Edit the config); a Function App's
  // package serves the app's default host too, so it follows hosting.default_hostname.
  const { FOLDER_BUILDERS } = await import('../../site/folders.ts');
  for (const folder of outputs(r.configPath, parsed.config, r.cwd).folders) {
    if (await FOLDER_BUILDERS[folder.role].build(parsed.config, folder.path)) state.filesChanged.add(folder.display);
  }
  r.config = parsed.config;
  return `${edits.map((e) => `hosting.${e.path[1]}: ${String(e.value)}`).join(', ')}`;
}

/** Binds what can be bound; says which hosts still wait for their CNAME (the step is then not "done"). */
export async function bind(ctx: SetupContext): Promise<string | StepOutcome> {
  if (isFunctionApp(ctx)) return bindFunctionAppHosts(ctx);
  const { r, state } = ctx;
  const before = ctx.reporter.failures;
  // Reuses `mta-sts azure bind`: CNAMEs in Azure DNS, validation retries, already-bound hosts skipped.
  await bindDomains({
    config: r.config, target: { app: r.app, resourceGroup: r.resourceGroup, dnsResourceGroup: r.dnsResourceGroup },
    clients: ctx.arm, web: ctx.d.web, reporter: ctx.reporter,
    attempts: ctx.d.bindAttempts, baseDelayMs: ctx.d.bindDelayMs, sleep: ctx.d.sleep, pollIntervalMs: ctx.d.pollIntervalMs,
    throttle: { sleep: ctx.d.sleep }, skipCaa: true,
  });
  state.bound.clear();
  for await (const d of ctx.arm.web.staticSites.listStaticSiteCustomDomains(r.resourceGroup, r.app)) {
    const name = (d.domainName ?? d.name ?? '').toLowerCase();
    if (name) state.bound.set(name, d);
  }
  if (ctx.reporter.failures > before) throw new Error('binding failed for a domain (see the error above)');
  const hosts = r.config.domains.map((d) => `mta-sts.${d}`);
  const bound = hosts.filter((h) => state.bound.has(h) && state.bound.get(h)!.status !== 'Failed');
  const waiting = hosts.filter((h) => !bound.includes(h));
  if (waiting.length === 0) return `bound ${bound.join(', ')}`;
  return { state: 'waiting', detail: `${bound.length > 0 ? `bound ${bound.join(', ')}; ` : 'nothing bound yet; '}${waiting.join(', ')} wait${waiting.length === 1 ? 's' : ''} for the CNAME at your DNS host (below)` };
}

/**
 * A Function App's hosts through `mta-sts azure bind` (src/azure/function-app.ts): per host the CNAME and asuid TXT
 * (Azure DNS, or printed), the host-name binding, the managed certificate, SNI. Done only when every host is ready.
 */
async function bindFunctionAppHosts(ctx: SetupContext): Promise<string | StepOutcome> {
  const { r } = ctx;
  const before = ctx.reporter.failures;
  const states = await bindFunctionApp({
    config: r.config, target: { app: r.app, resourceGroup: r.resourceGroup, dnsResourceGroup: r.dnsResourceGroup },
    clients: ctx.arm, reporter: ctx.reporter, throttle: { sleep: ctx.d.sleep }, sleep: ctx.d.sleep, now: ctx.d.now, certificatePollMs: ctx.d.pollIntervalMs,
  });
  await readHostBindings(ctx);
  if (ctx.reporter.failures > before) throw new Error('binding failed for a domain (see the error above)');
  const hosts = r.config.domains.map((d) => `mta-sts.${d}`);
  const ready = hosts.filter((h) => states.get(h) === 'ready');
  if (ready.length === hosts.length) return `ready with their managed certificates: ${ready.join(', ')}`;
  const of = (s: string) => hosts.filter((h) => states.get(h) === s);
  const parts = [
    ready.length > 0 ? `ready: ${ready.join(', ')}` : '',
    of('certificate pending').length > 0 ? `certificate pending (App Service is issuing it; the next run or the pipeline binds it): ${of('certificate pending').join(', ')}` : '',
    of('waiting for DNS').length > 0 ? `waiting for DNS (their CNAME and asuid TXT, printed below): ${of('waiting for DNS').join(', ')}` : '',
  ].filter(Boolean);
  return { state: 'waiting', detail: parts.join('; ') };
}

export function commit(ctx: SetupContext): Promise<string> {
  return commitFiles(ctx.r.cwd, [...ctx.state.filesChanged], 'MTA-STS: azure setup wrote the Azure names into the config and pipeline');
}
