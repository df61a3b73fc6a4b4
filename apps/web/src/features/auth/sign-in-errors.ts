/**
 * next-auth passes only a message from `authorize` to the sign-in form. An unverified email needs more
 * than a message (the form offers to resend the link), so that case travels as this marker, which the
 * form recognises; every other failure travels as the engine's message for people.
 */
export const EMAIL_NOT_VERIFIED_ERROR = 'ACCOUNT_EMAIL_NOT_VERIFIED';

export const EMAIL_NOT_VERIFIED_MESSAGE =
  'Confirm your email address first: open the link we emailed you when you signed up.';
