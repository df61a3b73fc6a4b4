import { randomUUID } from 'node:crypto';
import type { Db } from '@qt/db';
import type { Instrument, Quote, Trade } from '@qt/shared';
import { pino } from 'pino';
import type { TradingService } from '../../src/trading/trading-service.ts';

export const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** 2026-11-25 10:00 UTC: far from midnight, so no test crosses a UTC day. */
export const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

export const btc: Instrument = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  venueSymbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.0001',
  minNotional: '5',
  status: 'trading',
};

let tradeSeq = 0;
export function trade(price: string, quantity: string, takerSide: 'buy' | 'sell', time: number): Trade {
  tradeSeq += 1;
  return {
    venue: btc.venue,
    symbol: btc.symbol,
    venueSymbol: btc.venueSymbol,
    tradeId: `t${tradeSeq}`,
    price,
    quantity,
    takerSide,
    exchangeTime: time,
    receiveTime: time,
  };
}

export function quote(bid: string, ask: string, size: string, time: number): Quote {
  return {
    venue: btc.venue,
    symbol: btc.symbol,
    bidPrice: bid,
    bidSize: size,
    askPrice: ask,
    askSize: size,
    exchangeTime: time,
    receiveTime: time,
  };
}

/** A tenant row and its scope, as the API would pass it. */
export async function someTenant(db: Db, tier: 'FREE' | 'PRO' = 'PRO') {
  const tenant = await db.tenant.create({ data: { name: `t-${randomUUID().slice(0, 8)}`, tier } });
  return { tenantId: tenant.id, actor: 'user:test' };
}

export function balanceOf(balances: { asset: string; free: string; locked: string }[], asset: string) {
  const b = balances.find((x) => x.asset === asset);
  return { free: b?.free ?? '0', locked: b?.locked ?? '0' };
}

/** Sum of entries per asset is zero, and the balances table equals the entries per paper bucket. */
export async function ledgerConserves(db: Db): Promise<{ perAsset: unknown[]; mismatches: unknown[] }> {
  const perAsset = await db.$queryRaw<unknown[]>`
    SELECT asset, SUM(amount)::text AS total FROM ledger_entries GROUP BY asset HAVING SUM(amount) <> 0`;
  const mismatches = await db.$queryRaw<unknown[]>`
    WITH e AS (
      SELECT split_part(ledger_account, ':', 2)::uuid AS account_id, asset,
             SUM(amount) FILTER (WHERE split_part(ledger_account, ':', 3) = 'free') AS free,
             SUM(amount) FILTER (WHERE split_part(ledger_account, ':', 3) = 'locked') AS locked
      FROM ledger_entries WHERE ledger_account LIKE 'paper:%' GROUP BY 1, 2)
    SELECT COALESCE(b.account_id, e.account_id) AS account_id, COALESCE(b.asset, e.asset) AS asset,
           b.free::text AS table_free, e.free::text AS entries_free,
           b.locked::text AS table_locked, e.locked::text AS entries_locked
    FROM balances b FULL JOIN e ON e.account_id = b.account_id AND e.asset = b.asset
    WHERE COALESCE(b.free, 0) <> COALESCE(e.free, 0) OR COALESCE(b.locked, 0) <> COALESCE(e.locked, 0)`;
  return { perAsset, mismatches };
}

/** Waits (bounded) until the service has persisted everything queued. */
export async function settled(service: TradingService): Promise<void> {
  await service.idle();
}
