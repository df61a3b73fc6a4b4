import { AppError, type SignedIn, type SignInInput } from '@qt/shared';
import type { Reservation } from '../../auth/attempt-limiter.ts';
import { dummyPasswordHash, verifyPassword } from '../../auth/passwords.ts';
import type { ApiDeps } from '../../context.ts';
import { notVerified } from './verify-email.ts';
import { toTenantView, toUserView } from './views.ts';

const invalid = () => new AppError('AUTH_INVALID_CREDENTIALS', 'Wrong email or password.');

/**
 * Checks a password and returns the person with their first tenant. Unknown email and wrong password
 * give the same error after the same work (a dummy argon2 verify), and attempts are limited per IP
 * (generously) and per IP + email (tightly).
 *
 * Both attempts are reserved BEFORE the password is hashed (one atomic step each), so concurrent calls
 * cannot all pass a check before any failure is recorded: at most the limit are ever evaluated. A wrong
 * password keeps both points; a success gives the IP's point back and clears the account's failures;
 * an attempt that could not be judged (database down) gives both back.
 */
export async function signIn(deps: ApiDeps, input: SignInInput, ip: string): Promise<SignedIn> {
  const byIp = deps.limiters.signInByIp;
  const byAccount = deps.limiters.signIn;
  const ipKey = `ip:${ip}`;
  const accountKey = `ip-email:${ip}:${input.email}`;
  // The tight, per-account budget first: hammering one account is then refused without spending the
  // address's budget, which other people behind the same address share.
  const accountAttempt = await byAccount.reserve(accountKey);
  let ipAttempt: Reservation;
  try {
    ipAttempt = await byIp.reserve(ipKey);
  } catch (err) {
    await accountAttempt.release();
    throw err;
  }

  // Settled: a wrong password keeps both points; a success released them itself.
  let settled = false;
  try {
    const user = await deps.db.user.findUnique({
      where: { email: input.email },
      include: { memberships: { include: { tenant: true }, orderBy: { createdAt: 'asc' }, take: 1 } },
    });
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
    const membership = user?.memberships[0];
    if (!user || !ok || !membership) {
      settled = true;
      throw invalid();
    }
    await ipAttempt.release();
    // Clears the account's earlier failures and this attempt's point with them.
    await byAccount.reset(accountKey);
    settled = true;
    // Said only after the right password, so it reveals nothing about who has an account.
    if (!user.emailVerifiedAt) throw notVerified();
    return { user: toUserView(user), tenant: toTenantView(membership.tenant), role: membership.role };
  } finally {
    if (!settled) await Promise.all([accountAttempt.release(), ipAttempt.release()]);
  }
}
