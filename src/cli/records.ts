// `mta-sts records`: the DNS records to publish, as zone-file lines or JSON.
import { dnsRecords, zoneFileLines } from '../site/records.ts';
import { configOption, loadConfigArg, parseOptions, type Command } from './io.ts';
import { printableJson } from '../printable.ts';

export const command: Command = {
  name: 'records',
  usage: 'records [--config FILE] [--json]',
  summary: 'print the DNS records to publish for every domain',
  help: [
    '  --config FILE  the config (default mta-sts.config.yaml)',
    '  --json         a JSON array of { domain, name, type, ttl, value }',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(args, { ...configOption, json: { type: 'boolean' } });
    const config = await loadConfigArg(io, values.config);
    if (!config) return 1;
    const list = dnsRecords(config);
    io.out(values.json ? `${printableJson(list, 2)}\n` : `${zoneFileLines(list)}\n`);
    return 0;
  },
};
