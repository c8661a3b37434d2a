// The pipeline YAML's `variables:` entries, read and set through the yaml Document API so comments and layout
// survive (beside config/edit.ts, which does the same for the config).
import { isMap, isScalar, isSeq, parseDocument, type Scalar } from 'yaml';

/** Each `variables:` entry with a name and a plain value, in file order (a repeated name each time). */
function* declaredVariables(text: string): Generator<{ name: string; value: Scalar }> {
  const doc = parseDocument(text);
  const variables = isMap(doc.contents) ? doc.contents.get('variables', true) : undefined;
  if (!isSeq(variables)) return;
  for (const item of variables.items) {
    if (!isMap(item)) continue;
    const name = item.get('name');
    const value = item.get('value', true);
    if (typeof name === 'string' && isScalar(value)) yield { name, value };
  }
}

/**
 * azure-pipelines.yml with the named `variables:` entries set. Only the value's own characters change (the
 * Document API finds them; re-serialising the whole document would re-indent comments elsewhere). Only variables
 * the file already declares are set; returns the text unchanged when they match.
 */
export function setPipelineVariables(text: string, wanted: Record<string, string>): string {
  const edits: { start: number; end: number; value: string }[] = [];
  for (const { name, value } of declaredVariables(text)) {
    if (!Object.hasOwn(wanted, name) || !value.range || String(value.value ?? '') === wanted[name]) continue;
    edits.push({ start: value.range[0], end: value.range[1], value: wanted[name]! });
  }
  let next = text;
  // From the end, so the earlier offsets stay right. Single quotes: YAML's quoting with one escape ('').
  for (const e of edits.sort((a, b) => b.start - a.start)) next = `${next.slice(0, e.start)}'${e.value.replaceAll("'", "''")}'${next.slice(e.end)}`;
  return next;
}

/**
 * The `variables:` entries of the pipeline YAML that have a plain value, by name (the first of a repeated one): one
 * parse for all of them (setup reads several, and azure-pipelines.yml's comments make each parse cost milliseconds).
 */
export function pipelineVariables(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const { name, value } of declaredVariables(text)) if (!found.has(name)) found.set(name, String(value.value ?? ''));
  return found;
}

/** The value of a `variables:` entry of the pipeline YAML, or undefined when it is not declared with a plain value. */
export const pipelineVariable = (text: string, name: string): string | undefined => pipelineVariables(text).get(name);
