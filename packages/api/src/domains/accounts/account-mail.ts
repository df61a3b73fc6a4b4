import { createHash, randomBytes } from 'node:crypto';
import type { Mailer, MailMessage } from '@qt/notify';
import type { Redis } from 'ioredis';
import { createRequestThrottle, type RequestThrottle } from '../../auth/request-throttle.ts';
import type { ApiLogger } from '../../context.ts';

/** Pending account emails held in memory at most; beyond it a message is dropped and logged (see `enqueue`). */
export const ACCOUNT_MAIL_QUEUE_BOUND = 200;

/**
 * What the account flows (sign-up, verification, password reset) need besides the database: the mailer,
 * where links point, and the throttles. Account emails leave off the request path, through a bounded
 * queue: the answer to "sign up" or "reset my password" then takes the same time whether or not the
 * address has an account (a send to SMTP would otherwise tell them apart), and a slow mail server never
 * holds a request.
 */
export interface AccountMail {
  /** The web app's public URL, without a trailing slash: base of every link in an email. */
  webPublicUrl: string;
  throttles: {
    /** Sign-ups per client address. */
    signUpByIp: RequestThrottle;
    /** Sign-ups across all addresses: caps account creation (and mail) under a distributed flood. */
    signUpGlobal: RequestThrottle;
    /** Verification resends and password-reset requests per client address. */
    mailRequestByIp: RequestThrottle;
    /** Emails to one address (any kind), so nobody can use us to flood an inbox. Over it: silently not sent. */
    mailPerAddress: RequestThrottle;
  };
  /** Queues a message; never throws (a dropped or failed message is logged). */
  enqueue(message: MailMessage): void;
  /** Resolves when every queued message has been handed to the mailer (tests, shutdown). */
  idle(): Promise<void>;
  stats(): { pending: number; sent: number; failed: number; dropped: number };
  /** Waits for the queue, then closes the mailer. */
  close(): Promise<void>;
}

export interface AccountMailOptions {
  mailer: Mailer;
  logger: ApiLogger;
  webPublicUrl: string;
  redis?: Redis;
  keyPrefix: string;
  signUp: { perIpPer10Min: number; globalPerMinute: number };
  queueBound?: number;
}

export function createAccountMail(opts: AccountMailOptions): AccountMail {
  const throttle = (name: string, points: number, windowSeconds: number, what: string) =>
    createRequestThrottle(
      { keyPrefix: `${opts.keyPrefix}:accounts:${name}`, points, windowSeconds, what },
      opts.redis,
    );
  const bound = opts.queueBound ?? ACCOUNT_MAIL_QUEUE_BOUND;
  const queue: MailMessage[] = [];
  const counts = { sent: 0, failed: 0, dropped: 0 };
  let running: Promise<void> | null = null;

  async function drain(): Promise<void> {
    // One at a time: account mail is rare, and one SMTP connection at a time is kind to the server.
    for (let m = queue.shift(); m; m = queue.shift()) {
      try {
        await opts.mailer.send(m);
        counts.sent += 1;
      } catch (err) {
        counts.failed += 1;
        opts.logger.error(
          { to: m.to, subject: m.subject, err: err instanceof Error ? err.message : String(err) },
          'could not send an account email (the person can ask for it again)',
        );
      }
    }
  }

  // Restarts itself when a message arrived after the loop's last look at the queue.
  function kick(): void {
    if (running) return;
    running = drain().finally(() => {
      running = null;
      if (queue.length > 0) kick();
    });
  }

  const idle = async () => {
    while (running) await running;
  };

  return {
    webPublicUrl: opts.webPublicUrl.replace(/\/+$/, ''),
    throttles: {
      signUpByIp: throttle('signup-ip', opts.signUp.perIpPer10Min, 600, 'sign-ups from this address'),
      signUpGlobal: throttle('signup-all', opts.signUp.globalPerMinute, 60, 'sign-ups right now'),
      mailRequestByIp: throttle('mail-ip', 10, 600, 'email requests from this address'),
      mailPerAddress: throttle('mail-to', 5, 3600, 'emails to this address'),
    },
    enqueue(message) {
      if (queue.length >= bound) {
        counts.dropped += 1;
        opts.logger.warn(
          { to: message.to, subject: message.subject, bound },
          'account email queue full: dropped',
        );
        return;
      }
      queue.push(message);
      kick();
    },
    idle,
    stats: () => ({ pending: queue.length, ...counts }),
    async close() {
      await idle();
      await opts.mailer.close();
    },
  };
}

/** A single-use link token: 256 random bits, base64url (43 characters). Only its SHA-256 is stored. */
export function newAccountToken(): { token: string; hash: Uint8Array<ArrayBuffer> } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashAccountToken(token) };
}

export function hashAccountToken(token: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(token).digest());
}
