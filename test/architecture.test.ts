// The layout rules of the README's "How it is built", checked on the source: no import cycles (types and dynamic
// import() included), folders in floors (every import between folders goes down, so no folder cycle), and the RFC
// core stays free of I/O and of the rest of the program.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCE_ROOT, sourceFiles } from './source-files.ts';

const root = SOURCE_ROOT;
const files = sourceFiles();

const specifiers = (file: string): string[] => {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^;]*? from '([^']+)'/gm), ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
};
const graph = new Map(files.map((f) => [f, specifiers(f).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(f), s))]));

describe('architecture', () => {
  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const dep of graph.get(file) ?? []) {
        if (state.get(dep) === 'open') cycles.push(stack.slice(stack.indexOf(dep)).map((f) => relative(root, f)).join(' -> '));
        else if (!state.has(dep)) visit(dep);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('keeps folders in floors: an import between two folders goes down, never up or sideways (so no folder cycle)', () => {
    // Lowest first; files at the top of src/ are '.'.
    const FLOORS = [['rfc'], ['.'], ['hosting', 'ci', 'github'], ['project'], ['files'], ['config'], ['site', 'check', 'tlsrpt', 'preview'], ['rollout', 'azure'], ['cli']];
    const floorOf = (file: string) => {
      const parts = relative(root, file).split('/');
      const folder = parts.length === 1 ? '.' : parts[0]!;
      const floor = FLOORS.findIndex((f) => f.includes(folder));
      expect(floor, `${folder}/ has no floor in this test`).toBeGreaterThanOrEqual(0);
      return { folder, floor };
    };
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const from = floorOf(file);
      for (const dep of deps) {
        const to = floorOf(dep);
        if (to.folder !== from.folder && to.floor >= from.floor) wrong.push(`${relative(root, file)} -> ${relative(root, dep)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('sees dynamic imports: the dispatcher loads every command with import()', () => {
    expect(graph.get(join(root, 'cli/main.ts'))).toContain(join(root, 'cli/build.ts'));
  });

  it('keeps the RFC core free of I/O and of the other modules', () => {
    // node:url's domainToASCII is UTS #46 as a pure function (no I/O): how names compare as A-labels.
    const pure = ['node:url'];
    for (const file of files.filter((f) => relative(root, f).startsWith('rfc/'))) {
      for (const spec of specifiers(file)) {
        expect(spec.startsWith('./') || pure.includes(spec), `${relative(root, file)} imports ${spec}`).toBe(true);
      }
    }
  });

  it('lets check run without a config and never load the config code (the YAML parser, the schema, the rules)', () => {
    // What Node loads: static imports that are not `import type` (erased), followed from the command's file.
    const runtime = (file: string): string[] =>
      [...readFileSync(file, 'utf8').matchAll(/^import (?!type\b)[^;]*? from '(\.[^']+)'/gm)].map((m) => resolve(dirname(file), m[1]!));
    const loaded = new Set<string>();
    const visit = (file: string): void => {
      if (loaded.has(file)) return;
      loaded.add(file);
      runtime(file).forEach(visit);
    };
    visit(join(root, 'cli/check.ts'));
    expect([...loaded].map((f) => relative(root, f)).filter((f) => f.startsWith('config/')).sort()).toEqual(['config/file-name.ts', 'config/policy.ts']);
  });

  it('keeps each command in its own file: no command file imports another (shared wiring lives in cli/io, network, production)', () => {
    const cli = files.filter((f) => relative(root, f).startsWith('cli/'));
    const commands = new Set(cli.filter((f) => /^export const command\b/m.test(readFileSync(f, 'utf8'))));
    // main.ts is the dispatcher: it loads each command's file, and nothing else may.
    const crossings = cli.filter((f) => relative(root, f) !== 'cli/main.ts').flatMap((f) => (graph.get(f) ?? []).filter((dep) => commands.has(dep) && dep !== f).map((dep) => `${relative(root, f)} -> ${relative(root, dep)}`));
    expect(commands.size).toBeGreaterThan(10);
    expect(crossings).toEqual([]);
  });
});
