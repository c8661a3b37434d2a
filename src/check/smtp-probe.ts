// The production SmtpProbe: the first steps a sending MTA takes (RFC 5321 §3.1–3.2, RFC 3207 STARTTLS),
// stopping right after the TLS handshake. Every step has a timeout and every byte read is counted.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describeTls, keepPeerCertificate } from './certificate.ts';
import type { SmtpError, SmtpProbe, SmtpResult } from './io.ts';

export interface SmtpProbeOptions {
  port?: number;
  /** Trusted CAs; undefined = Node's default store, which includes NODE_EXTRA_CA_CERTS. */
  ca?: string | string[];
  stepTimeoutMs?: number;
  /** Cap on all bytes read before TLS; a real server sends well under 4 KiB. */
  maxBytes?: number;
  heloName?: string;
}

interface Reply {
  code: number;
  lines: string[];
}

class StepError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Reads SMTP replies (RFC 5321 §4.2: "250-…" continues, "250 …" ends) off a socket, within limits. */
class ReplyReader {
  private buffer = '';
  private received = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly onData = (chunk: Buffer): void => {
    this.received += chunk.length;
    if (this.received > this.maxBytes) {
      this.fail(new StepError('too-much-data', `the server sent more than ${this.maxBytes} bytes before TLS`));
      this.socket.destroy();
      return;
    }
    this.buffer += chunk.toString('latin1');
    this.wake?.();
  };
  private readonly onEnd = (): void => this.fail(new StepError('closed', 'the server closed the connection'));
  private readonly onError = (e: NodeJS.ErrnoException): void => this.fail(new StepError(e.code ?? 'error', e.message));

  constructor(private readonly socket: Socket, private readonly maxBytes: number) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake?.();
  }

  /** Stops listening, so the socket can be handed to TLS. */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
  }

  next(clock: StepClock): Promise<Reply> {
    return clock.step((deadline) =>
      new Promise<Reply>((resolve, reject) => {
        const lines: string[] = [];
        const done = (): void => {
          this.wake = undefined;
          deadline.removeEventListener('abort', onAbort);
        };
        const onAbort = (): void => {
          done();
          reject(deadline.reason);
        };
        const pump = (): void => {
          for (let eol = this.buffer.indexOf('\n'); eol >= 0; eol = this.buffer.indexOf('\n')) {
            const line = this.buffer.slice(0, eol).replace(/\r$/, '');
            this.buffer = this.buffer.slice(eol + 1);
            const m = /^(\d{3})(?:([ -])(.*))?$/.exec(line);
            if (!m) {
              done();
              reject(new StepError('bad-reply', `not an SMTP reply: ${JSON.stringify(line.slice(0, 80))}`));
              return;
            }
            lines.push(m[3] ?? '');
            if (m[2] !== '-') {
              done();
              resolve({ code: Number(m[1]), lines });
              return;
            }
          }
          if (this.failure) {
            done();
            reject(this.failure);
          }
        };
        this.wake = pump;
        deadline.addEventListener('abort', onAbort, { once: true });
        pump();
      }),
    );
  }
}

// One timer, one signal and one listener on the domain's signal per probe, the timer re-armed at each step: a
// controller, timer and listener per step (and before that AbortSignal.any over AbortSignal.timeout) cost the
// machinery five times over per MX host. Steps follow one another without a pause, so one clock is enough.
class StepClock {
  private readonly controller = new AbortController();
  private readonly abort = (): void => this.controller.abort();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly ms: number, private readonly signal: AbortSignal) {
    this.timer = setTimeout(this.abort, ms);
    signal.addEventListener('abort', this.abort, { once: true });
  }

  /** Runs one step within `ms` of its start, and within the domain's deadline. */
  async step<T>(run: (deadline: AbortSignal) => Promise<T>): Promise<T> {
    if (this.signal.aborted) throw new StepError('timeout', 'the check deadline passed');
    this.timer.refresh();
    try {
      return await run(this.controller.signal);
    } catch (e) {
      if (this.controller.signal.aborted && !(e instanceof StepError)) throw new StepError('timeout', `no answer within ${this.ms / 1000} s`);
      throw e;
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.signal.removeEventListener('abort', this.abort);
  }
}

export function createSmtpProbe(options: SmtpProbeOptions = {}): SmtpProbe {
  const port = options.port ?? 25;
  const stepMs = options.stepTimeoutMs ?? 30_000;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const heloName = options.heloName ?? 'mta-sts-check.invalid';
  const secureContext = createSecureContext({ ca: options.ca }); // the trust store, parsed once

  return {
    async probe({ host, address, signal }) {
      const started = performance.now();
      const result: SmtpResult = { elapsedMs: 0 };
      let stage: SmtpError['stage'] = 'connect';
      const socket = netConnect({ host: address, port, noDelay: true });
      socket.on('error', () => {}); // errors are reported by the step that is waiting; never crash the run
      let tlsSocket: ReturnType<typeof tlsConnect> | undefined;
      const clock = new StepClock(stepMs, signal);
      try {
        await clock.step((deadline) =>
          new Promise<void>((resolve, reject) => {
            socket.once('connect', resolve);
            socket.once('error', (e: NodeJS.ErrnoException) => reject(new StepError(e.code ?? 'error', e.message)));
            deadline.addEventListener('abort', () => reject(deadline.reason), { once: true });
          }),
        );
        const reader = new ReplyReader(socket, maxBytes);
        stage = 'greeting';
        const greeting = await reader.next(clock);
        result.greeting = `${greeting.code} ${greeting.lines.join(' ')}`.slice(0, 200);
        if (greeting.code !== 220) throw new StepError(`reply-${greeting.code}`, `greeting was ${result.greeting}, expected 220`);

        stage = 'ehlo';
        socket.write(`EHLO ${heloName}\r\n`);
        const ehlo = await reader.next(clock);
        if (ehlo.code !== 250) throw new StepError(`reply-${ehlo.code}`, `EHLO answered ${ehlo.code} ${ehlo.lines.join(' ')}`);
        result.extensions = ehlo.lines.slice(1).map((l) => (l.split(' ')[0] ?? '').toUpperCase());
        result.starttlsOffered = result.extensions.includes('STARTTLS');
        if (!result.starttlsOffered) {
          socket.end('QUIT\r\n');
          return result;
        }

        stage = 'starttls';
        socket.write('STARTTLS\r\n');
        const ready = await reader.next(clock);
        if (ready.code !== 220) throw new StepError(`reply-${ready.code}`, `STARTTLS answered ${ready.code} ${ready.lines.join(' ')}`);
        reader.detach();

        stage = 'tls';
        const peer = keepPeerCertificate();
        const upgraded = tlsConnect({
          socket,
          servername: isIP(host) === 0 ? host : undefined, // RFC 8461 §4.2 via RFC 6066 SNI
          secureContext,
          rejectUnauthorized: false, // the checker judges the certificate itself, to explain what is wrong
          checkServerIdentity: peer.checkServerIdentity,
        });
        tlsSocket = upgraded;
        upgraded.on('error', () => {});
        await clock.step((deadline) =>
          new Promise<void>((resolve, reject) => {
            upgraded.once('secureConnect', resolve);
            upgraded.once('error', (e: NodeJS.ErrnoException) => reject(new StepError(e.code ?? 'error', e.message)));
            deadline.addEventListener('abort', () => reject(deadline.reason), { once: true });
          }),
        );
        result.tls = describeTls(upgraded, peer.peer);
        upgraded.end('QUIT\r\n');
        return result;
      } catch (e) {
        const err = e instanceof StepError ? e : new StepError('error', e instanceof Error ? e.message : String(e));
        result.error = { stage: err.code === 'timeout' ? 'timeout' : stage, code: err.code, message: err.message };
        return result;
      } finally {
        clock.stop();
        result.elapsedMs = Math.round(performance.now() - started);
        // Never leave a socket open. After QUIT, close on the server's reply or its close (RFC 5321
        // §4.1.1.10: the sender waits for the reply), within a second: a socket left open holds its TLS
        // state, some 20 KB of native memory, and at the default concurrency that was a tenth of the RSS.
        const s = tlsSocket ?? socket;
        if (result.error) s.destroy();
        else {
          const bound = setTimeout(() => s.destroy(), 1000).unref();
          const close = (): void => {
            clearTimeout(bound);
            s.destroy();
          };
          s.once('data', close);
          s.once('end', close);
          s.once('close', close);
        }
      }
    },
  };
}
