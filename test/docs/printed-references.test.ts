// Every pointer to the documentation that the product prints — the CLI (src/), the Azure pipeline, the GitHub
// workflow — has one form, `(docs/FILE.md: "Heading")` or `(README: "Heading")`, and names a heading that exists
// in that file as GitHub renders it (test/docs/markdown.ts: a bold paragraph is not a heading). Issue 24 found 2 of
// 12 such pointers leading nowhere ("README: Quick setup lists the rights", "README: \"Which Function App plan\"").
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headings as parseHeadings, headingsOf } from './markdown.ts';

const root = process.cwd();

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

const SOURCES = [
  ...filesUnder('src', /\.ts$/),
  'azure-pipelines.yml',
  ...filesUnder('.github/workflows', /\.ya?ml$/),
];

/** `(docs/FILE.md: "Heading")` or `(README: "Heading")`; in shell strings the quotes may be escaped (\"). */
const REFERENCE = /\((README|docs\/[\w-]+\.md): \\?"((?:[^"\\]|\\(?!"))+)\\?"\)/g;
/** Any mention of the README or a docs page, in the form or not. */
const MENTION = /\bREADME\b|\bdocs\/[\w-]+\.md\b/g;

interface Reference { source: string; line: number; file: string; heading: string }

function scan(source: string, content = readFileSync(join(root, source), 'utf8')): { refs: Reference[]; loose: string[] } {
  const refs: Reference[] = [];
  const loose: string[] = [];
  const comment = source.endsWith('.ts') ? /^\s*(\/\/|\*|\/\*)/ : /^\s*#/;
  content.split('\n').forEach((text, i) => {
    const line = i + 1;
    let rest = text;
    for (const m of text.matchAll(REFERENCE)) {
      refs.push({ source, line, file: m[1] === 'README' ? 'README.md' : m[1]!, heading: m[2]! });
      rest = rest.replace(m[0], '');
    }
    // A comment may name the README in passing; what is printed must use the form, so that it can be checked.
    if (!comment.test(text) && MENTION.test(rest)) loose.push(`${source}:${line}: ${text.trim()}`);
    MENTION.lastIndex = 0;
  });
  return { refs, loose };
}

const scanned = SOURCES.map((s) => scan(s));
const refs = scanned.flatMap((s) => s.refs);

describe('references to the documentation that the product prints', () => {
  it('are found in the CLI, the pipeline and the workflow', () => {
    const where = new Set(refs.map((r) => (r.source.startsWith('src/') ? 'src' : r.source)));
    expect(where).toEqual(new Set(['src', 'azure-pipelines.yml', '.github/workflows/deploy.yml']));
    expect(refs.length).toBeGreaterThanOrEqual(12);
  });

  it('all take the form (docs/FILE.md: "Heading") or (README: "Heading")', () => {
    expect(scanned.flatMap((s) => s.loose)).toEqual([]);
  });

  it('each names a heading that exists in its file', () => {
    const headings = new Map<string, string[]>();
    const missing: string[] = [];
    for (const r of refs) {
      if (!headings.has(r.file)) {
        try {
          headings.set(r.file, headingsOf(join(root, r.file)).map((h) => h.text));
        } catch {
          headings.set(r.file, []);
        }
      }
      if (!headings.get(r.file)!.includes(r.heading)) missing.push(`${r.source}:${r.line}: ${r.file}: "${r.heading}"`);
    }
    expect(missing).toEqual([]);
  });

  it('would catch a heading that is only a bold paragraph, and a pointer not in the form', () => {
    // The two that issue 24 found broken, as they were printed, against the README of the time.
    const before = scan('src/x.ts', [
      `warn('move it to a Linux App Service plan (README: "Which Function App plan")');`,
      "fail('the rights (README: Quick setup lists the rights)');",
      '// a comment may say README in passing',
    ].join('\n'));
    expect(before.refs).toEqual([{ source: 'src/x.ts', line: 1, file: 'README.md', heading: 'Which Function App plan' }]);
    expect(before.loose).toEqual(["src/x.ts:2: fail('the rights (README: Quick setup lists the rights)');"]);
    const oldReadme = '## Choose the hosting\n\n**Which Function App plan.** The Flex Consumption plan …\n';
    expect(parseHeadings(oldReadme).map((h) => h.text)).toEqual(['Choose the hosting']);
    // A shell string in a pipeline escapes its quotes; the reference is the same.
    expect(scan('x.yml', String.raw`echo "failed (docs/check.md: \"The deploy gate (check --before-deploy)\")."`).refs[0])
      .toMatchObject({ file: 'docs/check.md', heading: 'The deploy gate (check --before-deploy)' });
  });
});
