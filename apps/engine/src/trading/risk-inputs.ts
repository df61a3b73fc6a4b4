import type { PaperAccount, Tenant } from '@qt/db';
import type { Tier } from '@qt/shared';
import {
  type KillSwitchState,
  type Ledger,
  type MarkPrices,
  type OpenExposure,
  paperAccount,
  type RiskContext,
  type RiskLimitOverrides,
  resolveRiskLimits,
  riskLimitsSchema,
  toRiskLimitOverrides,
  valueIn,
} from '@qt/trading';

export interface AccountMeta {
  id: string;
  tenantId: string;
  name: string;
  quoteCurrency: string;
  createdAt: number;
  overrides: RiskLimitOverrides;
  killSwitch: KillSwitchState | null;
}

export interface TenantMeta {
  id: string;
  tier: Tier;
  killSwitch: KillSwitchState | null;
}

function killSwitchOf(at: Date | null, reason: string | null, by: string | null): KillSwitchState | null {
  return at ? { halted: true, at: at.getTime(), reason: reason ?? '', by: by ?? 'unknown' } : null;
}

export function accountMetaOf(row: PaperAccount): AccountMeta {
  const parsed = riskLimitsSchema.safeParse(row.riskLimits);
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    quoteCurrency: row.quoteCurrency,
    createdAt: row.createdAt.getTime(),
    // A stored override the schema no longer accepts falls back to the tier defaults rather than failing.
    overrides: parsed.success ? toRiskLimitOverrides(parsed.data) : {},
    killSwitch: killSwitchOf(row.haltedAt, row.haltedReason, row.haltedBy),
  };
}

export function tenantMetaOf(row: Tenant): TenantMeta {
  return {
    id: row.id,
    tier: row.tier,
    killSwitch: killSwitchOf(row.tradingHaltedAt, row.tradingHaltedReason, row.tradingHaltedBy),
  };
}

const DAY_MS = 86_400_000;

/**
 * What the daily-loss check needs beyond the live balances: the account's balances at 00:00 UTC and the
 * transfers since, per asset. Both are valued at today's marks, so the daily loss is the trading result
 * of the day at current prices (history prices are not kept). Cached per account and UTC day: postings
 * before the day start never change.
 */
export class DayBook {
  readonly #days = new Map<
    string,
    { day: number; start: Map<string, bigint>; transfers: Map<string, bigint> }
  >();

  #state(ledger: Ledger, accountId: string, now: number) {
    const day = Math.floor(now / DAY_MS);
    let s = this.#days.get(accountId);
    if (s?.day === day) return s;
    const dayStart = day * DAY_MS;
    const free = paperAccount(accountId, 'free');
    const locked = paperAccount(accountId, 'locked');
    s = { day, start: new Map(), transfers: new Map() };
    for (const p of ledger.journal()) {
      if (p.accountId !== accountId) continue;
      for (const e of p.entries) {
        if (e.account !== free && e.account !== locked) continue;
        if (p.time < dayStart) add(s.start, e.asset, e.amount);
        else if (p.type === 'deposit' || p.type === 'withdrawal') add(s.transfers, e.asset, e.amount);
      }
    }
    this.#days.set(accountId, s);
    return s;
  }

  /** Call after a deposit or withdrawal is applied to the ledger. */
  onTransfer(ledger: Ledger, accountId: string, asset: string, amount: bigint, now: number): void {
    const before = this.#days.get(accountId);
    const s = this.#state(ledger, accountId, now);
    // A state computed just now already includes the transfer (it is in the journal).
    if (before === s) add(s.transfers, asset, amount);
  }

  figures(
    ledger: Ledger,
    accountId: string,
    quote: string,
    prices: MarkPrices,
    now: number,
  ): { equity: bigint; dayStartEquity: bigint; netTransfersToday: bigint } {
    const s = this.#state(ledger, accountId, now);
    // Only assets with a price count, in all three figures alike, so a missing price is no loss.
    const worth = (amounts: Iterable<[string, bigint]>) => {
      let total = 0n;
      for (const [asset, amount] of amounts) total += valueIn(amount, asset, quote, prices) ?? 0n;
      return total;
    };
    const live = ledger.balances(accountId).map((b) => [b.asset, b.free + b.locked] as [string, bigint]);
    return {
      equity: worth(live),
      dayStartEquity: worth(s.start),
      netTransfersToday: worth(s.transfers),
    };
  }
}

function add(map: Map<string, bigint>, asset: string, amount: bigint): void {
  map.set(asset, (map.get(asset) ?? 0n) + amount);
}

export function riskContextOf(params: {
  account: AccountMeta;
  tenant: TenantMeta;
  /** The account's open orders as the book counts them (PaperBook.exposure). */
  exposure: OpenExposure;
  lastPrice: bigint | null;
  position: bigint;
  figures: { equity: bigint; dayStartEquity: bigint; netTransfersToday: bigint };
}): RiskContext {
  return {
    tenantId: params.account.tenantId,
    accountId: params.account.id,
    limits: resolveRiskLimits(params.tenant.tier, params.account.overrides),
    killSwitch: { tenant: params.tenant.killSwitch, account: params.account.killSwitch },
    lastPrice: params.lastPrice,
    position: params.position,
    ...params.exposure,
    ...params.figures,
  };
}
