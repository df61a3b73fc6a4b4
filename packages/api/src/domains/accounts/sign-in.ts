import { AppError, type SignedIn, type SignInInput } from '@qt/shared';
import type { Reservation } from '../../auth/attempt-limiter.ts';
import { ipBucket } from '../../auth/ip-bucket.ts';
import { dummyPasswordHash, verifyPassword } from '../../auth/passwords.ts';
import type { ApiDeps } from '../../context.ts';
import { notVerified } from './verify-email.ts';
import { toTenantView, toUserView } from './views.ts';

const invalid = () => new AppError('AUTH_INVALID_CREDENTIALS', 'Wrong email or password.');

/**
 * Checks a password and returns the person with their first tenant. Unknown email and wrong password
 * give the same error after the same work (a dummy argon2 verify), and failures are limited per client
 * address (IPv6: its /64; generously), per address + email (tightly) and per email from all addresses
 * (SIGN_IN_FAILURES_PER_EMAIL_PER_HOUR, against guessing spread over many addresses).
 *
 * The attempts are reserved BEFORE the password is hashed (one atomic step each), so concurrent calls
 * cannot all pass a check before any failure is recorded: at most the limit are ever evaluated. A wrong
 * password keeps every point; a success gives the address's and the email's points back and clears the
 * account's failures at that address; an attempt that could not be judged (database down) gives all back.
 */
export async function signIn(deps: ApiDeps, input: SignInInput, ip: string): Promise<SignedIn> {
  const bucket = ipBucket(ip);
  const byAccount = deps.limiters.signIn;
  const accountKey = `ip-email:${bucket}:${input.email}`;
  // The tight, per-account budget first: hammering one account is then refused without spending the
  // address's budget, which other people behind the same address share, or the email's, which its
  // owner needs everywhere.
  const accountAttempt = await byAccount.reserve(accountKey);
  const others: Reservation[] = [];
  try {
    others.push(await deps.limiters.signInByIp.reserve(`ip:${bucket}`));
    // Not blocking on refusal: a spent email budget refuses only until its window ends.
    others.push(await deps.accounts.signInPerEmail.reserve(`email:${input.email}`, { block: false }));
  } catch (err) {
    await Promise.all([accountAttempt, ...others].map((r) => r.release()));
    throw err;
  }

  // Settled: a wrong password keeps the points; a success released them itself.
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
      await Promise.all(others.map((r) => r.failed()));
      throw invalid();
    }
    await Promise.all(others.map((r) => r.release()));
    // Clears the account's earlier failures and this attempt's point with them.
    await byAccount.reset(accountKey);
    settled = true;
    // Said only after the right password, so it reveals nothing about who has an account.
    if (!user.emailVerifiedAt) throw notVerified();
    return { user: toUserView(user), tenant: toTenantView(membership.tenant), role: membership.role };
  } finally {
    if (!settled) await Promise.all([accountAttempt, ...others].map((r) => r.release()));
  }
}
