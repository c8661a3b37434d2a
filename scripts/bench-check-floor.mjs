// The floor probe for bench:check: only the lookups and handshakes a check of a correct domain needs, with
// nothing around them (no findings, no evidence, no per-domain deadline), so `check` can be measured against
// the physical floor of its work. Per domain: TXT of _mta-sts and _smtp._tls, MX, A of the policy host and of
// the MX host (5 queries through one resolver, the checker's retries), one HTTPS GET of the policy, one SMTP
// EHLO + STARTTLS + TLS handshake. Same protocol as bench-check-runner.mjs: COUNT TIMEOUT_MS, the world's
// JSON on stdin, one JSON line out ({ms, cpuMs, maxRssKiB, checked, failed}).
import { Resolver } from 'node:dns/promises';
import { connect as netConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';

const [count] = process.argv.slice(2, 4).map(Number);
const CONCURRENCY = 32; // the checker's default

let input = '';
for await (const chunk of process.stdin) input += chunk;
const world = JSON.parse(input);
const domains = world.domains.slice(0, count);

const resolver = new Resolver({ timeout: 1000, tries: 4 });
resolver.setServers([world.dns]);

/** One HTTPS GET of the policy: status 200 and some body. */
const fetchPolicy = (host, address) =>
  new Promise((resolve) => {
    const socket = tlsConnect({ host: address, port: world.httpsPort, servername: host, rejectUnauthorized: false, checkServerIdentity: () => undefined });
    let head = '';
    socket.setEncoding('latin1');
    socket.on('secureConnect', () => socket.end(`GET /.well-known/mta-sts.txt HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`));
    socket.on('data', (d) => (head += d));
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(head.startsWith('HTTP/1.1 200')));
  });

/** EHLO, STARTTLS, TLS handshake, QUIT. */
const probeSmtp = (host, address) =>
  new Promise((resolve) => {
    const socket = netConnect({ host: address, port: world.smtpPort, noDelay: true });
    let buffer = '';
    let step = 'greeting';
    const fail = () => {
      socket.destroy();
      resolve(false);
    };
    socket.on('error', fail);
    socket.setEncoding('latin1');
    const onData = (d) => {
      buffer += d;
      // A reply ends with a line "ddd text" (no dash after the code).
      if (!/(^|\n)\d{3}( [^\n]*)?\r?\n$/.test(buffer)) return;
      const reply = buffer;
      buffer = '';
      if (step === 'greeting') {
        step = 'ehlo';
        socket.write('EHLO floor.invalid\r\n');
      } else if (step === 'ehlo') {
        if (!reply.includes('STARTTLS')) return fail();
        step = 'starttls';
        socket.write('STARTTLS\r\n');
      } else if (step === 'starttls') {
        socket.off('data', onData);
        socket.off('error', fail);
        const tls = tlsConnect({ socket, servername: host, rejectUnauthorized: false, checkServerIdentity: () => undefined });
        tls.on('error', () => resolve(false));
        tls.on('secureConnect', () => {
          tls.end('QUIT\r\n');
          tls.destroy();
          resolve(true);
        });
      }
    };
    socket.on('data', onData);
  });

const checkOne = async (domain) => {
  const policyHost = `mta-sts.${domain}`;
  const [, , mx, policy] = await Promise.all([
    resolver.resolveTxt(`_mta-sts.${domain}`),
    resolver.resolveTxt(`_smtp._tls.${domain}`),
    resolver.resolveMx(domain).then(async (records) => {
      const host = records[0].exchange;
      return probeSmtp(host, (await resolver.resolve4(host))[0]);
    }),
    resolver.resolve4(policyHost).then((a) => fetchPolicy(policyHost, a[0])),
  ]);
  return mx && policy;
};

const start = performance.now();
let next = 0;
let failed = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < domains.length) if (!(await checkOne(domains[next++]).catch(() => false))) failed++;
  }),
);
const ms = performance.now() - start;
const usage = process.resourceUsage(); // CPU of the whole process, start-up included, as for the checker
process.stdout.write(JSON.stringify({ ms, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssKiB: usage.maxRSS, checked: domains.length, failed }) + '\n');
process.exit(0);
