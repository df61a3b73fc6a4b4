import { describe, expect, it } from 'vitest';
import { runBacktest } from '../src/index.ts';
import { place, ScriptedDriver } from './fixtures/drivers.ts';
import { candle, MINUTE, spec, T0 } from './fixtures/market.ts';

// Prices in cents. Candle 0 closes at 50,000.00; candle 1 opens higher (a gap) and goes up (path
// O -> L -> H -> C at +0, +15, +30, +45 s); candle 2 goes down (O -> H -> L -> C).
const bars = [
  candle(0, T0, 4_990_000, 5_001_000, 4_980_000, 5_000_000),
  candle(0, T0 + MINUTE, 5_010_000, 5_030_000, 4_995_000, 5_020_000),
  candle(0, T0 + 2 * MINUTE, 5_020_000, 5_025_000, 4_970_000, 4_980_000),
];

describe('no look-ahead in candles mode', () => {
  it('fills a market order decided on candle t at the open of candle t+1 (ask = open + 1 tick)', async () => {
    const driver = new ScriptedDriver({ 0: [place(1, 'buy', 'market', '0.5')] });
    const r = await runBacktest(spec(3), driver, bars);
    expect(r.fills).toHaveLength(1);
    const f = r.fills[0];
    expect(f?.price).toBe('50100.01'); // candle 1's open plus the half-spread, not candle 0's close
    expect(f?.time).toBe(T0 + MINUTE);
    expect(driver.fills[0]?.time).toBe(T0 + MINUTE);
    expect(r.orders[0]?.createdAt).toBe(T0 + MINUTE);
  });

  it('fills a resting buy limit on the first later path trade below it, at its own price, as maker', async () => {
    // 49,990.00 is under candle 1's open (50,100) and above its low (49,950), reached at +15 s.
    const driver = new ScriptedDriver({ 0: [place(1, 'buy', 'limit', '0.5', '49990')] });
    const r = await runBacktest(spec(3), driver, bars);
    expect(r.fills.map((f) => [f.price, f.time, f.liquidity])).toEqual([
      ['49990', T0 + MINUTE + 15_000, 'maker'],
    ]);
  });

  it('triggers a sell stop on the path trade through it and fills at that point bid', async () => {
    // Candle 2 goes down: O 50,200 -> H 50,250 (+15 s) -> L 49,700 (+30 s) -> C 49,800. Stop at 49,900.
    const driver = new ScriptedDriver({
      0: [place(1, 'buy', 'market', '0.5')],
      1: [place(2, 'sell', 'stop_market', '0.5', null, '49900')],
    });
    const r = await runBacktest(spec(3), driver, bars);
    const stop = r.fills.find((f) => f.orderId === r.orders[1]?.id);
    expect(stop).toMatchObject({ price: '49699.99', time: T0 + 2 * MINUTE + 30_000, liquidity: 'taker' });
  });

  it('never fills an order canceled before the candle that would have filled it', async () => {
    const driver = new ScriptedDriver({
      0: [place(1, 'buy', 'limit', '0.5', '49800')], // candle 1's low is 49,950: no fill there
      1: [{ kind: 'cancel', handle: 1 }], // applied at candle 2's open, before its low of 49,700
    });
    const r = await runBacktest(spec(3), driver, bars);
    expect(r.fills).toHaveLength(0);
    expect(r.orders[0]).toMatchObject({ status: 'canceled', updatedAt: T0 + 2 * MINUTE });
    expect(driver.updates.map((u) => u.status)).toEqual(['new', 'canceled']);
    expect(r.metrics.cancels).toBe(1);
  });

  it('shows the strategy a candle only at its close time, after its whole path', async () => {
    const driver = new ScriptedDriver({});
    const times: number[] = [];
    const r = await runBacktest(
      spec(3),
      (host) => {
        const d = driver;
        const onCandle = d.onCandle.bind(d);
        d.onCandle = (i, c) => {
          times.push(host.now());
          return onCandle(i, c);
        };
        return d;
      },
      bars,
    );
    expect(r.status).toBe('completed');
    expect(times).toEqual([T0 + MINUTE - 1, T0 + 2 * MINUTE - 1, T0 + 3 * MINUTE - 1]);
    expect(driver.candles.map((c) => c.candle.close)).toEqual([50_000, 50_200, 49_800]);
  });
});
