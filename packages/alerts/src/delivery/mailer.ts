/**
 * The part of @qt/notify's `Mailer` the alert emails need (structurally the same `send`), so the engine
 * hands its mailer in and this package does not depend on the SMTP stack.
 */
export interface AlertMailer {
  send(message: { to: string; subject: string; text: string }): Promise<{ messageId: string }>;
}
