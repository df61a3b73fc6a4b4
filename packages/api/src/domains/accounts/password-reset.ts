import { resetPasswordMail } from '@qt/notify';
import type { AccountMailSent, ResetPasswordInput } from '@qt/shared';
import { ipBucket } from '../../auth/ip-bucket.ts';
import { revokeSessions } from '../../auth/live-session.ts';
import { hashPassword } from '../../auth/passwords.ts';
import type { ApiDeps } from '../../context.ts';
import { hashAccountToken, newAccountToken } from './account-mail.ts';
import { invalidToken } from './verify-email.ts';

export const RESET_PASSWORD_TTL_MINUTES = 60;

/**
 * Emails a password-reset link (single use, 1 h) when the address has an account. The same answer,
 * after the same work, whether or not it has one: the lookup and the link's token are written by a
 * queued job, off the request path. Throttled per client address, then per recipient (see
 * `AccountMail.mayMail`); a request over the recipient's budget creates no link, so the newest link the
 * person was sent keeps working.
 */
export async function requestPasswordReset(
  deps: ApiDeps,
  email: string,
  ip: string,
): Promise<AccountMailSent> {
  const bucket = ipBucket(ip);
  await deps.accounts.throttles.mailRequestByIp.take(bucket);
  if (await deps.accounts.mayMail(email, bucket)) {
    deps.accounts.enqueueJob('password reset', async () => {
      const user = await deps.db.user.findUnique({ where: { email } });
      if (!user) return null;
      const link = newAccountToken();
      const expiresAt = new Date(deps.clock.now() + RESET_PASSWORD_TTL_MINUTES * 60_000);
      await deps.db.$transaction([
        deps.db.accountToken.deleteMany({ where: { userId: user.id, purpose: 'RESET_PASSWORD' } }),
        deps.db.accountToken.create({
          data: { userId: user.id, purpose: 'RESET_PASSWORD', hash: link.hash, expiresAt },
        }),
      ]);
      const url = `${deps.accounts.webPublicUrl}/reset-password?token=${link.token}`;
      return resetPasswordMail({ to: email, link: url, expiresInMinutes: RESET_PASSWORD_TTL_MINUTES });
    });
  }
  return { status: 'email_sent' };
}

/**
 * Sets a new password with a reset link's token: single use (checked and spent in one statement),
 * unexpired; anything else is ACCOUNT_TOKEN_INVALID. Opening the link proves the mailbox, so an
 * unverified account becomes verified too. Every signed-in session of the person ends (whoever knew the
 * old password may be signed in); API keys stay, they are revoked one by one in Settings.
 */
export async function resetPassword(
  deps: ApiDeps,
  input: ResetPasswordInput,
): Promise<{ status: 'password_reset' }> {
  const now = new Date(deps.clock.now());
  const hash = hashAccountToken(input.token);
  const row = await deps.db.accountToken.findUnique({ where: { hash } });
  if (row?.purpose !== 'RESET_PASSWORD' || row.usedAt || row.expiresAt <= now) throw invalidToken();
  const passwordHash = await hashPassword(input.password);
  await deps.db.$transaction(async (tx) => {
    // Re-checked here: the hash above took a while, and another use of the link may have won meanwhile.
    const used = await tx.accountToken.updateMany({
      where: { id: row.id, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (used.count !== 1) throw invalidToken();
    const user = await tx.user.findUniqueOrThrow({ where: { id: row.userId } });
    await tx.user.update({
      where: { id: row.userId },
      data: { passwordHash, emailVerifiedAt: user.emailVerifiedAt ?? now },
    });
  });
  await revokeSessions(deps, row.userId, 'password reset');
  deps.logger.info({ userId: row.userId }, 'password reset');
  return { status: 'password_reset' };
}
