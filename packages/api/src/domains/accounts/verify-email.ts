import { type AccountMailSent, AppError, type VerifyEmailInput } from '@qt/shared';
import { ipBucket } from '../../auth/ip-bucket.ts';
import type { ApiDeps } from '../../context.ts';
import { hashAccountToken, newAccountToken } from './account-mail.ts';
import { verificationMail, verifyExpiry } from './sign-up.ts';

export const invalidToken = () =>
  new AppError(
    'ACCOUNT_TOKEN_INVALID',
    'This link is invalid or has expired, or was used already. Ask for a new one.',
  );

/** Sign-in refuses an unverified person with this, and only after the right password (see sign-in.ts). */
export const notVerified = () =>
  new AppError(
    'ACCOUNT_EMAIL_NOT_VERIFIED',
    'Confirm your email address first: open the link we emailed you, or ask for a new one.',
  );

/**
 * Opens a verification link: single use (the token is marked used in the same statement that checks it,
 * so two clicks at once verify once), unexpired. Unknown, used and expired tokens are one error.
 */
export async function verifyEmail(
  deps: ApiDeps,
  input: VerifyEmailInput,
): Promise<{ status: 'email_verified' }> {
  const now = new Date(deps.clock.now());
  const hash = hashAccountToken(input.token);
  await deps.db.$transaction(async (tx) => {
    const row = await tx.accountToken.findUnique({ where: { hash } });
    if (row?.purpose !== 'VERIFY_EMAIL') throw invalidToken();
    const used = await tx.accountToken.updateMany({
      where: { id: row.id, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (used.count !== 1) throw invalidToken();
    await tx.user.updateMany({
      where: { id: row.userId, emailVerifiedAt: null },
      data: { emailVerifiedAt: now },
    });
    deps.logger.info({ userId: row.userId }, 'email verified');
  });
  return { status: 'email_verified' };
}

/**
 * Sends a fresh verification link to an unverified account. The same answer whether the address is
 * unknown, unverified or verified, after the same work: the lookup and the new link's token are written
 * by a queued job, off the request path, so the answer's timing does not tell them apart either.
 * Throttled per client address, then per recipient (see `AccountMail.mayMail`).
 */
export async function resendVerification(deps: ApiDeps, email: string, ip: string): Promise<AccountMailSent> {
  const bucket = ipBucket(ip);
  await deps.accounts.throttles.mailRequestByIp.take(bucket);
  if (await deps.accounts.mayMail(email, bucket)) {
    deps.accounts.enqueueJob('verification resend', async () => {
      const user = await deps.db.user.findUnique({ where: { email } });
      if (!user || user.emailVerifiedAt) return null;
      const link = newAccountToken();
      await deps.db.$transaction([
        // Only the newest link works: a person who asked twice cannot be confused by an older one later.
        deps.db.accountToken.deleteMany({ where: { userId: user.id, purpose: 'VERIFY_EMAIL' } }),
        deps.db.accountToken.create({
          data: { userId: user.id, purpose: 'VERIFY_EMAIL', hash: link.hash, expiresAt: verifyExpiry(deps) },
        }),
      ]);
      return verificationMail(deps, email, link.token);
    });
  }
  return { status: 'email_sent' };
}
