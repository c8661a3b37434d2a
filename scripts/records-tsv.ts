// Turns JSON into tab-separated lines for scripts/configure-domains.sh, so the shell never parses JSON.
//   records-tsv.ts FILE               `mta-sts records --json` (DnsRecord[]) -> domain, name, type, ttl, value,
//                                     and the zone-file line `mta-sts records` prints for it
//   records-tsv.ts --txt-values FILE  `az network dns record-set txt show -o json` -> one line per TXT record
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { zoneFileLines } from '../src/site/records.ts';

type Row = [domain: string, name: string, type: string, ttl: number, value: string];

/** Validates `mta-sts records --json` output; throws an Error naming the record and field that is wrong. */
export function recordRows(json: unknown): Row[] {
  if (!Array.isArray(json)) throw new Error('expected a JSON array of DNS records');
  return json.map((r: unknown, i): Row => {
    const where = `record ${i + 1}`;
    if (typeof r !== 'object' || r === null) throw new Error(`${where} is not an object`);
    const rec = r as Record<string, unknown>;
    for (const key of ['domain', 'name', 'value'] as const) {
      const v = rec[key];
      if (typeof v !== 'string' || v === '') throw new Error(`${where}: "${key}" must be a non-empty string`);
      // A tab or line break would split the TSV row; no valid record contains one.
      if (/[\t\r\n]/.test(v)) throw new Error(`${where}: "${key}" contains a tab or line break`);
    }
    if (rec.type !== 'TXT' && rec.type !== 'CNAME') throw new Error(`${where}: "type" must be TXT or CNAME`);
    if (!Number.isInteger(rec.ttl) || (rec.ttl as number) < 0) throw new Error(`${where}: "ttl" must be a whole number of seconds`);
    return [rec.domain as string, rec.name as string, rec.type, rec.ttl as number, rec.value as string];
  });
}

/** The values of an Azure DNS TXT record set, one per record, its strings joined as MTA-STS readers join them. */
export function txtValues(json: unknown): string[] {
  const set = (json ?? {}) as Record<string, unknown>;
  // Older az versions print txtRecords, newer ones TXTRecords.
  const records = (set.TXTRecords ?? set.txtRecords ?? []) as Array<{ value?: string[] }>;
  if (!Array.isArray(records)) throw new Error('TXTRecords is not an array');
  return records.map((r) => (r.value ?? []).join(''));
}

// Formatted by the same code as `mta-sts records`: TXT quoted, escaped and split at 255 bytes (RFC 1035).
function zoneLine([domain, name, type, ttl, value]: Row): string {
  return zoneFileLines([{ domain, name, type: type as 'TXT' | 'CNAME', ttl, value }]);
}

function main(argv: string[]): number {
  const txt = argv[0] === '--txt-values';
  const file = txt ? argv[1] : argv[0];
  if (!file) {
    process.stderr.write('usage: records-tsv.ts [--txt-values] FILE\n');
    return 2;
  }
  try {
    const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const lines = txt ? txtValues(json) : recordRows(json).map((row) => [...row, zoneLine(row)].join('\t'));
    process.stdout.write(lines.map((l) => `${l}\n`).join(''));
    return 0;
  } catch (e) {
    process.stderr.write(`error: ${file}: ${(e as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
