import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO), lower case. */
  rcptTo: string[];
  mailFrom: string;
  /** The authenticated user, when the client logged in. */
  user: string | null;
  parsed: ParsedMail;
  raw: Buffer;
}

export interface TestSmtpServer {
  port: number;
  /** `smtp://127.0.0.1:<port>` (with the credentials when the server requires them). */
  url: string;
  received: ReceivedMail[];
  /** Waits until a message to `to` arrives (or has arrived) and returns the newest one. */
  waitFor(to: string, opts?: { timeoutMs?: number; after?: number }): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server (the `smtp-server` package, in process) for tests: it speaks the protocol,
 * authenticates, and keeps every message it accepted, parsed. Plain text on loopback (no STARTTLS), so
 * the client needs no certificate.
 */
export async function startTestSmtpServer(
  opts: { auth?: { user: string; pass: string }; rejectRecipients?: RegExp } = {},
): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        callback(null, { user: auth.username });
        return;
      }
      callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      if (opts.rejectRecipients?.test(address.address)) {
        callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            const from = session.envelope.mailFrom;
            received.push({
              rcptTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              mailFrom: from ? from.address : '',
              user: typeof session.user === 'string' ? session.user : null,
              parsed,
              raw,
            });
            for (const w of waiters) w();
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const creds = opts.auth
    ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@`
    : '';

  return {
    port,
    url: `smtp://${creds}127.0.0.1:${port}`,
    received,
    waitFor(to, { timeoutMs = 20_000, after = 0 } = {}) {
      const want = to.toLowerCase();
      const find = () => received.slice(after).findLast((m) => m.rcptTo.includes(want));
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = find();
          if (!m) return false;
          clearTimeout(timer);
          waiters.delete(onMail);
          resolve(m);
          return true;
        };
        const onMail = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(onMail);
          reject(new Error(`no email to ${to} within ${timeoutMs} ms (got ${received.length} in all)`));
        }, timeoutMs);
        waiters.add(onMail);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first http(s) link in a message's text part. */
export function linkIn(mail: ParsedMail): string {
  const m = /https?:\/\/\S+/.exec(mail.text ?? '');
  if (!m) throw new Error(`no link in the email "${mail.subject}"`);
  return m[0];
}
