// The shape of a hosting adapter: everything that differs between the kinds of app that can serve the policy.
import type { HostingKind } from '../config/raw-config.ts';

/** The folders a build can write: the site (policy, page, SWA config) and the Function App package. */
export type FolderRole = 'site' | 'functions';

export interface Hosting {
  kind: HostingKind;
  /** What the app is called in messages: "Static Web App", "Function App". */
  name: string;
  /** The folders `build` writes for this kind, in build order (src/project/outputs.ts says where each goes). */
  folders: readonly FolderRole[];
  /** The folder the pipeline deploys. */
  deployed: FolderRole;
}
