// Which ARM endpoint the azure commands talk to, and our retry of throttled calls.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Reporter } from '../../src/azure/annotations.ts';
import { printable } from '../../src/printable.ts';
import { activeCloud, withThrottleRetry } from '../../src/azure/arm.ts';
import { zoneFor } from '../../src/azure/zones.ts';
import { armEndpoint } from '../../src/cli/azure-options.ts';
import { UsageError } from '../../src/cli/io.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An az config folder whose `[cloud] name` is `name`. */
function azConfigDir(text: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'az-config-'));
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  if (text !== undefined) writeFileSync(join(dir, 'config'), text);
  return dir;
}

describe('the ARM endpoint', () => {
  it('defaults to az\'s active cloud, read from AZURE_CONFIG_DIR/config (what `az cloud set` writes)', async () => {
    const env = { AZURE_CONFIG_DIR: azConfigDir('[core]\noutput = json\n\n[cloud]\nname = AzureUSGovernment\n') };
    expect(await activeCloud(env)).toBe('AzureUSGovernment');
    expect(await armEndpoint({}, env)).toBe('https://management.usgovcloudapi.net');
  });

  it('reads ~/.azure/config when AZURE_CONFIG_DIR is not set', async () => {
    const home = azConfigDir(undefined);
    mkdirSync(join(home, '.azure'));
    writeFileSync(join(home, '.azure/config'), '[cloud]\nname = AzureChinaCloud\n');
    expect(await armEndpoint({}, { HOME: home })).toBe('https://management.chinacloudapi.cn');
  });

  it('is AzureCloud when az has no config (az absent or never logged in)', async () => {
    expect(await armEndpoint({}, { AZURE_CONFIG_DIR: azConfigDir(undefined) })).toBe('https://management.azure.com');
    expect(await armEndpoint({}, { AZURE_CONFIG_DIR: azConfigDir('[core]\nonly_show_errors = true\n') })).toBe('https://management.azure.com');
  });

  it('--cloud wins over az, --arm-endpoint over both, and MTA_STS_ARM_ENDPOINT stands for --arm-endpoint', async () => {
    const env = { AZURE_CONFIG_DIR: azConfigDir('[cloud]\nname = AzureChinaCloud\n') };
    expect(await armEndpoint({ cloud: 'AzureUSGovernment' }, env)).toBe('https://management.usgovcloudapi.net');
    expect(await armEndpoint({ cloud: 'AzureUSGovernment', 'arm-endpoint': 'https://arm.private.example' }, env)).toBe('https://arm.private.example');
    expect(await armEndpoint({ cloud: 'AzureUSGovernment' }, { ...env, MTA_STS_ARM_ENDPOINT: 'https://127.0.0.1:8443' })).toBe('https://127.0.0.1:8443');
  });

  it('refuses an unknown cloud, a custom az cloud, and a non-https endpoint as usage errors', async () => {
    await expect(armEndpoint({ cloud: 'AzureGermanCloud' }, {})).rejects.toThrow(new UsageError('--cloud must be one of AzureCloud, AzureUSGovernment, AzureChinaCloud (got "AzureGermanCloud")'));
    await expect(armEndpoint({}, { AZURE_CONFIG_DIR: azConfigDir('[cloud]\nname = MyStack\n') })).rejects.toThrow(/az's active cloud is "MyStack", which has no known ARM endpoint/);
    await expect(armEndpoint({ 'arm-endpoint': 'http://127.0.0.1:80' }, {})).rejects.toThrow(/--arm-endpoint: the ARM endpoint must use https:\/\//);
    await expect(armEndpoint({}, { MTA_STS_ARM_ENDPOINT: 'not a url' })).rejects.toThrow(/MTA_STS_ARM_ENDPOINT: the ARM endpoint must be a URL/);
  });
});

describe('withThrottleRetry', () => {
  const throttled = (retryAfter?: string) => Object.assign(new Error('throttled'), {
    name: 'RestError', statusCode: 429, response: { headers: { get: (h: string) => (h === 'retry-after' ? retryAfter : undefined) } },
  });

  it('waits Retry-After seconds (or an HTTP date) between tries, bounded, and stops after `attempts`', async () => {
    const waits: number[] = [];
    let calls = 0;
    const call = async () => {
      calls++;
      throw throttled(calls === 1 ? '2' : calls === 2 ? new Date(Date.now() + 60_000).toUTCString() : '9999');
    };
    await expect(withThrottleRetry(call, { attempts: 3, maxDelayMs: 120_000, sleep: async (ms) => void waits.push(ms) })).rejects.toThrow('throttled');
    expect(calls).toBe(3);
    expect(waits[0]).toBe(2000);
    expect(waits[1]).toBeGreaterThan(55_000);
    expect(waits[1]).toBeLessThanOrEqual(60_000);
  });

  it('never retries anything but 429', async () => {
    let calls = 0;
    const call = async () => {
      calls++;
      throw Object.assign(new Error('nope'), { name: 'RestError', statusCode: 500 });
    };
    await expect(withThrottleRetry(call, { sleep: async () => {} })).rejects.toThrow('nope');
    expect(calls).toBe(1);
  });
});

describe('zoneFor', () => {
  it('picks the longest zone that holds the name, and names the record relative to it', () => {
    const zones = ['contoso.com', 'eu.contoso.com', 'com.au'];
    expect(zoneFor('_mta-sts.eu.contoso.com', zones)).toEqual({ zone: 'eu.contoso.com', relative: '_mta-sts' });
    expect(zoneFor('mta-sts.us.contoso.com', zones)).toEqual({ zone: 'contoso.com', relative: 'mta-sts.us' });
    expect(zoneFor('contoso.com', zones)).toEqual({ zone: 'contoso.com', relative: '@' });
    expect(zoneFor('mta-sts.notcontoso.com', zones)).toBeUndefined();
  });
});

describe('Reporter and printable', () => {
  const capture = (env: NodeJS.ProcessEnv) => {
    const io = { outText: '', errText: '', out(t: string) { this.outText += t; }, err(t: string) { this.errText += t; } };
    return { io, reporter: new Reporter(io, env) };
  };

  it('a failure wins over warnings: exit 1 and no SucceededWithIssues', () => {
    const { io, reporter } = capture({ TF_BUILD: 'True' });
    reporter.warn('w');
    reporter.fail('f');
    expect(reporter.finish()).toBe(1);
    expect(io.outText).toBe('##vso[task.logissue type=warning]w\n##vso[task.logissue type=error]f\n');
    expect(io.errText).toBe('warning: w\nerror: f\n');
  });

  it('outside CI: plain lines only, exit 0 with warnings', () => {
    const { io, reporter } = capture({});
    reporter.warn('100% sure');
    expect(reporter.finish()).toBe(0);
    expect(io.outText).toBe('');
  });

  it('escapes what would end or forge a logging command', () => {
    const { io, reporter } = capture({ TF_BUILD: 'True' });
    reporter.warn(`Azure said: ${printable('bad\n##vso[task.complete result=Succeeded;]\x1b[2J')}`);
    expect(io.outText.split('\n')).toEqual([expect.stringMatching(/^##vso\[task.logissue type=warning\]Azure said: bad/), '']);
    expect(io.outText).toContain('bad\\x0a##vso');
    expect(io.outText).toContain('\\x1b[2J');
  });
});

describe('credentials', () => {
  it('the product signs in only through AzureCliCredential, never a credential that probes the instance metadata endpoint', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dirs = ['src/azure', 'src/cli'];
    const sources = dirs.flatMap((d) => readdirSync(d, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile() && f.name.endsWith('.ts')).map((f) => readFileSync(join(f.parentPath, f.name), 'utf8')));
    const text = sources.join('\n');
    expect(text).toContain('new AzureCliCredential()');
    expect(text).not.toMatch(/DefaultAzureCredential|ManagedIdentityCredential|169\.254\.169\.254/);
    // Child processes run git only (setup commits what it changed); never az for the Azure work.
    for (const m of text.matchAll(/\b(?:run|execFile|execFileSync|spawn|spawnSync)\(\s*'([^']+)'/g)) expect(m[1]).toBe('git');
  });
});

describe('start-up', () => {
  it('the azure commands load no SDK before they call Azure: --help and usage errors stay fast (bench:cli)', async () => {
    const { readFileSync } = await import('node:fs');
    const { dirname, resolve } = await import('node:path');
    const seen = new Set<string>();
    const packages = new Set<string>();
    const walk = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      // Static value imports only: `import type` is erased, `await import()` loads on use.
      for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
        else packages.add(spec);
      }
    };
    for (const f of ['src/cli/azure-bind.ts', 'src/cli/azure-publish-dns.ts', 'src/cli/azure-setup.ts']) walk(resolve(f));
    expect(seen.size).toBeGreaterThan(5);
    expect([...packages].filter((p) => p.startsWith('@azure/') || p.startsWith('azure-devops-node-api') || p === 'node:https' || p === 'yaml')).toEqual([]);
  });
});
