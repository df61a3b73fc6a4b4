import type { TenantScope } from '@qt/api';
import { type BalanceView, notFound, type PaperAccountView } from '@qt/shared';
import { toBalanceView } from '@qt/trading';
import { type AccountMeta, type TenantMeta, tenantMetaOf } from './risk-inputs.ts';
import type { TradingState } from './trading-state.ts';

/** The account if it belongs to the caller's tenant; NOT_FOUND otherwise, exactly as for a missing id. */
export function ownAccount(s: TradingState, scope: TenantScope, accountId: string): AccountMeta {
  const account = s.accounts.get(accountId);
  if (!account || account.tenantId !== scope.tenantId) throw notFound('Paper account');
  return account;
}

/** The tenant's cached risk inputs (tier, kill switch), loaded once from the database. */
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
  return s.ledger.balances(accountId).map(toBalanceView);
}
