import type { MailMessage } from './mailer.ts';

// The account emails. Plain text first (every client shows it, and it is what a person copies a link
// from); a small HTML part with the same words. Nothing here says whether an account exists beyond what
// the recipient, who owns the address, may know.

const PRODUCT = 'Quant-Trader';

export interface VerifyEmailMail {
  to: string;
  link: string;
  expiresInHours: number;
}

export function verifyEmailMail({ to, link, expiresInHours }: VerifyEmailMail): MailMessage {
  const lines = [
    `Welcome to ${PRODUCT}.`,
    '',
    'Confirm your email address to finish creating your account:',
    link,
    '',
    `The link works once and expires in ${expiresInHours} hours.`,
    'If you did not sign up, ignore this email: no account is activated until the link is opened.',
  ];
  return {
    to,
    subject: `Confirm your email for ${PRODUCT}`,
    text: lines.join('\n'),
    html: html(lines, link, 'Confirm my email'),
    actionUrl: link,
  };
}

export interface ResetPasswordMail {
  to: string;
  link: string;
  expiresInMinutes: number;
}

export function resetPasswordMail({ to, link, expiresInMinutes }: ResetPasswordMail): MailMessage {
  const lines = [
    `Someone (hopefully you) asked to reset the password of your ${PRODUCT} account.`,
    '',
    'Choose a new password here:',
    link,
    '',
    `The link works once and expires in ${expiresInMinutes} minutes.`,
    'If you did not ask, ignore this email: your password stays as it is.',
  ];
  return {
    to,
    subject: `Reset your ${PRODUCT} password`,
    text: lines.join('\n'),
    html: html(lines, link, 'Choose a new password'),
    actionUrl: link,
  };
}

export interface SignUpAttemptMail {
  to: string;
  signInUrl: string;
  resetUrl: string;
}

/** Sent instead of a second account when someone signs up with an address that already has one. */
export function signUpAttemptMail({ to, signInUrl, resetUrl }: SignUpAttemptMail): MailMessage {
  const lines = [
    `Someone tried to create a ${PRODUCT} account with this email address, which already has one.`,
    '',
    `If it was you, sign in instead: ${signInUrl}`,
    `Forgot your password? Reset it: ${resetUrl}`,
    '',
    'If it was not you, ignore this email: nothing about your account changed.',
  ];
  return {
    to,
    subject: `Sign-up attempt for your ${PRODUCT} account`,
    text: lines.join('\n'),
    html: html(lines, signInUrl, 'Sign in'),
    actionUrl: signInUrl,
  };
}

function html(lines: string[], link: string, label: string): string {
  const body = lines
    .map((l) => (l === '' ? '' : `<p>${escapeHtml(l)}</p>`))
    .filter(Boolean)
    .join('\n');
  return [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
    body,
    `<p><a href="${escapeHtml(link)}">${escapeHtml(label)}</a></p>`,
    '</body></html>',
  ].join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
