import { type ApiKeyScope, type ApiKeyView, apiKeyScopeSchema } from '@qt/shared';

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** Scopes are stored as text; unknown ones (from a newer version) are dropped rather than trusted. */
export function parseScopes(scopes: readonly string[]): ApiKeyScope[] {
  return scopes.flatMap((s) => {
    const r = apiKeyScopeSchema.safeParse(s);
    return r.success ? [r.data] : [];
  });
}

export function toApiKeyView(k: ApiKeyRow): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: parseScopes(k.scopes),
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
