// mta-sts.schema.json is the single source of truth for the config's shape (editors read it directly).
// TypeScript infers widened types for JSON imports ("object" becomes string), which JSONSchemaType
// cannot check, so this script copies the JSON into schema.generated.ts as an object literal typed
// JSONSchemaType<RawConfig>: tsc then proves schema and types agree, and test/config fails when the copy
// is stale.   Usage: npm run schema [-- --check]
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const SCHEMA_JSON_URL = new URL('../../mta-sts.schema.json', import.meta.url);
export const SCHEMA_MODULE_URL = new URL('./schema.generated.ts', import.meta.url);

/** The TypeScript module that mirrors the JSON schema text `json`. */
export function schemaModuleSource(json: string): string {
  const literal = JSON.stringify(JSON.parse(json), null, 2);
  return [
    '// GENERATED from mta-sts.schema.json by `npm run schema`; edit the JSON file, not this one.',
    "import type { JSONSchemaType } from 'ajv';",
    "import type { RawConfig } from './raw-config.ts';",
    '',
    `export const configSchema: JSONSchemaType<RawConfig> = ${literal};`,
    '',
  ].join('\n');
}

async function main(check: boolean): Promise<number> {
  const wanted = schemaModuleSource(await readFile(SCHEMA_JSON_URL, 'utf8'));
  const current = await readFile(SCHEMA_MODULE_URL, 'utf8').catch(() => '');
  if (current === wanted) return 0;
  if (check) {
    process.stderr.write('src/config/schema.generated.ts is stale against mta-sts.schema.json; run npm run schema\n');
    return 1;
  }
  await writeFile(SCHEMA_MODULE_URL, wanted);
  process.stdout.write('wrote src/config/schema.generated.ts\n');
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.includes('--check'));
}
