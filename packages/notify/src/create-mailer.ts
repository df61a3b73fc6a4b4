import type { Mailer, MailLogger } from './mailer.ts';
import { OutboxMailer } from './outbox-mailer.ts';
import { SmtpMailer } from './smtp-mailer.ts';

export interface MailerConfig {
  smtpUrl?: string | undefined;
  smtpHost?: string | undefined;
  smtpPort?: number | undefined;
  smtpUser?: string | undefined;
  smtpPass?: string | undefined;
  smtpSecure?: boolean | undefined;
  from: string;
  /** Used when neither smtpUrl nor smtpHost is set. */
  outboxDir: string;
  /** The outbox prints links (with their tokens) in the log: only on a local, single-person setup. */
  outboxLogLinks?: boolean | undefined;
}

/** SMTP when a server is configured (SMTP_URL, or SMTP_HOST and friends); the local outbox otherwise. */
export function createMailer(config: MailerConfig, logger: MailLogger): Mailer {
  if (config.smtpUrl) return new SmtpMailer({ url: config.smtpUrl, from: config.from });
  if (config.smtpHost) {
    return new SmtpMailer({
      host: config.smtpHost,
      ...(config.smtpPort !== undefined ? { port: config.smtpPort } : {}),
      ...(config.smtpUser !== undefined ? { user: config.smtpUser } : {}),
      ...(config.smtpPass !== undefined ? { pass: config.smtpPass } : {}),
      ...(config.smtpSecure !== undefined ? { secure: config.smtpSecure } : {}),
      from: config.from,
    });
  }
  return new OutboxMailer({
    dir: config.outboxDir,
    from: config.from,
    logger,
    logLinks: config.outboxLogLinks ?? false,
  });
}
