import { describe, expect, it } from 'vitest';
import { runBacktest } from '../src/index.ts';
import { place, ScriptedDriver } from './fixtures/drivers.ts';
import { randomCandles, spec } from './fixtures/market.ts';

describe('risk and ledger rejections', () => {
  it('reports a risk rejection to the strategy with its code and counts it', async () => {
    // FREE tier: at most 10,000 USDT per order; 1 BTC at ~50,000 is far beyond.
    const driver = new ScriptedDriver({
      0: [place(1, 'buy', 'market', '1'), place(2, 'buy', 'market', '0.01')],
      1: [place(3, 'buy', 'limit', '0.01', '10000')], // outside the FREE price band (+/-5%)
    });
    const r = await runBacktest(spec(5, { tier: 'FREE' }), driver, randomCandles(5, 3));
    expect(driver.updates.filter((u) => u.status === 'rejected')).toEqual([
      { handle: 1, status: 'rejected', reason: 'RISK_MAX_ORDER_NOTIONAL' },
      { handle: 3, status: 'rejected', reason: 'RISK_PRICE_BAND' },
    ]);
    expect(r.metrics.rejectionsByCode).toEqual({ RISK_MAX_ORDER_NOTIONAL: 1, RISK_PRICE_BAND: 1 });
    expect(r.metrics.rejections).toBe(2);
    expect(r.orders.map((o) => o.status)).toEqual(['rejected', 'filled', 'rejected']);
  });

  it('applies account overrides on top of the tier defaults', async () => {
    const driver = new ScriptedDriver({ 0: [place(1, 'buy', 'market', '0.1')] });
    const r = await runBacktest(
      spec(3, { riskLimits: { maxOrderNotional: '1000' } }),
      driver,
      randomCandles(3, 3),
    );
    expect(r.metrics.rejectionsByCode).toEqual({ RISK_MAX_ORDER_NOTIONAL: 1 });
  });

  it('rejects an order the free balance cannot cover with the ledger code, and a bad lot with the matcher code', async () => {
    const driver = new ScriptedDriver({
      0: [place(1, 'sell', 'limit', '1', '50000'), place(2, 'buy', 'limit', '0.0001', '50000')],
    });
    const r = await runBacktest(spec(3), driver, randomCandles(3, 3));
    expect(driver.updates).toEqual([
      { handle: 1, status: 'rejected', reason: 'LEDGER_INSUFFICIENT_FUNDS' },
      { handle: 2, status: 'rejected', reason: 'ORDER_INVALID_LOT' },
    ]);
    expect(r.metrics.rejectionsByCode).toEqual({ LEDGER_INSUFFICIENT_FUNDS: 1, ORDER_INVALID_LOT: 1 });
    expect(r.balances).toEqual([{ asset: 'USDT', free: '100000', locked: '0' }]);
  });

  it('refuses a malformed intent and a reused handle without stopping the run', async () => {
    const driver = new ScriptedDriver({
      0: [place(1, 'buy', 'limit', 'abc', '50000'), place(2, 'buy', 'limit', '0.01', '48000')],
      1: [place(2, 'buy', 'limit', '0.01', '48000')],
    });
    const r = await runBacktest(spec(3), driver, randomCandles(3, 3));
    expect(r.status).toBe('completed');
    expect(driver.updates.filter((u) => u.status === 'rejected')).toEqual([
      { handle: 1, status: 'rejected', reason: 'ORDER_INVALID_INTENT' },
      { handle: 2, status: 'rejected', reason: 'ORDER_DUPLICATE_ID' },
    ]);
  });
});
