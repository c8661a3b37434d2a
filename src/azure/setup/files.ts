// Setup's steps on the user's files: the Azure names written into the config with the folders built from it, the
// pipeline file's variables, and the commit of what changed (the user pushes). Every write goes under the
// project's lock (src/files/change.ts), as build, promote and retire write.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseConfig } from '../../config/config.ts';
import { editConfigFile, type ConfigEdit } from '../../config/edit.ts';
import { pipelineVariables, setPipelineVariables } from '../../config/pipeline-yaml.ts';
import { writeFileAtomic } from '../../files/atomic.ts';
import { withProjectLock } from '../../files/change.ts';
import { hostingOf } from '../../hosting/hosting.ts';
import { builtFolder, outputs, type BuiltFolder } from '../../project/outputs.ts';
import { commitFiles, uncommittedFiles as gitUncommitted } from './git.ts';
import { PIPELINE_FILE, type SetupContext, type State, type Step } from './model.ts';

/** The folders built from the config (src/project/outputs.ts), as git names them from the working folder. */
export const builtFolders = (ctx: SetupContext) => outputs(ctx.r.configPath, ctx.r.config, ctx.r.cwd).folders.map((f) => f.display);

/** The folder the kind's app serves (home/, or a Function App's functions/), as built from the config now. */
export function deployedFolder(ctx: SetupContext, state: State): BuiltFolder {
  return builtFolder(outputs(ctx.r.configPath, state.config, ctx.r.cwd), hostingOf(state.config).deployed)!;
}

/** The files setup writes that git reports as changed (a run that stopped before its commit). */
export function uncommittedFiles(ctx: SetupContext): Promise<string[]> {
  return gitUncommitted(ctx.r.cwd, builtFolders(ctx).concat(ctx.r.configFile, PIPELINE_FILE));
}

/** Whether a built folder differs from a fresh build of the config. */
export async function foldersStale(ctx: SetupContext, state: State): Promise<boolean> {
  const { FOLDER_BUILDERS } = await import('../../site/folders.ts');
  for (const folder of outputs(ctx.r.configPath, state.config, ctx.r.cwd).folders) {
    if ((await FOLDER_BUILDERS[folder.role].stale(state.config, folder.path)).length > 0) return true;
  }
  return false;
}

/** The hosting.* keys the config lacks or has otherwise than this run's names. */
export function configEdits(ctx: SetupContext, state: State): ConfigEdit[] {
  const { r } = ctx;
  const h = state.config.hosting;
  const wanted: [string, string | undefined][] = [
    ['app', r.app],
    ['resource_group', state.resourceGroup],
    ['subscription', r.subscription.id],
    // Known only once the app exists; the step that writes the config runs after the app is created.
    ['default_hostname', state.site?.defaultHostname ?? (h.default_hostname ? undefined : '(new app)')],
    ['dns_resource_group', state.dnsResourceGroup],
  ];
  return wanted
    .filter(([key, value]) => value !== undefined && (h as Record<string, string | undefined>)[key] !== value)
    .map(([key, value]) => ({ path: ['hosting', key], value }));
}

/** The config step (names into the config, folders rebuilt) when anything is missing or stale. */
export function planConfig(ctx: SetupContext, state: State, steps: Step[]): void {
  const { r } = ctx;
  const edits = configEdits(ctx, state);
  if (edits.length === 0 && !state.homeStale) return;
  steps.push({
    key: 'config', needs: state.site ? [] : ['app'],
    title: edits.length > 0
      ? `Write ${edits.map((e) => `hosting.${e.path[1]}`).join(', ')} to ${r.configFile} and rebuild ${builtFolders(ctx).map((f) => `${f}/`).join(' and ')}`
      : `Rebuild ${builtFolders(ctx).map((f) => `${f}/`).join(' and ')} from the config`,
    byHand: `set ${edits.map((e) => `hosting.${e.path[1]}`).join(', ')} in ${r.configFile}, then run npm run build`,
    apply: () => withProjectLock(r.configPath, 'azure setup', () => writeConfig(ctx, state)),
  });
}

async function writeConfig(ctx: SetupContext, state: State): Promise<string> {
  const { r } = ctx;
  const edits = configEdits(ctx, state);
  const changed = await editConfigFile(r.configPath, edits, r.configFile);
  if (changed) state.filesChanged.add(r.configFile);
  const text = await readFile(r.configPath, 'utf8');
  const parsed = parseConfig(text, r.configFile);
  if (!parsed.ok) throw new Error(`${r.configFile} no longer parses after the edit`);
  // The folders are built from the config and committed with it (docs/configuration.md: "Edit the config"); a Function App's
  // package serves the app's default host too, so it follows hosting.default_hostname.
  const { FOLDER_BUILDERS } = await import('../../site/folders.ts');
  for (const folder of outputs(r.configPath, parsed.config, r.cwd).folders) {
    if (await FOLDER_BUILDERS[folder.role].build(parsed.config, folder.path)) state.filesChanged.add(folder.display);
  }
  state.config = parsed.config;
  state.homeStale = false;
  return `${edits.map((e) => `hosting.${e.path[1]}: ${String(e.value)}`).join(', ')}`;
}

/** The pipeline file's declared variables set to `wanted`; `needs`: the pipeline fails to start on an unknown connection. */
export function planYaml(ctx: SetupContext, state: State, wanted: Record<string, string>, steps: Step[], needs: string[] = []): void {
  const { r } = ctx;
  const yaml = state.yaml;
  if (!yaml) return;
  // Exactly the entries setPipelineVariables would rewrite: declared with a plain value that differs.
  const now = pipelineVariables(yaml.text);
  const changes = Object.entries(wanted).filter(([k, v]) => now.has(k) && now.get(k) !== v);
  if (changes.length === 0) return;
  steps.push({
    key: 'yaml', needs, title: `Set ${changes.map(([k, v]) => `${k}: '${v}'`).join(', ')} in ${PIPELINE_FILE}`,
    byHand: `edit the variables at the top of ${PIPELINE_FILE}`,
    apply: () => withProjectLock(r.configPath, 'azure setup', async () => {
      const path = resolve(r.cwd, PIPELINE_FILE);
      const current = await readFile(path, 'utf8');
      const next = setPipelineVariables(current, wanted);
      if (next !== current) {
        await writeFileAtomic(path, next);
        state.filesChanged.add(PIPELINE_FILE);
      }
    }),
  });
}

/** The commit of the files setup changed (and of those a stopped run left uncommitted), for the user to push. */
export function planCommit(ctx: SetupContext, state: State, steps: Step[]): void {
  const { r } = ctx;
  if (!steps.some((s) => s.key === 'config' || s.key === 'yaml') && state.uncommitted.length === 0) return;
  steps.push({
    key: 'commit', needs: [], title: `Commit the changed files (${r.configFile}, ${builtFolders(ctx).map((f) => `${f}/`).join(', ')}${state.yaml ? `, ${PIPELINE_FILE}` : ''}) for you to push`,
    byHand: `git add ${r.configFile} ${builtFolders(ctx).join(' ')} ${PIPELINE_FILE} && git commit -m "MTA-STS setup"`,
    apply: () => {
      for (const f of state.uncommitted) state.filesChanged.add(f);
      return commitFiles(r.cwd, [...state.filesChanged], 'MTA-STS: azure setup wrote the Azure names into the config and pipeline');
    },
  });
}
