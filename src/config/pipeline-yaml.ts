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

/**
 * The `variables:` entries of the pipeline YAML that have a plain value, by name: one parse for all of them (setup
 * reads several, and azure-pipelines.yml's comments make each parse cost milliseconds).
 */
export function pipelineVariables(text: string): Map<string, string> {
  const doc = parseDocument(text);
  const variables = isMap(doc.contents) ? doc.contents.get('variables', true) : undefined;
  const found = new Map<string, string>();
  if (!isSeq(variables)) return found;
  for (const item of variables.items) {
    if (!isMap(item)) continue;
    const name = item.get('name');
    const value = item.get('value', true);
    if (typeof name === 'string' && isScalar(value) && !found.has(name)) found.set(name, String(value.value ?? ''));
  }
  return found;
}

/** The value of a `variables:` entry of the pipeline YAML, or undefined when it is not declared with a plain value. */
export const pipelineVariable = (text: string, name: string): string | undefined => pipelineVariables(text).get(name);
