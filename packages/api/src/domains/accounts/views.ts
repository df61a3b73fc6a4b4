import type { TenantView } from '@qt/shared';

// Prisma rows -> the API's JSON views: dates become ISO strings, internal columns never leave.

export function toTenantView(t: {
  id: string;
  name: string;
  tier: TenantView['tier'];
  createdAt: Date;
}): TenantView {
  return { id: t.id, name: t.name, tier: t.tier, createdAt: t.createdAt.toISOString() };
}

export function toUserView(u: { id: string; email: string; name: string | null }) {
  return { id: u.id, email: u.email, name: u.name };
}
