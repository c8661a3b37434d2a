// The CI targets a setup request names (model.ts CiTarget): each one observes what it has and plans its own steps.
import { azureDevOps } from './azure-devops.ts';
import { gitHub } from './github.ts';
import type { CiTarget, SetupRequest } from './model.ts';

export function ciTargets(r: SetupRequest): CiTarget[] {
  const targets: CiTarget[] = [];
  if (r.devops) targets.push(azureDevOps(r.devops));
  if (r.github) targets.push(gitHub(r.github));
  return targets;
}
