// mta-sts.schema.json is the single source of truth for the config's shape (editors read it directly).
// TypeScript infers widened types for JSON imports ("object" becomes string), which JSONSchemaType
// cannot check, so this script copies the JSON into schema.generated.ts as an object literal typed
// JSONSchemaType<RawConfig>: tsc then proves schema and types agree, and test/config fails when the copy
// is stale. It also writes validate.generated.ts, the validator Ajv compiles from that schema, as code:
// compiling it at every start would cost each command about 100 ms.   Usage: npm run schema [-- --check]
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

export const SCHEMA_JSON_URL = new URL('../../mta-sts.schema.json', import.meta.url);
export const SCHEMA_MODULE_URL = new URL('./schema.generated.ts', import.meta.url);
export const VALIDATOR_MODULE_URL = new URL('./validate.generated.ts', import.meta.url);

/** The options config.ts's validator is compiled with. allErrors: report every mistake at once; useDefaults: fill policy.mx and hosting.plan. */
export const AJV_OPTIONS = { allErrors: true, useDefaults: true } as const;

/** The standalone validator module for the JSON schema text `json`. */
export function validatorModuleSource(json: string): string {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true } });
  const code = standaloneCode.default(ajv, ajv.compile(JSON.parse(json)));
  return [
    '// GENERATED from mta-sts.schema.json by `npm run schema` (Ajv standalone code); edit the JSON file, not this one.',
    '// @ts-nocheck',
    code,
    '',
  ].join('\n');
}

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
  const json = await readFile(SCHEMA_JSON_URL, 'utf8');
  let status = 0;
  for (const [url, wanted] of [[SCHEMA_MODULE_URL, schemaModuleSource(json)], [VALIDATOR_MODULE_URL, validatorModuleSource(json)]] as const) {
    const name = `src/config/${url.pathname.split('/').pop()}`;
    const current = await readFile(url, 'utf8').catch(() => '');
    if (current === wanted) continue;
    if (check) {
      process.stderr.write(`${name} is stale against mta-sts.schema.json; run npm run schema\n`);
      status = 1;
      continue;
    }
    await writeFile(url, wanted);
    process.stdout.write(`wrote ${name}\n`);
  }
  return status;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.includes('--check'));
}
