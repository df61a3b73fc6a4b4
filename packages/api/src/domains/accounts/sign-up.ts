import { Prisma } from '@qt/db';
import { AppError, type SignedIn, type SignUpInput } from '@qt/shared';
import { hashPassword } from '../../auth/passwords.ts';
import type { ApiDeps } from '../../context.ts';
import { toTenantView, toUserView } from './views.ts';

/** Creates a person, their own tenant (FREE tier) and an OWNER membership, in one transaction. */
export async function signUp(deps: ApiDeps, input: SignUpInput): Promise<SignedIn> {
  const passwordHash = await hashPassword(input.password);
  const localPart = input.email.split('@')[0] ?? input.email;
  const tenantName = input.tenantName ?? `${input.name ?? localPart}'s workspace`;
  try {
    return await deps.db.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: { email: input.email, name: input.name ?? null, passwordHash },
      });
      const tenant = await tx.tenant.create({ data: { name: tenantName } });
      await tx.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: 'OWNER' } });
      deps.logger.info({ userId: user.id, tenantId: tenant.id }, 'account created');
      return { user: toUserView(user), tenant: toTenantView(tenant), role: 'OWNER' as const };
    });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw new AppError('ACCOUNT_EMAIL_TAKEN', 'An account with this email exists. Sign in instead.');
    }
    throw err;
  }
}
