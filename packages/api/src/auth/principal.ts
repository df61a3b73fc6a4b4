import { type ApiKeyScope, AppError, type Role, type TenantView } from '@qt/shared';

/**
 * Who is calling, after authentication. Both ways in (a dashboard session, an API key) end in the same
 * shape, so authorisation is one model: procedures require scopes, and a session's scopes follow from
 * the person's role in the tenant.
 */
export interface Principal {
  via: 'session' | 'apiKey';
  tenant: TenantView;
  role: Role;
  scopes: readonly ApiKeyScope[];
  userId: string | null;
  apiKeyId: string | null;
}

const scopesByRole: Record<Role, readonly ApiKeyScope[]> = {
  OWNER: ['read', 'trade', 'manage'],
  ADMIN: ['read', 'trade', 'manage'],
  TRADER: ['read', 'trade'],
  VIEWER: ['read'],
};

export function scopesForRole(role: Role): readonly ApiKeyScope[] {
  return scopesByRole[role];
}

export function requireScope(principal: Principal, scope: ApiKeyScope): void {
  if (principal.scopes.includes(scope)) return;
  if (principal.via === 'apiKey') {
    throw new AppError(
      'AUTH_FORBIDDEN_SCOPE',
      `This API key lacks the "${scope}" scope. Create a key with it.`,
      {
        required: scope,
      },
    );
  }
  throw new AppError(
    'AUTH_FORBIDDEN_ROLE',
    `Your role (${principal.role}) cannot do this. Ask a tenant admin.`,
    {
      required: scope,
    },
  );
}
