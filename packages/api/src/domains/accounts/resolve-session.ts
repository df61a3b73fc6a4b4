import { AppError } from '@qt/shared';
import { type Principal, scopesForRole } from '../../auth/principal.ts';
import type { SessionClaims } from '../../auth/session-token.ts';
import type { ApiDeps } from '../../context.ts';
import { toTenantView } from './views.ts';

/** A verified session token -> a principal, re-reading the membership so role changes apply at once. */
export async function resolveSession(deps: ApiDeps, claims: SessionClaims): Promise<Principal> {
  const membership = await deps.db.membership.findUnique({
    where: { userId_tenantId: { userId: claims.userId, tenantId: claims.tenantId } },
    include: { tenant: true },
  });
  if (!membership) {
    throw new AppError('AUTH_REQUIRED', 'Your session no longer matches a membership. Sign in again.');
  }
  return {
    via: 'session',
    tenant: toTenantView(membership.tenant),
    role: membership.role,
    scopes: scopesForRole(membership.role),
    userId: claims.userId,
    apiKeyId: null,
  };
}
