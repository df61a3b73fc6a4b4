import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Mailer, MailMessage, SentMail } from './mailer.ts';

export interface SmtpSettings {
  /** `smtp://user:pass@host:587` or `smtps://...:465`; when set, the separate fields are ignored. */
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  pass?: string;
  /** TLS from the first byte (port 465). False: plain, upgraded with STARTTLS when the server offers it. */
  secure?: boolean;
  /** The From header, e.g. `Quant-Trader <no-reply@example.com>`. */
  from: string;
  /**
   * Bounds on how long one send may hold its caller (connect, greeting, each socket read). A mail server
   * that hangs must not hold a sign-up request for minutes.
   */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** Sends through an SMTP server with nodemailer (one connection per message: account mail is rare). */
export class SmtpMailer implements Mailer {
  readonly kind = 'smtp' as const;
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo>;
  private readonly from: string;

  constructor(settings: SmtpSettings) {
    const timeout = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeouts = { connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout };
    const options: SMTPTransport.Options = settings.url
      ? { ...parseUrl(settings.url), ...timeouts }
      : {
          host: settings.host,
          port: settings.port ?? (settings.secure ? 465 : 587),
          secure: settings.secure ?? false,
          ...(settings.user ? { auth: { user: settings.user, pass: settings.pass ?? '' } } : {}),
          ...timeouts,
        };
    this.transport = nodemailer.createTransport(options);
    this.from = settings.from;
  }

  async send(message: MailMessage): Promise<SentMail> {
    const info = await this.transport.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html ? { html: message.html } : {}),
    });
    // A server may accept the transaction yet refuse this recipient: for a one-recipient message that
    // is a failure, not a success.
    if (info.rejected.length > 0) throw new Error(`the mail server refused the recipient ${message.to}`);
    return { messageId: info.messageId };
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** nodemailer reads a connection URL itself; parsed here so a malformed one fails at start, not at first send. */
function parseUrl(url: string): SMTPTransport.Options {
  const u = new URL(url);
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new Error(`SMTP_URL must start with smtp:// or smtps://, got ${u.protocol}//`);
  }
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ...(u.username
      ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } }
      : {}),
  };
}
