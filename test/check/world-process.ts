// The local Internet of world.ts in its own process, so the benchmark measures the checker's memory and
// CPU, not the servers'. Usage: tsx test/check/world-process.ts N
// Prints one JSON line {dns, httpsPort, smtpPort, ca, domains}, then obeys stdin lines:
//   "latency MS"       delay every DNS answer by MS
//   "hang D1,D2,..."   the policy hosts of these domains accept and never answer
//   "heal D1,D2,..."   these domains' correct setup again
// answering "ok" to each. Exits when stdin closes.
import { createInterface } from 'node:readline';
import { World } from './world.ts';

const n = Number(process.argv[2] ?? 500);
const world = await World.start();
const domains = Array.from({ length: n }, (_, i) => `bench${i}.example`);
for (const d of domains) await world.addDomain(d);
process.stdout.write(
  JSON.stringify({ dns: world.dns.address, httpsPort: world.https.port, smtpPort: world.smtp.port, ca: world.ca.certPem, domains }) + '\n',
);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [command, arg = ''] = line.split(' ');
  if (command === 'latency') world.dns.latencyMs = Number(arg);
  else if (command === 'hang') for (const d of arg.split(',')) world.https.handlers.set(`mta-sts.${d}`, () => {});
  else if (command === 'heal') return void Promise.all(arg.split(',').map((d) => world.addDomain(d))).then(() => process.stdout.write('ok\n'));
  process.stdout.write('ok\n');
});
lines.on('close', () => {
  void world.close().then(() => process.exit(0));
});
