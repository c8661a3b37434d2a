// What the program writes for a config, and where: the one list of outputs. Everything is relative to the
// project root, the folder of the config file, so `--config cfg/x.yaml` builds, verifies, promotes and
// retires cfg/home/ and cfg/functions/ alike (the pipelines use the default config, at the repository root).
// Nothing else names these files and folders.
import { dirname, join, relative, resolve } from 'node:path';
import { hostingOf, type FolderRole, type HostingKind } from '../hosting/hosting.ts';

export type { FolderRole } from '../hosting/hosting.ts';

/** The default name of each built folder, inside the project root. */
export const FOLDER_NAMES: Readonly<Record<FolderRole, string>> = { site: 'home', functions: 'functions' };
/** What `promote` writes beside the config (src/rollout/evidence.ts). */
export const EVIDENCE_FILE = 'mta-sts.evidence.json';
/** The record of a change in progress, which is also the lock on the project's files (src/files/change.ts). */
export const JOURNAL_FILE = '.mta-sts.change.json';

export interface BuiltFolder {
  role: FolderRole;
  /** Absolute path. */
  path: string;
  /** How messages name it: relative to the working folder, as the user would type it. */
  display: string;
}

export interface Outputs {
  /** The project root: the config's folder. */
  root: string;
  /** The config file, absolute (not resolved through links). */
  config: string;
  /** The folders the hosting kind builds, in build order. */
  folders: BuiltFolder[];
  evidence: string;
  journal: string;
}

/** `--out DIR` and `--functions-out DIR` of build, verify and preview: relative to the working folder. */
export type FolderOverrides = Partial<Record<FolderRole, string>>;

/** The overrides from the options `--out` and `--functions-out`, as parseOptions gives them. */
export function folderOverrides(values: { out?: string | undefined; 'functions-out'?: string | undefined }): FolderOverrides {
  return { ...(values.out !== undefined ? { site: values.out } : {}), ...(values['functions-out'] !== undefined ? { functions: values['functions-out'] } : {}) };
}

export function projectRoot(configPath: string): string {
  return dirname(resolve(configPath));
}

/** Where a built folder goes: the override (from `cwd`) when given, else its default name in the project root. */
export function folderPath(configPath: string, role: FolderRole, cwd: string, overrides: FolderOverrides = {}): string {
  const override = overrides[role];
  return override !== undefined ? resolve(cwd, override) : join(projectRoot(configPath), FOLDER_NAMES[role]);
}

/** `config`: the loaded config (only its hosting kind matters here). */
export function outputs(configPath: string, config: { hosting: { kind: HostingKind } }, cwd: string, overrides: FolderOverrides = {}): Outputs {
  const config_ = resolve(cwd, configPath);
  const root = projectRoot(config_);
  return {
    root,
    config: config_,
    folders: hostingOf(config).folders.map((role) => {
      const path = folderPath(config_, role, cwd, overrides);
      return { role, path, display: displayPath(cwd, path) };
    }),
    evidence: join(root, EVIDENCE_FILE),
    journal: join(root, JOURNAL_FILE),
  };
}

/** The folder of one role for this config, when its kind builds it. */
export function builtFolder(out: Outputs, role: FolderRole): BuiltFolder | undefined {
  return out.folders.find((f) => f.role === role);
}

/**
 * Every path of the project that a change may name, whatever the kind: a journal naming anything else was not
 * written by this program (src/files/change.ts refuses it).
 */
export function changeablePaths(configPath: string): { files: string[]; folders: string[] } {
  const root = projectRoot(configPath);
  return { files: [resolve(configPath), join(root, EVIDENCE_FILE)], folders: Object.values(FOLDER_NAMES).map((n) => join(root, n)) };
}

export function displayPath(cwd: string, path: string): string {
  return relative(cwd, path) || '.';
}

/** "home/ is" or "home/ and functions/ are": the built folders in a sentence. */
export function foldersPhrase(out: Outputs): { list: string; verb: 'is' | 'are'; names: string[] } {
  const names = out.folders.map((f) => `${f.display}/`);
  const list = names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return { list, verb: names.length === 1 ? 'is' : 'are', names };
}
