// The pipeline's Azure identity, whichever CI target runs the pipeline: a user-assigned managed identity in the
// app's resource group (no Entra ID rights needed to make one) and the roles it needs (model.ts grantsFor).
import {
  IDENTITY_NAME, createIdentity, grant, grantCommand, missingGrants, readIdentity,
} from '../identity.ts';
import { StepFailure, describe, grantsFor, type SetupContext, type State, type Step } from './model.ts';

/** The pipeline's managed identity in the app's resource group, and the roles it still lacks. */
export async function observeIdentity(ctx: SetupContext, state: State): Promise<void> {
  try {
    state.identity = await readIdentity(ctx.identities, state.resourceGroup);
    const wanted = grantsFor(ctx, state);
    // Without the app (or the identity) nothing is granted yet; a scope that does not exist cannot be listed.
    state.missingGrants = state.identity && state.site ? await missingGrants(ctx.identities, state.identity.principalId, wanted) : wanted;
  } catch (e) {
    throw new StepFailure(`cannot read the pipeline's managed identity ${IDENTITY_NAME} in ${state.resourceGroup}: ${describe(e)}`, { cause: e });
  }
}

/** The identity and its missing roles, each only when still missing. */
export function identitySteps(ctx: SetupContext, state: State, steps: Step[]): void {
  const { r } = ctx;
  const rg = state.resourceGroup;
  if (!state.identity) {
    steps.push({
      key: 'identity', needs: state.rgExists ? [] : ['rg'],
      title: `Create managed identity ${IDENTITY_NAME} in ${rg} (the pipeline's Azure identity; no Entra ID rights needed)`,
      byHand: `az identity create -n ${IDENTITY_NAME} -g ${rg} -l ${r.region}`,
      apply: async () => {
        state.identity = await createIdentity(ctx.identities, rg, r.region);
        return `client id ${state.identity.clientId}`;
      },
    });
  }
  const grants = state.identity ? state.missingGrants : grantsFor(ctx, state);
  if (grants.length > 0) {
    const what = grants.map((g) => `${g.role} on ${g.scope.split('/').slice(-2).join(' ')}`).join(', ');
    steps.push({
      key: 'roles', needs: [...(state.identity ? [] : ['identity']), ...(state.site ? [] : ['app'])],
      title: `Give ${IDENTITY_NAME} ${what}`,
      // Known once the identity exists: the exact commands for someone with Owner or User Access Administrator.
      byHand: () => grants.map((g) => grantCommand(state.identity?.principalId ?? '<principal id of ' + IDENTITY_NAME + '>', g)).join(' ; '),
      apply: async () => {
        for (const g of grants) await grant(ctx.identities, r.subscription.id, state.identity!.principalId, g);
        state.missingGrants = [];
        return `${grants.length} role assignment(s)`;
      },
    });
  }
}
