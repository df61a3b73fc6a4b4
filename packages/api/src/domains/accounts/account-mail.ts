import { createHash, randomBytes } from 'node:crypto';
import type { Mailer, MailMessage } from '@qt/notify';
import type { Redis } from 'ioredis';
import { type AttemptLimiter, createAttemptLimiter } from '../../auth/attempt-limiter.ts';
import { createRequestThrottle, type RequestThrottle } from '../../auth/request-throttle.ts';
import type { ApiLogger } from '../../context.ts';

/** Pending account emails held in memory at most; beyond it a message is dropped and logged (see `enqueue`). */
export const ACCOUNT_MAIL_QUEUE_BOUND = 200;
/** Emails to one recipient asked for from one client address (IPv6: its /64) per hour. */
export const MAIL_PER_RECIPIENT_PER_IP_PER_HOUR = 5;
/** Emails to one recipient per hour from all addresses together: the ceiling against inbox flooding. */
export const MAIL_PER_RECIPIENT_PER_HOUR = 20;
/** Failed sign-ins per email address per hour, from all addresses together (distributed guessing). */
export const SIGN_IN_FAILURES_PER_EMAIL_PER_HOUR = 50;

/**
 * Work queued for the mail loop: looks things up, writes the link's token and returns the message to
 * send (null: nothing to send). Run off the request path, one at a time.
 */
export type MailJob = () => Promise<MailMessage | null>;

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
    /** Emails to one recipient per client address (see `mayMail`). */
    mailPerRecipientIp: RequestThrottle;
    /** Emails to one recipient from all addresses (see `mayMail`). */
    mailPerRecipient: RequestThrottle;
  };
  /**
   * Failed sign-ins per email address from all client addresses (SIGN_IN_FAILURES_PER_EMAIL_PER_HOUR),
   * against guessing spread over many addresses. It lives here, with the other account-flow limits.
   */
  signInPerEmail: AttemptLimiter;
  /**
   * Whether one more email may go to `to` for a request from client bucket `ip` (spends the budgets).
   * Per (recipient, address) first, so one address can use up only its own share of a person's mail
   * and never cut the person off; then a per-recipient ceiling against a flood from many addresses.
   * Call it only after the request passed its per-address request limit. Over either: silently not sent.
   */
  mayMail(to: string, ip: string): Promise<boolean>;
  /** Queues a message; never throws (a dropped or failed message is logged). */
  enqueue(message: MailMessage): void;
  /**
   * Queues a job that decides what to send (lookups and token writes included); never throws. The
   * request then does the same work whether or not the address has an account, so its timing tells
   * nobody which (`what` names the job in logs).
   */
  enqueueJob(what: string, job: MailJob): void;
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
  const queue: { what: string; job: MailJob }[] = [];
  const counts = { sent: 0, failed: 0, dropped: 0 };
  let running: Promise<void> | null = null;

  async function drain(): Promise<void> {
    // One at a time: account mail is rare, and one SMTP connection at a time is kind to the server.
    for (let item = queue.shift(); item; item = queue.shift()) {
      try {
        const m = await item.job();
        if (!m) continue;
        await opts.mailer.send(m);
        counts.sent += 1;
      } catch (err) {
        counts.failed += 1;
        opts.logger.error(
          { what: item.what, err: err instanceof Error ? err.message : String(err) },
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

  const throttles = {
    signUpByIp: throttle('signup-ip', opts.signUp.perIpPer10Min, 600, 'sign-ups from this address'),
    signUpGlobal: throttle('signup-all', opts.signUp.globalPerMinute, 60, 'sign-ups right now'),
    mailRequestByIp: throttle('mail-ip', 10, 600, 'email requests from this address'),
    mailPerRecipientIp: throttle(
      'mail-to-ip',
      MAIL_PER_RECIPIENT_PER_IP_PER_HOUR,
      3600,
      'emails to this address',
    ),
    mailPerRecipient: throttle('mail-to', MAIL_PER_RECIPIENT_PER_HOUR, 3600, 'emails to this address'),
  };
  function enqueueJob(what: string, job: MailJob): void {
    if (queue.length >= bound) {
      counts.dropped += 1;
      opts.logger.warn({ what, bound }, 'account email queue full: dropped');
      return;
    }
    queue.push({ what, job });
    kick();
  }

  return {
    webPublicUrl: opts.webPublicUrl.replace(/\/+$/, ''),
    throttles,
    signInPerEmail: createAttemptLimiter(
      {
        keyPrefix: `${opts.keyPrefix}:auth:signin-email`,
        points: SIGN_IN_FAILURES_PER_EMAIL_PER_HOUR,
        windowSeconds: 3600,
        // A block restarts the count when it ends: shorter than the window, it would allow more per hour.
        blockSeconds: 3600,
      },
      opts.redis,
    ),
    async mayMail(to, ip) {
      if (!(await throttles.mailPerRecipientIp.tryTake(`${ip}\n${to}`))) return false;
      return throttles.mailPerRecipient.tryTake(to);
    },
    enqueue(message) {
      enqueueJob(message.subject, async () => message);
    },
    enqueueJob,
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
