// How each built folder of src/project/outputs.ts is built, compared and staged, by its role. Loaded on use:
// it brings Vite.
import type { Config } from '../config/config.ts';
import type { FolderRole } from '../project/outputs.ts';
import { buildSite, stageSite, staleFiles, type BuildHook } from './build.ts';
import { buildFunctionApp, stageFunctionApp, staleFunctionApp } from './function-app.ts';

export { SiteError } from './build.ts';

export interface FolderBuilder {
  /** Writes the folder; false when it was already current. */
  build(config: Config, out: string, hook?: BuildHook): Promise<boolean>;
  /** The files that differ from a fresh build (empty when current). */
  stale(config: Config, out: string): Promise<string[]>;
  /** For a journalled change: the fresh build goes to `.out.new`; false when current. */
  stage(config: Config, out: string, hook?: BuildHook): Promise<boolean>;
  /** What it holds, and what a fresh one is called, for messages. */
  contents: string;
  fresh: string;
}

export const FOLDER_BUILDERS: Readonly<Record<FolderRole, FolderBuilder>> = {
  site: {
    build: (config, out, hook) => buildSite(config, out, undefined, hook),
    stale: (config, out) => staleFiles(config, out),
    stage: stageSite,
    contents: '.well-known/mta-sts.txt, index.html, staticwebapp.config.json',
    fresh: 'the fresh build',
  },
  functions: {
    build: (config, out, hook) => buildFunctionApp(config, out, undefined, hook),
    stale: (config, out) => staleFunctionApp(config, out),
    stage: stageFunctionApp,
    contents: 'host.json, package.json, src/: the Function App package; commit it',
    fresh: 'the fresh Function App package',
  },
};
