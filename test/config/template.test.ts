// The shipped mta-sts.config.yaml: what a newcomer gets before editing anything.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE, loadConfig, parseConfig } from '../../src/config/config.ts';
import { accepted } from './helpers.ts';

const templateUrl = new URL('../../mta-sts.config.yaml', import.meta.url);
const template = await readFile(templateUrl, 'utf8');

describe('mta-sts.config.yaml template', () => {
  it('loads with exactly the documented defaults and no warnings', async () => {
    const result = await loadConfig(templateUrl.pathname);
    expect(result).toEqual({
      ok: true,
      config: {
        domains: ['contoso.com'],
        policy: { mode: 'testing', mx: ['*.mail.protection.outlook.com'], max_age: 604800 },
        hosting: { kind: 'static-web-app', plan: 'standard' },
      },
      warnings: [],
    });
  });

  it('is the default config file name', () => {
    expect(templateUrl.pathname.endsWith(`/${DEFAULT_CONFIG_FILE}`)).toBe(true);
  });

  it('points editors at the JSON schema on its first line', () => {
    expect(template.split('\n')[0]).toBe('# yaml-language-server: $schema=./mta-sts.schema.json');
  });

  it('explains every key in a comment just above it', () => {
    const lines = template.split('\n');
    const keyLines = lines.map((line, i) => [line, i] as const).filter(([line]) => /^\s*[a-z_]+:/.test(line));
    expect(keyLines.map(([line]) => line.trim().split(':')[0])).toEqual(['domains', 'policy', 'mode', 'mx', 'max_age', 'hosting', 'kind', 'plan']);
    for (const [line, i] of keyLines) expect(lines[i - 1], `comment above "${line}"`).toMatch(/^\s*# \S/);
  });

  it('says how to go from testing to enforce', () => {
    expect(template).toMatch(/TLS-RPT reports for a couple of weeks/);
    expect(template).toContain('`npx --no mta-sts promote --reports <folder>`');
    expect(template).toMatch(/switches to enforce only on clean evidence/);
  });

  it('has commented-out tlsrpt, id and default_hostname examples that are valid once uncommented', () => {
    const uncommented = template
      .split('\n')
      .map((line) => line.replace(/^(\s*)# (tlsrpt:|  rua:|    - mailto:|id:|default_hostname:)/, '$1$2'))
      .join('\n');
    const { config, warnings } = accepted(uncommented);
    // The only warning is the one a fixed id always gets: it must then be changed by hand.
    expect(warnings).toEqual([expect.stringMatching(/:\d+:\d+: warning: policy\.id is fixed at "20260101": .*change policy\.id by hand/)]);
    expect(config.tlsrpt).toEqual({ rua: ['mailto:tlsrpt@contoso.com'] });
    expect(config.policy.id).toBe('20260101');
    expect(config.hosting.default_hostname).toBe('example-name-0123456789.azurestaticapps.net');
  });

  it('changing only the mode to enforce gives an enforce config without warnings', () => {
    const enforce = parseConfig(template.replace(/^  mode: testing$/m, '  mode: enforce'), DEFAULT_CONFIG_FILE);
    expect(enforce.ok && enforce.config.policy.mode).toBe('enforce');
    expect(enforce.warnings).toEqual([]);
  });
});
