export { createMailer, type MailerConfig } from './create-mailer.ts';
export type { Mailer, MailLogger, MailMessage, SentMail } from './mailer.ts';
export { DEFAULT_OUTBOX_MAX_MESSAGES, OutboxMailer, type OutboxSettings } from './outbox-mailer.ts';
export { SmtpMailer, type SmtpSettings } from './smtp-mailer.ts';
export {
  type ResetPasswordMail,
  resetPasswordMail,
  type SignUpAttemptMail,
  signUpAttemptMail,
  type VerifyEmailMail,
  verifyEmailMail,
} from './templates.ts';
