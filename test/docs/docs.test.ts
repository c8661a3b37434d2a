// The README starts with the job and stays short; the rest is in docs/, one file per topic, and every link between
// them lands on a file and a heading that exist (GitHub's anchors: test/docs/markdown.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headings } from './markdown.ts';

const root = process.cwd();
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const docFiles = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
const TOPICS = ['configuration', 'check', 'reports-and-rollout', 'function-app', 'azure-devops', 'github-actions',
  'azure-rights', 'troubleshooting', 'cleanup', 'fork-updates', 'development'];

/** Markdown links and images outside code blocks: [text](target). */
function links(markdown: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  let fence = false;
  markdown.split('\n').forEach((line, i) => {
    if (/^ {0,3}(```|~~~)/.test(line)) fence = !fence;
    if (fence) return;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) out.push({ target: m[1]!, line: i + 1 });
  });
  return out;
}

describe('README', () => {
  it('is at most 150 lines, and its first screen is the job: what it does, before you start, the two quick setups', () => {
    const lines = readme.split('\n');
    expect(lines.length).toBeLessThanOrEqual(150);
    const order = ['Before you start', 'Quick setup with Azure DevOps', 'Quick setup with GitHub Actions'];
    const at = order.map((h) => lines.indexOf(`## ${h}`));
    for (const [i, h] of order.entries()) expect(at[i], h).toBeGreaterThan(0);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    // "before you start": the rights, the cost of each plan with its date, DNS, the TLS-RPT mailbox, the grant.
    const box = readme.slice(readme.indexOf('## Before you start'), readme.indexOf('## Quick setup with Azure DevOps'));
    for (const fact of ['Owner', 'User Access Administrator', 'Endpoint Creator', 'Free', 'Standard', 'B1', 'as of', 'DNS', 'TLS-RPT', '2–3 business', 'https://aka.ms/azpipelines-parallelism-request']) {
      expect(box, fact).toContain(fact);
    }
  });

  it.each(['Quick setup with Azure DevOps', 'Quick setup with GitHub Actions'])('"%s" has at most five steps, ending with the setup and a push', (h) => {
    const start = readme.indexOf(`## ${h}`);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const steps = [...section.matchAll(/^(\d)\. /gm)].map((m) => Number(m[1]));
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    expect(section).toMatch(/npx --no mta-sts azure setup/);
    expect(section).toMatch(/^5\. \*\*Push:\*\* `git push`/m);
  });

  it('keeps the two commands a newcomer runs: npm ci && npm start, and npm test', () => {
    expect(readme).toMatch(/^npm ci && npm start\b/m);
    expect(readme).toMatch(/^npm test\b/m);
  });

  it('links every topic of docs/, and each exists', () => {
    for (const t of TOPICS) {
      expect(existsSync(join(root, 'docs', `${t}.md`)), t).toBe(true);
      expect(readme, t).toContain(`](docs/${t}.md)`);
    }
  });
});

describe.each(['README.md', ...docFiles])('%s', (file) => {
  const text = readFileSync(join(root, file), 'utf8');

  it('links only to files that exist, and to headings that exist in them', () => {
    const broken: string[] = [];
    for (const { target, line } of links(text)) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const dest = path === '' ? join(root, file) : resolve(dirname(join(root, file)), path);
      if (!existsSync(dest)) { broken.push(`${file}:${line}: ${target}: no such file`); continue; }
      if (anchor === undefined) continue;
      const anchors = headings(readFileSync(dest, 'utf8')).map((h) => h.anchor);
      if (!anchors.includes(anchor)) broken.push(`${file}:${line}: ${target}: no heading with that anchor`);
    }
    expect(broken).toEqual([]);
  });

  it('names each heading once, so that each anchor is the one its text gives', () => {
    const texts = headings(text).map((h) => h.text);
    expect(texts.filter((t, i) => texts.indexOf(t) !== i)).toEqual([]);
  });
});

describe('running the project\'s own binary', () => {
  // A bare `npx mta-sts` outside the project (or before npm ci) falls back to the npm registry, where the name
  // mta-sts is not ours; `npx --no` never installs anything, and fails instead.
  const BARE = /\bnpx((?:\s+-[-\w=]+)*)\s+mta-sts\b/g;
  const bare = (text: string) => [...text.matchAll(BARE)].filter((m) => !/(^|\s)--no(\s|$)/.test(m[1]!)).map((m) => m[0]);

  it.each(['README.md', ...docFiles, 'mta-sts.config.yaml'])('%s says npx --no mta-sts, never a bare npx mta-sts', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    expect(bare(text)).toEqual([]);
    if (file === 'README.md') expect(text).toContain('npx --no mta-sts azure setup');
  });

  it('so do the messages the CLI prints', () => {
    const sources = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
    expect(sources.flatMap((f) => bare(readFileSync(f, 'utf8')).map((m) => `${f}: ${m}`))).toEqual([]);
  });

  it('tells a bare npx from npx --no', () => {
    expect(bare('run npx mta-sts check, or npx -y mta-sts check')).toEqual(['npx mta-sts', 'npx -y mta-sts']);
    expect(bare('run npx --no mta-sts check')).toEqual([]);
  });
});

describe('headings, as GitHub renders them', () => {
  it('counts ATX and setext headings outside code blocks, never a bold paragraph or a comment in a code block', async () => {
    const { headings: parse } = await import('./markdown.ts');
    const md = [
      '# Title', '', '**Which Function App plan.** Not a heading.', '', '```sh', '# a comment', '```', '',
      'Setext', '------', '', '### The deploy gate (`check --before-deploy`)', '', '| a | b |', '|---|---|', '', '## Title',
    ].join('\n');
    expect(parse(md).map((h) => [h.text, h.anchor])).toEqual([
      ['Title', 'title'],
      ['Setext', 'setext'],
      ['The deploy gate (check --before-deploy)', 'the-deploy-gate-check---before-deploy'],
      ['Title', 'title-1'],
    ]);
  });
});
