import { AppError, type SignedIn, type SignInInput } from '@qt/shared';
import { dummyPasswordHash, verifyPassword } from '../../auth/passwords.ts';
import type { ApiDeps } from '../../context.ts';
import { toTenantView, toUserView } from './views.ts';

const invalid = () => new AppError('AUTH_INVALID_CREDENTIALS', 'Wrong email or password.');

/**
 * Checks a password and returns the person with their first tenant. Unknown email and wrong password
 * give the same error after the same work (a dummy argon2 verify), and failures are rate-limited per IP
 * and per IP + email.
 */
export async function signIn(deps: ApiDeps, input: SignInInput, ip: string): Promise<SignedIn> {
  const keys = [`ip:${ip}`, `ip-email:${ip}:${input.email}`];
  const limiter = deps.limiters.signIn;
  for (const key of keys) await limiter.check(key);

  const user = await deps.db.user.findUnique({
    where: { email: input.email },
    include: { memberships: { include: { tenant: true }, orderBy: { createdAt: 'asc' }, take: 1 } },
  });
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
  const membership = user?.memberships[0];
  if (!user || !ok || !membership) {
    for (const key of keys) await limiter.recordFailure(key);
    throw invalid();
  }
  await limiter.reset(keys[1] as string);
  return { user: toUserView(user), tenant: toTenantView(membership.tenant), role: membership.role };
}
