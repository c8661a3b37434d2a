// The pipeline YAML's `variables:` entries, read and set through the yaml Document API so comments and layout
// survive (beside config/edit.ts, which does the same for the config).
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';

/**
 * azure-pipelines.yml with the named `variables:` entries set. Only the value's own characters change (the
 * Document API finds them; re-serialising the whole document would re-indent comments elsewhere). Only variables
 * the file already declares are set; returns the text unchanged when they match.
 */
export function setPipelineVariables(text: string, wanted: Record<string, string>): string {
  const doc = parseDocument(text);
  const variables = isMap(doc.contents) ? doc.contents.get('variables', true) : undefined;
  if (!isSeq(variables)) return text;
  const edits: { start: number; end: number; value: string }[] = [];
  for (const item of variables.items) {
    if (!isMap(item)) continue;
    const name = item.get('name');
    const value = item.get('value', true);
    if (typeof name !== 'string' || !Object.hasOwn(wanted, name) || !isScalar(value) || !value.range) continue;
    if (String(value.value ?? '') === wanted[name]) continue;
    edits.push({ start: value.range[0], end: value.range[1], value: wanted[name]! });
  }
  let next = text;
  // From the end, so the earlier offsets stay right. Single quotes: YAML's quoting with one escape ('').
  for (const e of edits.sort((a, b) => b.start - a.start)) next = `${next.slice(0, e.start)}'${e.value.replaceAll("'", "''")}'${next.slice(e.end)}`;
  return next;
}

/** The value of a `variables:` entry of the pipeline YAML, or undefined when it is not declared. */
export function pipelineVariable(text: string, name: string): string | undefined {
  const doc = parseDocument(text);
  const variables = isMap(doc.contents) ? doc.contents.get('variables', true) : undefined;
  if (!isSeq(variables)) return undefined;
  for (const item of variables.items) {
    if (isMap(item) && item.get('name') === name) return String(item.get('value') ?? '');
  }
  return undefined;
}
