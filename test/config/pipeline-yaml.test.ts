// The pipeline YAML's variables, read and set in place (src/config/pipeline-yaml.ts): on the template's own
// azure-pipelines.yml, and as a property over generated variable lists, reading and setting agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pipelineVariable, pipelineVariables, setPipelineVariables } from '../../src/config/pipeline-yaml.ts';
import { repoRoot } from '../deploy/helpers.ts';

describe('pipeline variables in azure-pipelines.yml', () => {
  it('sets declared variables only, keeping comments, and reports no change when they match', () => {
    const text = readFileSync(join(repoRoot, 'azure-pipelines.yml'), 'utf8');
    const next = setPipelineVariables(text, { armServiceConnection: 'conn', notDeclared: 'x' });
    expect(pipelineVariable(next, 'armServiceConnection')).toBe('conn');
    expect(next).not.toContain('notDeclared');
    expect(next.split('\n').filter((l) => l.trimStart().startsWith('#'))).toEqual(text.split('\n').filter((l) => l.trimStart().startsWith('#')));
    expect(setPipelineVariables(next, { armServiceConnection: 'conn' })).toBe(next);
  });

  it('reads every declared variable in one pass, the first of a repeated name, none without a plain value', () => {
    const text = 'variables:\n  - name: a\n    value: one\n  - name: b\n    value: 2\n  - name: a\n    value: again\n  - name: c\n    value: [x]\n  - group: mta-sts\n';
    expect([...pipelineVariables(text)]).toEqual([['a', 'one'], ['b', '2']]);
    expect(pipelineVariable(text, 'c')).toBeUndefined();
    expect(pipelineVariables('trigger: none\n').size).toBe(0);
  });

  it('reading and setting agree: a set changes the text exactly when a declared value differs, and reads back', () => {
    const name = fc.constantFrom('armServiceConnection', 'hostingKind', 'swaName', 'swaResourceGroup', 'other');
    const value = fc.string({ maxLength: 12 }).filter((v) => !/[\n\r]/.test(v));
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 4 }), fc.dictionary(name, value, { maxKeys: 4 }), (declared, wanted) => {
      const text = `# the template's variables\nvariables:\n${declared.map(([n, v]) => `  - name: ${n}\n    value: '${v.replaceAll("'", "''")}' # kept\n`).join('')}`;
      const now = pipelineVariables(text);
      expect([...now]).toEqual(declared);
      const differs = Object.entries(wanted).some(([k, v]) => now.has(k) && now.get(k) !== v);
      const next = setPipelineVariables(text, wanted);
      expect(next !== text).toBe(differs);
      const after = pipelineVariables(next);
      for (const [k, v] of declared) expect(after.get(k)).toBe(Object.hasOwn(wanted, k) ? wanted[k] : v);
      expect(next.match(/# kept/g)?.length ?? 0).toBe(declared.length);
    }));
  });
});
