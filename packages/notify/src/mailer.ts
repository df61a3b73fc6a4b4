/** One email to one person. Plain text is required (it is what every client can show); HTML is optional. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /**
   * The one link the message is about (verify, reset). The outbox mailer prints it in the log, so a
   * person running the engine locally follows it without opening a mail file.
   */
  actionUrl?: string;
}

export interface SentMail {
  /** The Message-ID header the message went out with. */
  messageId: string;
}

/**
 * Sends messages to people. `send` resolves once the message is handed over (accepted by the SMTP
 * server, or written to the outbox) and rejects when it was not, so a caller can tell the person to try
 * again instead of waiting for an email that will never come.
 */
export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  send(message: MailMessage): Promise<SentMail>;
  close(): Promise<void>;
}

/** What the mailers log: a subset of pino's interface, so the engine's logger fits as is. */
export interface MailLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}
