// `records` and `build` print every record a policy host needs, for each hosting kind, through the CLI as a newcomer
// runs it: a value not known yet (the CNAME target before the app exists, a Function App's verification id) is a
// named placeholder with a one-line note saying how to find it, never a record left out (issue 24).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const BASE = 'domains:\n  - contoso.com\n  - fabrikam.com\npolicy:\n  mode: testing\n  mx:\n    - "*.mail.protection.outlook.com"\n  max_age: 604800\n'
  + 'tlsrpt:\n  rua:\n    - mailto:tlsrpt@contoso.com\n';

let dir: string | undefined;
afterEach(async () => { if (dir) await rm(dir, { recursive: true, force: true }); dir = undefined; });

async function run(args: string[], config: string) {
  dir = await mkdtemp(join(tmpdir(), 'mta-sts-records-'));
  await writeFile(join(dir, 'mta-sts.config.yaml'), config);
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), cwd: dir, isTTY: false, env: {} });
  return { code, out, err };
}

/** The zone-file lines of the output: `NAME. TTL IN TYPE VALUE [; not known yet: …]`. */
const zoneLines = (out: string) => out.split('\n').filter((l) => /^\S+\. 3600 IN (TXT|CNAME) /.test(l));

const KINDS = {
  'static-web-app': { host: ['CNAME mta-sts'], placeholders: { 'mta-sts': '<default_hostname>' } },
  'function-app': { host: ['CNAME mta-sts', 'TXT asuid.mta-sts'], placeholders: { 'mta-sts': '<default_hostname>', 'asuid.mta-sts': '<customDomainVerificationId>' } },
} as const;

describe.each(Object.keys(KINDS) as (keyof typeof KINDS)[])('hosting.kind %s, before the app exists', (kind) => {
  const config = `${BASE}hosting:\n  kind: ${kind}\n`;

  it.each([['records'], ['build']])('%s prints every record of every domain, a placeholder and a one-line note where a value is not known yet', async (command) => {
    const r = await run([command], config);
    expect(r.code).toBe(0);
    const lines = zoneLines(r.out);
    for (const domain of ['contoso.com', 'fabrikam.com']) {
      const mine = lines.filter((l) => l.split(' ')[0]!.endsWith(`.${domain}.`));
      const kinds = mine.map((l) => { const [name, , , type] = l.split(' '); return `${type} ${name!.slice(0, -(domain.length + 2))}`; });
      expect(kinds.sort()).toEqual(['TXT _mta-sts', 'TXT _smtp._tls', ...KINDS[kind].host].sort());
      for (const [prefix, placeholder] of Object.entries(KINDS[kind].placeholders)) {
        const line = mine.find((l) => l.startsWith(`${prefix}.${domain}. `))!;
        expect(line).toContain(placeholder);
        expect(line).toMatch(/ ; not known yet: .*az (staticwebapp|functionapp) show /);
      }
    }
    // One line per record: a note never breaks a record over two lines.
    expect(r.out.split('\n').filter((l) => l.includes('not known yet'))).toHaveLength(2 * Object.keys(KINDS[kind].placeholders).length);
  });

  it('records --json carries the same records, each placeholder with its note', async () => {
    const r = await run(['records', '--json'], config);
    const records = JSON.parse(r.out) as { name: string; value: string; placeholder?: string }[];
    expect(records).toHaveLength(2 * (2 + KINDS[kind].host.length));
    const open = records.filter((x) => x.placeholder !== undefined);
    expect(open.map((x) => x.value).sort()).toEqual([...Object.values(KINDS[kind].placeholders), ...Object.values(KINDS[kind].placeholders)].sort());
    for (const x of open) expect(x.placeholder).not.toContain('\n');
  });
});

describe('once the app is known', () => {
  it('the CNAME is complete, and a Function App\'s verification id is still a placeholder whose note names the app', async () => {
    const r = await run(['records'], `${BASE}hosting:\n  kind: function-app\n  app: mta-sts-contoso\n  resource_group: rg-mta-sts\n  default_hostname: mta-sts-contoso.azurewebsites.net\n`);
    const lines = zoneLines(r.out);
    expect(lines).toContain('mta-sts.contoso.com. 3600 IN CNAME mta-sts-contoso.azurewebsites.net.');
    expect(lines.find((l) => l.startsWith('asuid.mta-sts.contoso.com. '))).toContain('az functionapp show -n mta-sts-contoso -g rg-mta-sts --query customDomainVerificationId');
  });
});
