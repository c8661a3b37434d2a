// Schema errors: every mistake at once, in plain words, at the line:column where it is written.
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatDiagnostic, parseConfig } from '../../src/config/config.ts';
import { configSchema } from '../../src/config/schema.generated.ts';
import { EXPECTED } from '../../src/config/schema-errors.ts';
import { SCHEMA_JSON_URL, SCHEMA_MODULE_URL, schemaModuleSource } from '../../src/config/generate-schema.ts';
import { isValidPolicyId } from '../../src/rfc/sts-record.ts';
import { FILE, accepted, config, errorsOf, onlyError } from './helpers.ts';

interface Node { type?: string; title?: string; description?: string; properties?: Record<string, Node>; items?: Node; anyOf?: Node[]; additionalProperties?: boolean; pattern?: string }

/** Every schema node that describes a key or list item, with its path (`*` for items). */
function keyNodes(node: Node, path: string[] = []): [string, Node][] {
  const own: [string, Node][] = path.length ? [[path.join('.'), node]] : [];
  const props = Object.entries(node.properties ?? {}).flatMap(([k, child]) => keyNodes(child, [...path, k]));
  const items = node.items ? keyNodes(node.items, [...path, '*']) : [];
  return [...own, ...props, ...items];
}

describe('mta-sts.schema.json', () => {
  it('is exactly the schema the loader validates with (schema.generated.ts is not stale)', async () => {
    const json = await readFile(SCHEMA_JSON_URL, 'utf8');
    expect(JSON.parse(json)).toEqual(configSchema);
    expect(await readFile(SCHEMA_MODULE_URL, 'utf8')).toBe(schemaModuleSource(json));
  });

  it('is a strict draft-07 schema with a $id', () => {
    expect(configSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(configSchema.$id).toMatch(/^urn:|^https:/);
    expect(() => new Ajv({ strict: true }).compile(configSchema)).not.toThrow();
  });

  it('gives every key a title and description, and refuses unknown keys in every map', () => {
    const nodes = keyNodes(configSchema as Node);
    expect(nodes.length).toBeGreaterThan(10);
    for (const [path, node] of nodes) {
      expect(node.title, path).toBeTruthy();
      expect(node.description, path).toBeTruthy();
      if (node.type === 'object') expect(node.additionalProperties, path).toBe(false);
    }
    expect((configSchema as Node).additionalProperties).toBe(false);
  });

  it('has a plain-English expectation for every key that is not a map or a fixed list of choices', () => {
    const described = keyNodes(configSchema as Node)
      .filter(([, node]) => node.type !== 'object' && !('enum' in node))
      .map(([path]) => path);
    expect(described.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('accepts exactly the policy ids the RFC grammar accepts', () => {
    const pattern = new RegExp(configSchema.properties.policy.properties.id.pattern!, 'u');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[A-Za-z0-9]{0,34}$/)), (id) => {
        expect(pattern.test(id)).toBe(isValidPolicyId(id));
      }),
    );
  });
});

describe('schema errors', () => {
  it('names the field, the allowed values and what was written, at the value', () => {
    const text = ['# comment', 'domains:', '  - contoso.com', 'policy:', '  mode:   enforced', '  max_age: 1d', ''].join('\n');
    expect(errorsOf(text)).toEqual(['mta-sts.config.yaml:5:11: policy.mode must be one of testing, enforce, none (got "enforced")']);
  });

  it('reports all mistakes at once, in file order', () => {
    const text = config({ mode: 'enforced', max_age: 'forever', extra: 'hostin: {}' });
    expect(errorsOf(text)).toEqual([
      'mta-sts.config.yaml:3:9: policy.mode must be one of testing, enforce, none (got "enforced")',
      'mta-sts.config.yaml:5:12: policy.max_age must be a whole number of seconds or a duration like 7d; accepted units: s, m, h, d, w (got "forever")',
      'mta-sts.config.yaml:6:1: unknown key "hostin"; did you mean "hosting"?',
    ]);
  });

  it('says a list is expected when one value is given', () => {
    const d = onlyError(config({ domains: 'contoso.com' }));
    expect([d.line, d.column, d.field, d.code]).toEqual([1, 10, 'domains', 'invalid-value']);
    expect(d.message).toBe('domains must be a list of domain names, one "- contoso.com" line each (got "contoso.com")');
  });

  it('says what each list entry must be', () => {
    const d = onlyError(config({ mx: '["*.mail.protection.outlook.com", {a: 1}]' }));
    expect([d.line, d.column]).toEqual([4, 41]);
    expect(d.message).toBe('each policy.mx entry must be a host name pattern such as *.mail.protection.outlook.com (got a map)');
  });

  it('refuses an empty domains list', () => {
    const d = onlyError(config({ domains: '[]' }));
    expect([d.line, d.column]).toEqual([1, 10]);
    expect(d.message).toMatch(/^domains must not be empty; it must be a list of domain names.* \(got an empty list\)$/);
  });

  it('points at the key when a value is left empty', () => {
    const d = onlyError(config({ domains: '' }));
    expect([d.line, d.column]).toEqual([1, 1]);
    expect(d.message).toMatch(/^domains must be a list of domain names.*\(got nothing\)$/);
  });

  it('reports a missing required key at the map that should hold it', () => {
    const text = ['domains: [contoso.com]', 'policy:', '  mode: testing', ''].join('\n');
    const d = onlyError(text);
    expect([d.line, d.column, d.field, d.code]).toEqual([2, 1, 'policy.max_age', 'missing-key']);
    expect(d.message).toBe('policy.max_age is required');
    expect(errorsOf('domains: [contoso.com]\n')).toEqual(['mta-sts.config.yaml:1:1: policy is required']);
  });

  it('suggests the nearest known key for a misspelt one, at the key', () => {
    expect(errorsOf(config({ extra: 'polcy: {}' }))).toEqual(['mta-sts.config.yaml:6:1: unknown key "polcy"; did you mean "policy"?']);
    const nested = onlyError(config({ extra: '  maxage: 1' }));
    expect([nested.line, nested.column, nested.field]).toEqual([6, 3, 'policy.maxage']);
    expect(nested.message).toBe('unknown key "policy.maxage"; did you mean "policy.max_age"?');
  });

  it('lists the known keys when no key is close', () => {
    expect(errorsOf(config({ extra: 'reporting: yes' }))).toEqual([
      'mta-sts.config.yaml:6:1: unknown key "reporting"; the keys here are domains, policy, tlsrpt, site, hosting, rollout',
    ]);
  });

  it('refuses a bad policy id and says to quote an all-digit one', () => {
    expect(errorsOf(config({ extra: '  id: "2026-01-01"' }))).toEqual([
      'mta-sts.config.yaml:6:7: policy.id must be 1 to 32 letters or digits (got "2026-01-01")',
    ]);
    expect(errorsOf(config({ extra: '  id: 20260101' }))).toEqual([
      'mta-sts.config.yaml:6:7: policy.id must be 1 to 32 letters or digits, written in quotes like "20260101" (got 20260101)',
    ]);
    expect(accepted(config({ extra: '  id: "20260101"' })).config.policy.id).toBe('20260101');
  });

  it('refuses report addresses that are not mailto: or https:', () => {
    const d = onlyError(config({ extra: 'tlsrpt: {rua: ["mailto:tlsrpt@contoso.com", "tlsrpt@contoso.com"]}' }));
    expect([d.line, d.column]).toEqual([6, 45]);
    expect(d.message).toMatch(/^each tlsrpt\.rua entry must be a mailto: or https: URI .* \(got "tlsrpt@contoso.com"\)$/);
    expect(errorsOf(config({ extra: 'tlsrpt: {rua: []}' }))[0]).toMatch(/^mta-sts.config.yaml:6:15: tlsrpt.rua must not be empty/);
    expect(errorsOf(config({ extra: 'tlsrpt: {}' }))).toEqual(['mta-sts.config.yaml:6:1: tlsrpt.rua is required']);
  });

  it('refuses a default host name outside azurestaticapps.net', () => {
    const d = onlyError(config({ extra: 'hosting: {default_hostname: mta-sts.contoso.com}' }));
    expect([d.line, d.column, d.field]).toEqual([6, 29, 'hosting.default_hostname']);
    expect(d.message).toBe(
      "hosting.default_hostname must be the app's default host name, like example-name-0123456789.azurestaticapps.net (a Function App: <app>.azurewebsites.net) (got \"mta-sts.contoso.com\")",
    );
  });

  it('refuses an unknown hosting kind, naming both', () => {
    expect(errorsOf(config({ extra: 'hosting: {kind: app-service}' }))).toEqual([
      'mta-sts.config.yaml:6:17: hosting.kind must be one of static-web-app, function-app (got "app-service")',
    ]);
  });

  it('refuses an unknown hosting plan', () => {
    expect(errorsOf(config({ extra: 'hosting: {plan: premium}' }))).toEqual([
      'mta-sts.config.yaml:6:17: hosting.plan must be one of free, standard (got "premium")',
    ]);
  });

  it('refuses a file that is not a map', () => {
    expect(errorsOf('')).toEqual(['mta-sts.config.yaml:1:1: the config must be a map with the keys domains, policy, tlsrpt, site, hosting, rollout (got nothing)']);
    expect(errorsOf('\n\n- contoso.com\n')).toEqual([
      'mta-sts.config.yaml:3:1: the config must be a map with the keys domains, policy, tlsrpt, site, hosting, rollout (got a list)',
    ]);
  });
});

describe('YAML syntax errors', () => {
  it('are reported with their position and nothing else is checked', () => {
    expect(errorsOf('domains: [contoso.com\npolicy: {mode: enforced}\n')).toEqual([
      expect.stringMatching(/^mta-sts\.config\.yaml:\d+:\d+: YAML syntax error: /),
    ]);
  });

  it('point at a duplicated key', () => {
    expect(errorsOf(config({ extra: '  mode: enforce' }))).toEqual(['mta-sts.config.yaml:6:3: YAML syntax error: Map keys must be unique']);
    // In flow maps too, quoted or not, each repeat reported; 1 and "1" are different keys.
    expect(errorsOf('domains: [contoso.com]\npolicy: {mode: testing, "mode": none, max_age: 1d, mode: enforce}\nx: {1: a, "1": b}\n')).toEqual([
      'mta-sts.config.yaml:2:25: YAML syntax error: Map keys must be unique',
      'mta-sts.config.yaml:2:52: YAML syntax error: Map keys must be unique',
    ]);
  });

  it('report the first 20 of 9,000 unknown keys at their lines, and count the rest (see scripts/bench-config.ts for the time)', () => {
    const keys = Array.from({ length: 9_000 }, (_, i) => `k${i}: 1`); // the most that fit in 10,000 lines (src/config/shape.ts)
    const errors = errorsOf(config({ extra: keys.join('\n') }));
    expect(errors).toHaveLength(21);
    expect(errors).toContain('mta-sts.config.yaml:25:1: unknown key "k19"; the keys here are domains, policy, tlsrpt, site, hosting, rollout');
    expect(errors.at(-1)).toBe('mta-sts.config.yaml:26:1: and 8980 more unknown key(s) from here on; fix the ones above and run again to see them');
  });

  it('point at a tab used for indentation', () => {
    const text = config().replace('  mode:', '\tmode:');
    expect(errorsOf(text)[0]).toMatch(/^mta-sts\.config\.yaml:3:1: YAML syntax error: Tabs are not allowed as indentation/);
  });

  it('never make the loader throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(() => errorsOrConfig(text)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});

function errorsOrConfig(text: string): unknown {
  try {
    return errorsOf(text);
  } catch (e) {
    if ((e as Error).message.startsWith('expected errors, got config')) return undefined;
    throw e;
  }
}

describe('YAML aliases', () => {
  it('are resolved', () => {
    const text = config({ mx: '&exo ["*.mail.protection.outlook.com"]', extra: 'tlsrpt: {rua: [mailto:a@contoso.com]}\nx: *exo' });
    expect(errorsOf(text)).toEqual(['mta-sts.config.yaml:7:1: unknown key "x"; the keys here are domains, policy, tlsrpt, site, hosting, rollout']);
  });

  it('that point nowhere are reported at the alias, with the field and the quoting that fixes it', () => {
    expect(errorsOf(config({ mx: '[*nowhere]' }))).toEqual([
      'mta-sts.config.yaml:4:8: policy.mx: YAML reads *nowhere as an alias of an anchor that does not exist ("Unresolved alias"); quote values that start with *, like "*nowhere"',
    ]);
  });

  it('explain an unquoted *.mail.protection.outlook.com, each one', () => {
    const text = ['domains: [contoso.com]', 'policy:', '  mode: enforce', '  mx:', '    - *.mail.protection.outlook.com', '    - *.contoso-com.l-v1.mx.microsoft', '  max_age: 1w', ''].join('\n');
    const result = parseConfig(text, FILE);
    expect(result.ok ? [] : result.errors.map((d) => [formatDiagnostic(d), d.field, d.code])).toEqual([
      [
        'mta-sts.config.yaml:5:7: policy.mx: YAML reads *.mail.protection.outlook.com as an alias of an anchor that does not exist ("Unresolved alias"); quote values that start with *, like "*.mail.protection.outlook.com"',
        'policy.mx', 'yaml-unquoted-star',
      ],
      [expect.stringMatching(/^mta-sts\.config\.yaml:6:7: policy\.mx: .*like "\*\.contoso-com\.l-v1\.mx\.microsoft"$/), 'policy.mx', 'yaml-unquoted-star'],
    ]);
  });
});

describe('any YAML value in any known place', () => {
  it('gives a result with positioned diagnostics, never an exception', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('7d', 'enforce', 'free', 'function-app', '*.mail.protection.outlook.com', 'contoso.com'));
    const section = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: keys.length });
    const shape = fc.record(
      {
        domains: fc.oneof(value, fc.array(fc.oneof(value, fc.domain()), { maxLength: 7 })),
        policy: fc.oneof(value, section(['mode', 'mx', 'max_age', 'id', 'mdoe'])),
        tlsrpt: fc.oneof(value, section(['rua', 'ruf'])),
        hosting: fc.oneof(value, section(['kind', 'plan', 'default_hostname'])),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(shape, (data) => {
        const result = parseConfig(stringify(data), FILE);
        const diagnostics = result.ok ? result.warnings : result.errors;
        for (const d of diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.column).toBeGreaterThanOrEqual(1);
          expect(d.message).not.toMatch(/undefined|\[object Object\]/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
