// docs/azure-rights.md's table of who needs which Azure rights is the one `azure setup` grants (model.ts wantedGrants), and each
// role it names is a built-in role the emulator checks with Microsoft's published actions (authorization.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../src/azure/identity.ts';
import { azureHosting } from '../../src/azure/hosting.ts';
import { wantedGrants } from '../../src/azure/setup/model.ts';
import { BUILT_IN_ROLES } from './authorization.ts';

const doc = readFileSync(join(process.cwd(), 'docs', 'azure-rights.md'), 'utf8');
const section = doc.slice(doc.indexOf('## Who needs which Azure rights'));
const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| Identity'))
  .map((l) => l.split('|').slice(1, -1).map((c) => c.trim().replace(/^`|`$/g, '')));

/** What setup grants for a hosting kind, with placeholders for the names. */
function granted(kind: 'static-web-app' | 'function-app'): string[][] {
  return wantedGrants({
    app: azureHosting({ hosting: { kind } }).pipelineGrant({ subscription: '{subscription}', resourceGroup: '{app group}', app: '{app}' }),
    subscription: '{subscription}', dnsResourceGroup: '{zones group}', domains: ['contoso.com'], zones: ['contoso.com'], zoneGroups: new Map([['contoso.com', '{zones group}']]),
  }).map((g) => [g.role, g.scope]);
}

describe('docs/azure-rights.md: Who needs which Azure rights', () => {
  it.each(['static-web-app', 'function-app'] as const)('the pipeline identity\'s rows for %s are exactly what setup grants', (kind) => {
    const table = rows.filter((r) => r[0] === `mta-sts-pipeline (hosting.kind ${kind})`).map((r) => [r[2], r[3]]);
    expect(table).toEqual(granted(kind));
  });

  it('every role it names is a built-in role with its published id, in the code and in the emulator', () => {
    // "Owner, or Contributor plus User Access Administrator" names three roles.
    const roles = new Set(rows.flatMap((r) => r[2]!.split(/, or | plus |, /).map((x) => x.trim())));
    for (const role of roles) {
      expect(Object.keys(BUILT_IN_ROLES), role).toContain(role);
      if (role in ROLES) expect(ROLES[role as keyof typeof ROLES]).toBe(BUILT_IN_ROLES[role as keyof typeof BUILT_IN_ROLES].id);
    }
    expect(roles).toEqual(new Set(['Owner', 'Contributor', 'User Access Administrator', 'DNS Zone Contributor', 'Website Contributor']));
  });
});
