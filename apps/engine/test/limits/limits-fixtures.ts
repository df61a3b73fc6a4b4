import { randomBytes } from 'node:crypto';
import { createPgPool, MarketDataWriter } from '@qt/db';
import type { Kline, Tier } from '@qt/shared';
import { TRPCClientError } from '@trpc/client';
import { strategyWat, wat } from '../../../../packages/strategy-runtime/test/fixtures/wat.ts';
import type { TestEngine } from '../support/test-engine.ts';

/**
 * A tenant of the given tier with an OWNER, created in the database (not through sign-up, whose flow
 * is not what these tests are about) and a session token for it, as the web app would mint.
 */
export async function tenantOf(t: TestEngine, tier: Tier = 'FREE') {
  const db = t.engine.api.db;
  const tag = randomBytes(5).toString('hex');
  const user = await db.user.create({
    data: { email: `caps-${tag}@example.test`, name: 'caps', passwordHash: 'not-used' },
  });
  const tenant = await db.tenant.create({ data: { name: `caps ${tag}`, tier } });
  await db.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: 'OWNER' } });
  const token = await t.sessionToken(user.id, tenant.id);
  return { tenantId: tenant.id, userId: user.id, client: t.client(token) };
}

export function setTier(t: TestEngine, tenantId: string, tier: Tier) {
  return t.engine.api.db.tenant.update({ where: { id: tenantId }, data: { tier } });
}

/** The settled outcome of one call: 'ok' or the app code it failed with, and the error's details. */
export async function outcome(
  call: Promise<unknown>,
): Promise<{ code: string; details: Record<string, unknown> | null }> {
  try {
    await call;
    return { code: 'ok', details: null };
  } catch (err) {
    if (!(err instanceof TRPCClientError)) throw err;
    const data = err.data as { appCode?: string; details?: Record<string, unknown> | null } | undefined;
    return { code: data?.appCode ?? 'UNKNOWN', details: data?.details ?? null };
  }
}

export function tally(outcomes: readonly { code: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) out[o.code] = (out[o.code] ?? 0) + 1;
  return out;
}

/** Polls a condition (every 100 ms: these conditions read the API or the database) until it holds. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const MINUTE = 60_000;
/** Stored history starts here (a fixed past day, so the range never overlaps live candles). */
export const HISTORY_FROM = Date.UTC(2025, 0, 1);

/** `count` closed 1m candles of binance BTC-USDT from HISTORY_FROM, a gentle random walk. */
export async function storeCandles(t: TestEngine, count: number): Promise<void> {
  const pool = createPgPool(t.engine.databaseUrl, { max: 1 });
  try {
    const writer = new MarketDataWriter(pool);
    let price = 50_000;
    const klines: Kline[] = [];
    for (let i = 0; i < count; i++) {
      const open = price;
      price += Math.sin(i / 7) * 25;
      const openTime = HISTORY_FROM + i * MINUTE;
      klines.push({
        venue: 'binance',
        symbol: 'BTC-USDT',
        interval: '1m',
        openTime,
        closeTime: openTime + MINUTE - 1,
        open: open.toFixed(2),
        high: (Math.max(open, price) + 5).toFixed(2),
        low: (Math.min(open, price) - 5).toFixed(2),
        close: price.toFixed(2),
        baseVolume: '1',
        quoteVolume: price.toFixed(2),
        takerBuyBaseVolume: '0.5',
        tradeCount: 10,
        closed: true,
      });
    }
    for (let i = 0; i < klines.length; i += 2_000) await writer.writeKlines(klines.slice(i, i + 2_000));
  } finally {
    await pool.end();
  }
}

/** A module that does nothing on a candle (cheap to deploy and to backtest). */
export async function quietModule(): Promise<string> {
  return Buffer.from(await wat(strategyWat({ onCandle: '' }))).toString('base64');
}

/**
 * A module that spins `iterations` times per candle: a few milliseconds per call, far under every tier's
 * per-call budget, so a backtest over thousands of candles takes seconds to minutes.
 */
export async function slowModule(iterations: number): Promise<string> {
  const onCandle = `(local $n i32) (local.set $n (i32.const ${iterations}))
    (loop $spin (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $spin (local.get $n)))`;
  return Buffer.from(await wat(strategyWat({ onCandle }))).toString('base64');
}
