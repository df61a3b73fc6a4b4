import type { Prisma } from '@qt/db';
import { AppError, type KillSwitchInput, type KillSwitchView, type TenantScope } from '@qt/shared';
import {
  checkOverridesForTier,
  type RiskContext,
  type RiskLimitsInput,
  type RiskView,
  toRiskLimitOverrides,
} from '@qt/trading';
import { ownAccount, tenantOf } from './account-access.ts';
import { type AccountMeta, riskContextOf, type TenantMeta } from './risk-inputs.ts';
import type { TradingState } from './trading-state.ts';

/**
 * What the risk engine sees for the account now (for an order on `order`'s instrument, if given);
 * `except` leaves one open order out (an amend counts the order it replaces as gone).
 */
export function riskContext(
  s: TradingState,
  account: AccountMeta,
  tenant: TenantMeta,
  order: { venue: string; symbol: string } | null,
  except: string | null = null,
): RiskContext {
  const now = s.clock.now();
  const venue = order?.venue ?? null;
  const symbol = order?.symbol ?? null;
  return riskContextOf({
    account,
    tenant,
    exposure: s.book.exposure(account.id, venue, symbol, except),
    lastPrice: venue && symbol ? s.marks.last(venue, symbol) : null,
    position: venue && symbol ? (s.book.positions.get(account.id, venue, symbol)?.quantity ?? 0n) : 0n,
    figures: s.days.figures(s.book.ledger, account.id, account.quoteCurrency, s.marks.prices(), now),
  });
}

export async function riskView(s: TradingState, scope: TenantScope, accountId: string): Promise<RiskView> {
  const account = ownAccount(s, scope, accountId);
  const tenant = await tenantOf(s, account.tenantId);
  return s.risk.view(riskContext(s, account, tenant, null));
}

export async function updateRiskLimits(
  s: TradingState,
  scope: TenantScope,
  input: { accountId: string; limits: RiskLimitsInput },
): Promise<RiskView> {
  const account = ownAccount(s, scope, input.accountId);
  const tenant = await tenantOf(s, account.tenantId);
  const overrides = toRiskLimitOverrides(input.limits);
  const refused = checkOverridesForTier(tenant.tier, overrides);
  if (refused) throw refused;
  await s.db.paperAccount.update({
    where: { id: account.id },
    data: { riskLimits: input.limits as Prisma.InputJsonObject },
  });
  account.overrides = overrides;
  return s.risk.view(riskContext(s, account, tenant, null));
}

export async function setKillSwitch(
  s: TradingState,
  scope: TenantScope,
  input: KillSwitchInput,
): Promise<KillSwitchView> {
  const at = s.clock.now();
  const reason = input.reason ?? (input.halted ? 'Halted from the dashboard' : 'Resumed');
  const state = { halted: input.halted, by: scope.actor, at, reason };
  const stored = {
    at: input.halted ? new Date(at) : null,
    reason: input.halted ? reason : null,
    by: input.halted ? scope.actor : null,
  };
  if (input.scope === 'tenant') {
    const tenant = await tenantOf(s, scope.tenantId);
    await s.db.tenant.update({
      where: { id: tenant.id },
      data: { tradingHaltedAt: stored.at, tradingHaltedReason: stored.reason, tradingHaltedBy: stored.by },
    });
    tenant.killSwitch = state;
    return { scope: 'tenant', accountId: null, ...state };
  }
  if (!input.accountId) {
    throw new AppError('VALIDATION_FAILED', 'An account kill switch needs the accountId of the account.');
  }
  const account = ownAccount(s, scope, input.accountId);
  await s.db.paperAccount.update({
    where: { id: account.id },
    data: { haltedAt: stored.at, haltedReason: stored.reason, haltedBy: stored.by },
  });
  account.killSwitch = state;
  return { scope: 'account', accountId: account.id, ...state };
}
