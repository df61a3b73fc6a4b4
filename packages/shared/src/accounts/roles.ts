import { z } from 'zod';

export const tierSchema = z.enum(['FREE', 'PRO', 'ENTERPRISE']);
export type Tier = z.infer<typeof tierSchema>;

/** Ordered by power; `hasRole` relies on this order. */
export const roleSchema = z.enum(['OWNER', 'ADMIN', 'TRADER', 'VIEWER']);
export type Role = z.infer<typeof roleSchema>;

const rank: Record<Role, number> = { OWNER: 3, ADMIN: 2, TRADER: 1, VIEWER: 0 };

export function hasRole(actual: Role, required: Role): boolean {
  return rank[actual] >= rank[required];
}

/**
 * What an API key may do. `read`: every query and subscription. `trade`: place and cancel orders, run
 * strategies. `manage`: tenant settings and API keys. A session (a person in the dashboard) is limited
 * by the person's role instead.
 */
export const apiKeyScopeSchema = z.enum(['read', 'trade', 'manage']);
export type ApiKeyScope = z.infer<typeof apiKeyScopeSchema>;
