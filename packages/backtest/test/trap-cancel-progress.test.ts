import type { CallOutcome, CandleEvent } from '@qt/strategy-runtime';
import { describe, expect, it } from 'vitest';
import { type BacktestProgress, runBacktest } from '../src/index.ts';
import { ok, place, ScriptedDriver } from './fixtures/drivers.ts';
import { randomCandles, spec } from './fixtures/market.ts';

class TrapsAt extends ScriptedDriver {
  #n = 0;
  constructor(readonly at: number) {
    super({ 0: [place(1, 'buy', 'market', '0.1')] });
  }
  override onCandle(instrument: number, candle: CandleEvent): CallOutcome {
    if (this.#n++ === this.at) {
      // A trap carries no actions by contract; one smuggled in must be ignored all the same.
      return {
        ok: false,
        trap: { code: 'ABORT', message: 'boom at candle 5' },
        logs: [{ level: 'error', message: 'about to fail', time: candle.openTime }],
        actions: [place(2, 'sell', 'market', '0.1')],
      } as unknown as CallOutcome;
    }
    return super.onCandle(instrument, candle);
  }
}

describe('traps, cancellation and progress', () => {
  it('ends a run failed at a trap, keeps what came before, applies nothing of the trapping call', async () => {
    const driver = new TrapsAt(5);
    const r = await runBacktest(spec(50), driver, randomCandles(50, 4));
    expect(r.status).toBe('failed');
    expect(r.reason).toBe('ABORT: boom at candle 5');
    expect(r.orders.map((o) => o.handle)).toEqual([1]);
    expect(r.fills).toHaveLength(1);
    expect(r.metrics.candlesProcessed).toBe(6);
    expect(r.metrics.unsubmittedActions).toBe(0);
    expect(r.logs.map((l) => l.message)).toEqual(['about to fail']);
    expect(r.positions[0]?.quantity).toBe('0.1');
  });

  it('fails at init when the strategy refuses to start', async () => {
    const driver = new ScriptedDriver({});
    driver.init = () => ({ ok: false, trap: { code: 'INIT_REFUSED', message: 'bad params' }, logs: [] });
    const r = await runBacktest(spec(10), driver, randomCandles(10, 4));
    expect(r).toMatchObject({ status: 'failed', reason: 'INIT_REFUSED: bad params' });
    expect(r.metrics.candlesProcessed).toBe(0);
  });

  it('cancels between events when the signal aborts, and reports progress on the way', async () => {
    const ac = new AbortController();
    const seen: BacktestProgress[] = [];
    const r = await runBacktest(spec(5_000), new ScriptedDriver({}), randomCandles(5_000, 4), {
      progressEvery: 500,
      yieldEvery: 250,
      signal: ac.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.processed >= 2_000) ac.abort();
      },
    });
    expect(r.status).toBe('cancelled');
    // 2,000 candles were read; the last one waits in its bar, which the abort never replays.
    expect(r.metrics.candlesProcessed).toBe(1_999);
    expect(seen.map((p) => p.processed)).toEqual([500, 1_000, 1_500, 2_000, 2_000]);
    expect(seen.every((p) => p.total === 5_000)).toBe(true);
    expect(seen[1]?.time).toBeGreaterThan(seen[0]?.time ?? Number.POSITIVE_INFINITY);
  });

  it('reports progress to the end of a completed run', async () => {
    const seen: number[] = [];
    const r = await runBacktest(spec(1_000), new ScriptedDriver({}), randomCandles(1_000, 4), {
      progressEvery: 300,
      onProgress: (p) => seen.push(p.processed),
    });
    expect(r.status).toBe('completed');
    expect(seen).toEqual([300, 600, 900, 1_000]);
  });

  it('fires timers at their due time in replay time, their orders at the next path point', async () => {
    const driver = new ScriptedDriver({});
    const T = spec(5).start as number;
    driver.init = () => ok([], [{ timerId: 7, dueAt: T + 90_000 }]);
    driver.onTimer = (id, time) => {
      driver.timersFired.push({ id, time });
      return ok([place(1, 'buy', 'market', '0.1')]);
    };
    const r = await runBacktest(spec(5), driver, randomCandles(5, 4));
    expect(driver.timersFired).toEqual([{ id: 7, time: T + 90_000 }]);
    // 90 s is candle 1's third path point: the timer fires before that point's quote and trade, and its
    // order goes in right after the quote, at the same time.
    expect(r.fills[0]?.time).toBe(T + 90_000);
  });
});
