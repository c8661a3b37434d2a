// `azure setup` is step modules over a frozen request and an explicit state (issue 23, item 5): the request cannot
// be changed by any step, and observe, plan and apply do not import one another.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freezeRequest, type SetupRequest } from '../../src/azure/setup/model.ts';

describe('azure setup: request, state and steps', () => {
  it('the request is frozen all the way down, and a copy: the caller\'s object stays as it was', () => {
    const asked = {
      cwd: '/x', configFile: 'mta-sts.config.yaml', configPath: '/x/mta-sts.config.yaml',
      config: { domains: ['contoso.com'], policy: { mode: 'testing', mx: ['*.mail.protection.outlook.com'], max_age: 604800 }, hosting: { kind: 'static-web-app', plan: 'standard' } },
      armEndpoint: 'https://management.azure.com', subscription: { id: 's', name: 's' }, cloud: { environment: 'AzureCloud', armUrl: 'https://management.azure.com' },
      resourceGroup: 'rg', app: 'a', region: 'westeurope', waitDnsSeconds: 0,
    } as unknown as SetupRequest;
    const r = freezeRequest(asked);
    expect(r).toEqual(asked);
    expect(r).not.toBe(asked);
    for (const value of [r, r.config, r.config.domains, r.config.hosting, r.config.policy.mx, r.subscription]) expect(Object.isFrozen(value)).toBe(true);
    expect(() => { (r as { resourceGroup: string }).resourceGroup = 'other'; }).toThrow(TypeError);
    expect(() => { (r.config.hosting as { app?: string }).app = 'other'; }).toThrow(TypeError);
    expect(() => r.config.domains.push('fabrikam.com')).toThrow(TypeError);
    expect(Object.isFrozen(asked)).toBe(false);
  });

  it('observe, plan and apply import none of one another (each reads the state; steps carry their own bodies)', () => {
    const parts = ['observe', 'plan', 'apply'];
    for (const from of parts) {
      const source = readFileSync(`src/azure/setup/${from}.ts`, 'utf8');
      for (const to of parts.filter((p) => p !== from)) expect(source, `${from}.ts -> ${to}.ts`).not.toMatch(new RegExp(`from '\\./${to}\\.ts'|import\\('\\./${to}\\.ts'\\)`));
    }
  });
});
