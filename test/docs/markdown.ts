// The headings of a Markdown file as GitHub renders them, and the anchors GitHub gives them. Only ATX (`## x`) and
// setext (a line underlined with === or ---) headings outside code blocks are headings; a bold paragraph
// (`**Which Function App plan.**`) is not, and has no anchor. GitHub's anchor: the heading's text as rendered,
// lower-cased, with every character but letters, marks, digits, `_`, `-` and spaces removed, spaces turned into
// `-`, and `-1`, `-2`… added to a repeated one (github-slugger, which github.com uses).
import { readFileSync } from 'node:fs';

export interface Heading { text: string; anchor: string; line: number }

/** The heading's text as rendered: code spans, emphasis and link targets reduced to their text. */
export function renderedText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/(\*\*|__|\*|_)(\S(?:.*?\S)?)\1/g, '$2')
    .replace(/\s+#+\s*$/, '')
    .trim();
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

export function headings(markdown: string): Heading[] {
  const lines = markdown.split('\n');
  const out: Heading[] = [];
  const seen = new Map<string, number>();
  let fence: string | null = null;
  const add = (raw: string, line: number) => {
    const text = renderedText(raw);
    const base = slug(text);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({ text, anchor: n === 0 ? base : `${base}-${n}`, line });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const f = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1]![0]!;
      else if (f[1]![0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const atx = /^ {0,3}#{1,6}(?:\s+(.*))?$/.exec(line);
    if (atx) { add(atx[1] ?? '', i + 1); continue; }
    const next = lines[i + 1];
    if (next !== undefined && line.trim() !== '' && !/^\s*([-*+>|]|\d+[.)])\s/.test(line) && !line.includes('|')
      && /^ {0,3}(=+|-+)\s*$/.test(next) && (i === 0 || lines[i - 1]!.trim() === '')) {
      add(line, i + 1);
      i++;
    }
  }
  return out;
}

export function headingsOf(file: string): Heading[] {
  return headings(readFileSync(file, 'utf8'));
}
