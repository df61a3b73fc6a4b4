import { AppError, type SignedIn, type SignInInput } from '@qt/shared';
import { dummyPasswordHash, verifyPassword } from '../../auth/passwords.ts';
import type { ApiDeps } from '../../context.ts';
import { toTenantView, toUserView } from './views.ts';

const invalid = () => new AppError('AUTH_INVALID_CREDENTIALS', 'Wrong email or password.');

/**
 * Checks a password and returns the person with their first tenant. Unknown email and wrong password
 * give the same error after the same work (a dummy argon2 verify), and failures are rate-limited per IP
 * (generously) and per IP + email (tightly).
 */
export async function signIn(deps: ApiDeps, input: SignInInput, ip: string): Promise<SignedIn> {
  const byIp = deps.limiters.signInByIp;
  const byAccount = deps.limiters.signIn;
  const ipKey = `ip:${ip}`;
  const accountKey = `ip-email:${ip}:${input.email}`;
  await byIp.check(ipKey);
  await byAccount.check(accountKey);

  const user = await deps.db.user.findUnique({
    where: { email: input.email },
    include: { memberships: { include: { tenant: true }, orderBy: { createdAt: 'asc' }, take: 1 } },
  });
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
  const membership = user?.memberships[0];
  if (!user || !ok || !membership) {
    await byIp.recordFailure(ipKey);
    await byAccount.recordFailure(accountKey);
    throw invalid();
  }
  await byAccount.reset(accountKey);
  return { user: toUserView(user), tenant: toTenantView(membership.tenant), role: membership.role };
}
