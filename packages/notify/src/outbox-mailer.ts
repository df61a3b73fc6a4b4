import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type StreamTransport from 'nodemailer/lib/stream-transport/index.js';
import type { Mailer, MailLogger, MailMessage, SentMail } from './mailer.ts';

export interface OutboxSettings {
  /** Folder of `.eml` files, one per message (created when missing). */
  dir: string;
  from: string;
  logger: MailLogger;
  /** Oldest messages are deleted beyond this many, so a long-running local engine does not fill the disk. */
  maxMessages?: number;
  /**
   * Print each message's link (`actionUrl`) in the log. Off unless asked for: a link carries a
   * single-use token (a password reset's is as good as the password), and logs travel further than the
   * outbox (collectors, support). The engine turns it on for its embedded, single-machine default.
   */
  logLinks?: boolean;
}

export const DEFAULT_OUTBOX_MAX_MESSAGES = 500;

/**
 * For running without a mail server (the embedded default): each message becomes a standard `.eml` file
 * (open it with any mail client, readable by the engine's user only) and, with `logLinks`, its link is
 * printed in the log. Built by nodemailer's own composer,
 * so what lands here is byte for byte what SMTP would have sent.
 */
export class OutboxMailer implements Mailer {
  readonly kind = 'outbox' as const;
  private readonly composer: Transporter<StreamTransport.SentMessageInfo>;
  private readonly maxMessages: number;
  // Writes and pruning run one at a time, so two sends never prune each other's fresh files.
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly settings: OutboxSettings) {
    this.composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    this.maxMessages = settings.maxMessages ?? DEFAULT_OUTBOX_MAX_MESSAGES;
  }

  send(message: MailMessage): Promise<SentMail> {
    const run = this.tail.then(() => this.write(message));
    this.tail = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.tail;
  }

  private async write(message: MailMessage): Promise<SentMail> {
    const info = await this.composer.sendMail({
      from: this.settings.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html ? { html: message.html } : {}),
    });
    const raw = info.message;
    if (!Buffer.isBuffer(raw)) throw new Error('the mail composer returned no buffer');
    await mkdir(this.settings.dir, { recursive: true });
    // Sortable by time; the random part keeps two messages of one millisecond apart. Written under a
    // temporary name and renamed, so a reader (a person, a test) never sees half a message.
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`;
    const file = join(this.settings.dir, name);
    await writeFile(`${file}.tmp`, raw, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
    const link = this.settings.logLinks ? message.actionUrl : undefined;
    this.settings.logger.info(
      { to: message.to, subject: message.subject, file, ...(link ? { link } : {}) },
      link
        ? `email not sent (no SMTP configured), saved to the outbox; its link: ${link}`
        : 'email not sent (no SMTP configured), saved to the outbox',
    );
    await this.prune();
    return { messageId: info.messageId };
  }

  private async prune(): Promise<void> {
    const files = (await readdir(this.settings.dir)).filter((f) => f.endsWith('.eml')).sort();
    const excess = files.length - this.maxMessages;
    if (excess <= 0) return;
    for (const f of files.slice(0, excess)) await rm(join(this.settings.dir, f), { force: true });
  }
}
