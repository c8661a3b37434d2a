// The pipeline YAML's `variables:` entries, read and set through the yaml Document API so comments and layout
// survive (beside config/edit.ts, which does the same for the config).
import { isMap, isSeq, parseDocument } from 'yaml';

/**
 * azure-pipelines.yml with the named `variables:` entries set, through the yaml Document API so comments and
 * layout survive. Only variables the file already declares are set; returns the text unchanged when they match.
 */
export function setPipelineVariables(text: string, wanted: Record<string, string>): string {
  const doc = parseDocument(text);
  const variables = isMap(doc.contents) ? doc.contents.get('variables', true) : undefined;
  if (!isSeq(variables)) return text;
  let changed = false;
  for (const item of variables.items) {
    if (!isMap(item)) continue;
    const name = item.get('name');
    if (typeof name === 'string' && Object.hasOwn(wanted, name) && item.get('value') !== wanted[name]) {
      item.set('value', wanted[name]);
      changed = true;
    }
  }
  return changed ? doc.toString() : text;
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
