// Limits a config's text must meet before the YAML parser reads it. The parser recurses once per nesting level
// and slows down on long inputs (1 MiB of "[" took 17 s and 1 GB to reject; 80,000 keys took 15 s), while a
// real config is a few hundred bytes, three levels deep, with no alias: `verify` runs on every pull request and must answer
// any file, however shaped, at once. One pass over the text, no allocation per character.

/** Nesting levels, block and flow together; a real config has 3 (policy → mx → item). */
export const MAX_CONFIG_DEPTH = 16;
/** Aliases (`*name`); a config needs none, and each one costs the parser a search of the whole document. */
export const MAX_CONFIG_ALIASES = 100;
/** Lines; 500 domains (a Function App's quota) and a policy.mx at the 64 KiB policy limit fit several times. */
export const MAX_CONFIG_LINES = 10_000;

export interface ShapeProblem { line: number; column: number; code: 'yaml-too-deep' | 'config-too-many-lines' | 'yaml-too-many-aliases'; message: string }

/** The first place where the text breaks a limit, or undefined. Quoted scalars and comments are skipped. */
export function configShapeProblem(text: string): ShapeProblem | undefined {
  const blocks: number[] = []; // indentation of each open block level
  let flow = 0;
  let quote: '"' | "'" | undefined;
  let aliases = 0;
  let line = 1;
  let start = 0; // offset of the current line
  for (let i = 0; i <= text.length; i++) {
    // At a line start outside a quote and a flow collection: the block level from the indentation and any "- ".
    if (i === start && quote === undefined && flow === 0) {
      let j = i;
      while (text[j] === ' ') j++;
      const indent = j - i;
      if (j < text.length && text[j] !== '\n' && text[j] !== '\r' && text[j] !== '#') {
        while (blocks.length > 0 && blocks[blocks.length - 1]! >= indent) blocks.pop();
        blocks.push(indent);
        let dashes = 0;
        // "- - - x": each dash followed by a space opens one more sequence (YAML 1.2 §8.2.1, compact form).
        while ((text[j] === '-' || text[j] === '?') && (text[j + 1] === ' ' || text[j + 1] === '\t')) {
          dashes++;
          j += 2;
          while (text[j] === ' ' || text[j] === '\t') j++;
          if (blocks.length + dashes > MAX_CONFIG_DEPTH) return tooDeep(line, j - start + 1);
        }
        if (blocks.length + dashes > MAX_CONFIG_DEPTH) return tooDeep(line, indent + 1);
        for (let d = 0; d < dashes; d++) blocks.push(indent + 2 * (d + 1));
      }
    }
    if (i === text.length) break;
    const c = text[i];
    if (c === '\n') {
      line++;
      start = i + 1;
      if (line > MAX_CONFIG_LINES) {
        return { line, column: 1, code: 'config-too-many-lines', message: `the config has more than ${MAX_CONFIG_LINES} lines; a config is a few dozen: check that it is the right file` };
      }
      continue;
    }
    if (quote === '"') {
      if (c === '\\') i++; // an escaped character, the quote included
      else if (c === '"') quote = undefined;
      continue;
    }
    if (quote === "'") {
      if (c === "'") {
        if (text[i + 1] === "'") i++; // '' is a quote inside the scalar (YAML 1.2 §7.3.2)
        else quote = undefined;
      }
      continue;
    }
    if (c === '#' && (i === start || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      // A comment runs to the end of the line (YAML 1.2 §6.6).
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    const scalarStart = i === start || ' \t[{,:-?'.includes(text[i - 1]!);
    if (c === '"' || c === "'") {
      // Only where a scalar may start; "it's" inside a plain scalar opens nothing.
      if (scalarStart) quote = c;
    } else if (c === '*' && scalarStart) {
      if (++aliases > MAX_CONFIG_ALIASES) {
        return {
          line, column: i - start + 1, code: 'yaml-too-many-aliases',
          message: `the YAML has more than ${MAX_CONFIG_ALIASES} aliases (a value that starts with *); a config needs none: quote values that start with *, like "*.mail.protection.outlook.com"`,
        };
      }
    } else if (c === '[' || c === '{') {
      flow++;
      if (blocks.length + flow > MAX_CONFIG_DEPTH) return tooDeep(line, i - start + 1);
    } else if ((c === ']' || c === '}') && flow > 0) {
      flow--;
    }
  }
  return undefined;
}

function tooDeep(line: number, column: number): ShapeProblem {
  return {
    line, column, code: 'yaml-too-deep',
    message: `the YAML nests more than ${MAX_CONFIG_DEPTH} levels deep here; a config needs 3 (policy → mx → one pattern): check for unclosed [ or { and for the indentation`,
  };
}
