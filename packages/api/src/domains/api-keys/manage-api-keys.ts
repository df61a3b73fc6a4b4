import { type ApiKeyView, AppError, type CreateApiKeyInput, notFound } from '@qt/shared';
import { generateApiKey } from '../../auth/api-key-token.ts';
import type { Principal } from '../../auth/principal.ts';
import type { ApiDeps } from '../../context.ts';
import { withinTierCap } from '../tier-caps/within-tier-cap.ts';
import { toApiKeyView } from './views.ts';

const DAY_MS = 86_400_000;

/** Creates a key for the caller's tenant. A key never gets a scope its creator does not hold. */
export async function createApiKey(
  deps: ApiDeps,
  principal: Principal,
  input: CreateApiKeyInput,
): Promise<{ apiKey: ApiKeyView; secret: string }> {
  const excess = input.scopes.filter((s) => !principal.scopes.includes(s));
  if (excess.length > 0) {
    throw new AppError(
      'AUTH_FORBIDDEN_SCOPE',
      `You cannot grant scopes you do not hold: ${excess.join(', ')}.`,
      {
        excess,
      },
    );
  }
  if (!principal.userId) throw new AppError('AUTH_REQUIRED', 'A key must be created on behalf of a person.');
  const { key, prefix, hash } = generateApiKey();
  const now = deps.clock.now();
  const createdById = principal.userId;
  const tenantId = principal.tenant.id;
  // Keys that still work count against the tier's cap; revoked and expired ones do not.
  const row = await withinTierCap(deps.db, {
    tenantId,
    kind: 'apiKeys',
    count: (tx) =>
      tx.apiKey.count({
        where: {
          tenantId,
          revokedAt: null,
          OR: [{ expiresAt: null }, { expiresAt: { gt: new Date(now) } }],
        },
      }),
    create: (tx) =>
      tx.apiKey.create({
        data: {
          tenantId,
          createdById,
          name: input.name,
          prefix,
          hash,
          scopes: [...new Set(input.scopes)],
          expiresAt: input.expiresInDays ? new Date(now + input.expiresInDays * DAY_MS) : null,
        },
      }),
  });
  deps.logger.info({ tenantId: row.tenantId, apiKeyId: row.id, prefix }, 'api key created');
  return { apiKey: toApiKeyView(row), secret: key };
}

export async function listApiKeys(deps: ApiDeps, principal: Principal): Promise<ApiKeyView[]> {
  const rows = await deps.db.apiKey.findMany({
    where: { tenantId: principal.tenant.id },
    orderBy: { createdAt: 'desc' },
  });
  return rows.map(toApiKeyView);
}

/**
 * Revocation is immediate: once the row is updated, the credential cache is invalidated (in this
 * process and, through Redis, in every engine), so the next call verifies against the database. Revoking an already revoked key is a no-op that returns it. Another tenant's id is "not found".
 */
export async function revokeApiKey(deps: ApiDeps, principal: Principal, id: string): Promise<ApiKeyView> {
  const existing = await deps.db.apiKey.findFirst({ where: { id, tenantId: principal.tenant.id } });
  if (!existing) throw notFound('API key');
  if (existing.revokedAt) return toApiKeyView(existing);
  const row = await deps.db.apiKey.update({
    where: { id: existing.id },
    data: { revokedAt: new Date(deps.clock.now()) },
  });
  await deps.credentialCache?.invalidate({ apiKeyId: row.id, tenantId: row.tenantId });
  deps.logger.info({ tenantId: row.tenantId, apiKeyId: row.id, prefix: row.prefix }, 'api key revoked');
  return toApiKeyView(row);
}
