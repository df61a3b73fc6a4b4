import type { Kline, Trade } from '@qt/shared';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.ts';

/** 2026-11-25T00:00:00Z: a fixed day, so partition names in assertions are stable. */
export const DAY0 = Date.UTC(2026, 10, 25);
export const DAY = 86_400_000;

export function trade(i: number, over: Partial<Trade> = {}): Trade {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    venueSymbol: 'BTCUSDT',
    tradeId: String(1_000_000 + i),
    price: `${64_000 + (i % 100)}.${String(i % 1000).padStart(3, '0')}1`,
    quantity: `0.${String((i * 7919) % 100_000).padStart(5, '0')}3`,
    takerSide: i % 2 === 0 ? 'buy' : 'sell',
    exchangeTime: DAY0 + i * 37,
    receiveTime: DAY0 + i * 37 + 5,
    ...over,
  };
}

export function trades(n: number, from = 0, over: Partial<Trade> = {}): Trade[] {
  return Array.from({ length: n }, (_, i) => trade(from + i, over));
}

export function kline(openTime: number, over: Partial<Kline> = {}): Kline {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    openTime,
    closeTime: openTime + 59_999,
    open: '64000.1',
    high: '64010.5',
    low: '63990',
    close: '64005.25',
    baseVolume: '12.5',
    quoteVolume: '800000.125',
    takerBuyBaseVolume: '6.25',
    tradeCount: 42,
    closed: true,
    ...over,
  };
}

/** A fresh migrated database and a `pg` pool on it, for one test file. */
export async function timeSeriesDatabase(
  max = 6,
): Promise<{ db: TestDatabase; pool: pg.Pool; close(): Promise<void> }> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max });
  pool.on('error', () => {}); // an idle connection killed by a test: the pool replaces it
  return {
    db,
    pool,
    async close() {
      await pool.end();
      await db.drop();
    },
  };
}
