import { AppError } from '@qt/shared';
import { apiKeyMatches, parseApiKey } from '../../auth/api-key-token.ts';
import { type Principal, scopesForRole } from '../../auth/principal.ts';
import type { ApiDeps } from '../../context.ts';
import { toTenantView } from '../accounts/views.ts';
import { parseScopes } from './views.ts';

const LAST_USED_WRITE_EVERY_MS = 60_000;
const lastUsedWritten = new Map<string, number>();

const invalid = () =>
  new AppError(
    'AUTH_API_KEY_INVALID',
    'The API key is not valid. Check it, or create a new one in Settings.',
  );

/**
 * An API key -> a principal, and when the key expires (null: never). The key's effective scopes are its own scopes intersected with what its
 * creator's current role allows, so demoting or removing a person also limits the keys they made.
 */
export async function authenticateApiKey(
  deps: ApiDeps,
  key: string,
): Promise<{ principal: Principal; expiresAt: number | null }> {
  const parsed = parseApiKey(key);
  const row = parsed
    ? await deps.db.apiKey.findUnique({
        where: { prefix: parsed.prefix },
        include: {
          tenant: true,
          createdBy: { select: { memberships: { select: { tenantId: true, role: true } } } },
        },
      })
    : null;
  // Always one constant-time compare, found or not, so timing does not tell which prefixes exist.
  if (!apiKeyMatches(key, row?.hash ?? null) || !row) throw invalid();

  const now = deps.clock.now();
  if (row.revokedAt)
    throw new AppError('AUTH_API_KEY_REVOKED', 'This API key was revoked. Create a new one.');
  if (row.expiresAt && row.expiresAt.getTime() <= now) {
    throw new AppError('AUTH_API_KEY_EXPIRED', 'This API key has expired. Create a new one.');
  }
  const membership = row.createdBy.memberships.find((m) => m.tenantId === row.tenantId);
  if (!membership) throw invalid();

  touchLastUsed(deps, row.id, now);
  const allowed = scopesForRole(membership.role);
  const principal: Principal = {
    via: 'apiKey',
    tenant: toTenantView(row.tenant),
    role: membership.role,
    scopes: parseScopes(row.scopes).filter((s) => allowed.includes(s)),
    userId: row.createdById,
    apiKeyId: row.id,
  };
  return { principal, expiresAt: row.expiresAt?.getTime() ?? null };
}

/** `lastUsedAt` is for people ("is this key still in use?"): minute resolution, written off the call path. */
function touchLastUsed(deps: ApiDeps, id: string, now: number): void {
  const last = lastUsedWritten.get(id) ?? 0;
  if (now - last < LAST_USED_WRITE_EVERY_MS) return;
  lastUsedWritten.set(id, now);
  deps.db.apiKey.update({ where: { id }, data: { lastUsedAt: new Date(now) } }).catch((err: unknown) => {
    deps.logger.warn({ err, apiKeyId: id }, 'could not record api key use');
  });
}
