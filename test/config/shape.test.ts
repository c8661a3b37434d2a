// The config's shape is checked before YAML parsing: depth, lines and aliases, each with a position, in one
// linear pass, so no file of any shape keeps `verify` (run on every pull request) busy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { configShapeProblem, MAX_CONFIG_ALIASES, MAX_CONFIG_DEPTH, MAX_CONFIG_LINES } from '../../src/config/shape.ts';

const TEMPLATE = 'domains:\n  - contoso.com\npolicy:\n  mode: testing   # [ not a flow\n  mx:\n    - "*.mail.protection.outlook.com"\n  max_age: 7d\nrollout: { window_days: 14, min_report_days: [10][0] }\n';

describe('configShapeProblem', () => {
  it('passes real configs: block and flow styles, comments and quotes holding brackets and stars', () => {
    expect(configShapeProblem(TEMPLATE)).toBeUndefined();
    expect(configShapeProblem("domains: ['[[[[[[[[[[[[[[[[[[', \"{{{{{{{{{{{{{{{{{{{{\\\"\"]\n# [[[[[[[[[[[[[[[[[[[[[[\nnote: it's *fine*\n")).toBeUndefined();
    expect(configShapeProblem(`a:${' '.repeat(3)}\n${'  - x\n'.repeat(MAX_CONFIG_LINES - 2)}`)).toBeUndefined();
  });

  it('refuses nesting beyond the limit, in flow, block and compact sequence form, at the place it happens', () => {
    expect(configShapeProblem(`a: ${'['.repeat(MAX_CONFIG_DEPTH)}`)).toMatchObject({ code: 'yaml-too-deep', line: 1, column: 3 + MAX_CONFIG_DEPTH });
    expect(configShapeProblem(`x: 1\nb: ${'{a: '.repeat(MAX_CONFIG_DEPTH + 4)}`)).toMatchObject({ code: 'yaml-too-deep', line: 2 });
    const block = Array.from({ length: MAX_CONFIG_DEPTH + 1 }, (_, i) => `${' '.repeat(2 * i)}k${i}:`).join('\n');
    expect(configShapeProblem(block)).toMatchObject({ code: 'yaml-too-deep', line: MAX_CONFIG_DEPTH + 1, column: 2 * MAX_CONFIG_DEPTH + 1 });
    expect(configShapeProblem(`${'- '.repeat(MAX_CONFIG_DEPTH + 1)}x`)).toMatchObject({ code: 'yaml-too-deep', line: 1 });
    expect(configShapeProblem(`a: ${'['.repeat(MAX_CONFIG_DEPTH - 2)}`)).toBeUndefined();
  });

  it('refuses more lines or aliases than a config could need', () => {
    expect(configShapeProblem('a: 1\n'.repeat(MAX_CONFIG_LINES + 1))).toMatchObject({ code: 'config-too-many-lines', line: MAX_CONFIG_LINES + 1 });
    const aliases = `a: &a [x]\n${Array.from({ length: MAX_CONFIG_ALIASES + 1 }, (_, i) => `k${i}: *a`).join('\n')}`;
    expect(configShapeProblem(aliases)).toMatchObject({ code: 'yaml-too-many-aliases', line: MAX_CONFIG_ALIASES + 2, column: 7 });
  });

  it('answers any text in one pass: never throws, and a limit found is a real position', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', "'", '\\', '#', ' ', '-', '*', '\n', 'a', ':', ',') , maxLength: 400 }), (text) => {
      const p = configShapeProblem(text);
      if (p) {
        expect(p.line).toBeGreaterThanOrEqual(1);
        expect(p.line).toBeLessThanOrEqual(text.split('\n').length);
        expect(p.column).toBeGreaterThanOrEqual(1);
      }
    }));
  });
});

describe('parseConfig on hostile shapes', () => {
  // Each of these took 10 to 60 s and up to 1 GB before the shape check (1 MiB of "[": 17 s, 1 GB).
  const hostile: Record<string, string> = {
    'unclosed [': '['.repeat(255 * 1024),
    'unclosed {': `policy: ${'{'.repeat(255 * 1024)}`,
    'nested "- "': '- '.repeat(127 * 1024),
    'ten thousand keys': Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join('\n'),
    'an alias per key': `a: &a [x]\n${Array.from({ length: 9_000 }, (_, i) => `k${i}: *a`).join('\n')}`,
  };
  for (const [name, text] of Object.entries(hostile)) {
    it(`refuses ${name} with a positioned error`, () => {
      const r = parseConfig(text, 'mta-sts.config.yaml');
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatchObject({ file: 'mta-sts.config.yaml', line: expect.any(Number), column: expect.any(Number) });
      expect(['yaml-too-deep', 'config-too-many-lines', 'yaml-too-many-aliases']).toContain(r.errors[0]!.code);
    });
  }
});
