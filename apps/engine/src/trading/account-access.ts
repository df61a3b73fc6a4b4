import { type BalanceView, notFound, type PaperAccountView, type TenantScope } from '@qt/shared';
import { toBalanceView } from '@qt/trading';
import { type AccountMeta, type TenantMeta, tenantMetaOf } from './risk-inputs.ts';
import type { TradingState } from './trading-state.ts';

/** The account if it belongs to the caller's tenant; NOT_FOUND otherwise, exactly as for a missing id. */
export function ownAccount(s: TradingState, scope: TenantScope, accountId: string): AccountMeta {
  const account = s.accounts.get(accountId);
  if (!account || account.tenantId !== scope.tenantId) throw notFound('Paper account');
  return account;
}

/**
 * The tenant's cached risk inputs (tier, kill switch), loaded once from the database; the tier is
 * refreshed in place by `refreshTenantTiers` when it changes (from any engine).
 */
export async function tenantOf(s: TradingState, tenantId: string): Promise<TenantMeta> {
  let tenant = s.tenants.get(tenantId);
  if (!tenant) {
    const row = await s.db.tenant.findUnique({ where: { id: tenantId } });
    if (!row) throw notFound('Tenant');
    tenant = tenantMetaOf(row);
    s.tenants.set(tenantId, tenant);
  }
  return tenant;
}

/**
 * Re-reads the tier of cached tenants (`tenantIds`, or all cached when null) after a tier change, so the
 * next order is checked against the new plan's risk limits. The cached objects are updated in place
 * (orders in flight hold them); only the tier is taken from the row: the kill switch is written by this
 * engine before it changes in memory, so the cached one is never older than the row.
 */
export async function refreshTenantTiers(
  s: TradingState,
  tenantIds: readonly string[] | null,
): Promise<number> {
  const ids = tenantIds === null ? [...s.tenants.keys()] : tenantIds.filter((id) => s.tenants.has(id));
  let refreshed = 0;
  // In slices, so "every tenant" after an unknown change is a few bounded queries, not one huge IN list.
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await s.db.tenant.findMany({
      where: { id: { in: ids.slice(i, i + 500) } },
      select: { id: true, tier: true },
    });
    for (const row of rows) {
      const cached = s.tenants.get(row.id);
      if (cached && cached.tier !== row.tier) {
        cached.tier = row.tier;
        refreshed++;
      }
    }
  }
  return refreshed;
}

export function accountView(
  s: TradingState,
  a: AccountMeta,
  tenant = s.tenants.get(a.tenantId),
): PaperAccountView {
  const halted = Boolean(a.killSwitch?.halted || tenant?.killSwitch?.halted);
  const reduceOnly = s.risk.state(a.id)?.reduceOnly;
  return {
    id: a.id,
    name: a.name,
    quoteCurrency: a.quoteCurrency,
    status: halted ? 'halted' : reduceOnly ? 'reduce_only' : 'active',
    createdAt: a.createdAt,
  };
}

export function balanceViews(s: TradingState, accountId: string): BalanceView[] {
  return s.book.ledger.balances(accountId).map(toBalanceView);
}
