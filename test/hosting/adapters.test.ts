// A hosting kind is an adapter (src/hosting/), not a flag: its facts are asked of it, and the code that still
// branches on the kind is counted here so that the count can only go down.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCE_ROOT, sourceFiles } from '../source-files.ts';
import { HOSTING_KINDS, hostingKind } from '../../src/hosting/hosting.ts';

const root = SOURCE_ROOT;
const files = sourceFiles().filter((path) => !path.endsWith('.generated.ts'));
// Code only: comments and help text may name a kind.
const code = (file: string) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').replace(/\s\/\/ .*$/gm, '');
const count = (pattern: RegExp) => Object.fromEntries(files
  .filter((f) => !relative(root, f).startsWith('hosting/'))
  .map((f) => [relative(root, f), code(f).match(pattern)?.length ?? 0] as const)
  .filter(([, n]) => n > 0));

describe('hosting adapters', () => {
  it('outside src/hosting/, no code branches on the kind (setup asks the Azure half of the adapter, src/azure/hosting.ts)', () => {
    // A comparison with a kind's name counts once.
    const branches = count(/hosting\.kind\s*[!=]==\s*(['"`])(?:static-web-app|function-app)\1|hosting\.kind\s*[!=]==|isFunctionApp\(|(['"`])(?:static-web-app|function-app)\2/g);
    expect(branches).toEqual({
      'site/function-app.ts': 1, // the handler's source folder, function-app/, not a branch
    });
  });

  it("names the built folders only in the outputs module: no 'home' or 'functions' elsewhere", () => {
    const named = count(/(['"`])(home|functions)\1/g);
    expect(Object.keys(named).filter((f) => f !== 'project/outputs.ts')).toEqual([]);
  });

  it('each kind says what it is called, its limits, its host suffix and the records its host needs', () => {
    expect(HOSTING_KINDS).toEqual(['static-web-app', 'function-app']);
    const swa = hostingKind('static-web-app');
    const fa = hostingKind('function-app');
    expect(hostingKind(undefined)).toBe(swa);
    expect([swa.name, fa.name]).toEqual(['Static Web App', 'Function App']);
    expect([swa.domainQuota('free'), swa.domainQuota('standard'), fa.domainQuota('free')]).toEqual([2, 5, 500]);
    expect([swa.hostSuffix, fa.hostSuffix]).toEqual(['.azurestaticapps.net', '.azurewebsites.net']);
    expect(swa.quotaMessage(6, 'standard')).toMatch(/allows 5 custom domains per Static Web App; set hosting\.kind: function-app/);
    expect(fa.quotaMessage(501, 'standard')).toMatch(/a Function App allows 500 custom domains/);
    expect(swa.hostRecords('contoso.com', { defaultHostname: 'a.azurestaticapps.net' })).toEqual([
      { domain: 'contoso.com', name: 'mta-sts.contoso.com', type: 'CNAME', ttl: 3600, value: 'a.azurestaticapps.net' },
    ]);
    expect(fa.hostRecords('contoso.com', { defaultHostname: 'f.azurewebsites.net', verificationId: 'ABC' }).map((r) => `${r.type} ${r.name} ${r.value}`))
      .toEqual(['CNAME mta-sts.contoso.com f.azurewebsites.net', 'TXT asuid.mta-sts.contoso.com ABC']);
    for (const records of [swa.hostRecords('contoso.com', {}), fa.hostRecords('contoso.com', {})]) {
      for (const r of records) expect(r.placeholder, r.name).toMatch(/az (staticwebapp|functionapp) show/);
    }
    expect([swa.folders, fa.folders, swa.deployed, fa.deployed]).toEqual([['site'], ['site', 'functions'], 'site', 'functions']);
  });
});
