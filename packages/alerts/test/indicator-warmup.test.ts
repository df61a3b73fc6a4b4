import { createIndicator } from '@qt/indicators';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertEvaluator, type WarmupRequest, warmupLength } from '../src/evaluate/alert-evaluator.ts';
import type { SeedBar } from '../src/evaluate/bar-series.ts';
import { mergeSeed } from '../src/evaluate/seed-merge.ts';
import type { AlertCandle } from '../src/evaluate/types.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

/** The i-th 1m candle of BTC-USDT, closing at `close`. */
function candle(i: number, close: number): AlertCandle {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    openTime: T0 + i * MIN,
    closeTime: T0 + (i + 1) * MIN - 1,
    open: String(close),
    high: String(close + 1),
    low: String(close - 1),
    close: String(close),
    baseVolume: '2',
  };
}

const bar = (openTime: number, close: number): SeedBar => ({
  openTime,
  high: close,
  low: close,
  close,
  volume: 1,
});

function rsiAlert(id: string, op: 'above' | 'crossesUp', value: number, period = 5) {
  return {
    id,
    tenantId: 't1',
    name: id,
    venue: 'binance',
    symbol: 'BTC-USDT',
    condition: { kind: 'rsi', interval: '1m', period, op, value },
    trigger: { mode: 'oncePerBarClose', interval: '1m' },
  };
}

/** Takes the one request the evaluator has and starts its read (what IndicatorWarmup does). */
function begin(ev: AlertEvaluator): WarmupRequest {
  const [req, ...more] = ev.takeWarmups();
  expect(more).toEqual([]);
  if (!req) throw new Error('no warm-up request');
  const started = ev.beginWarmup(req);
  if (!started) throw new Error('warm-up request not current');
  return started;
}

/** RSI(period) over the closes, fed once each in order: what a correctly seeded instance must equal. */
function referenceRsi(closes: number[], period: number): number {
  const ind = createIndicator('rsi', { period });
  closes.forEach((c, i) => {
    ind.push(c + 1, c - 1, c, 2, T0 + i * MIN);
  });
  return ind.value(0);
}

describe('mergeSeed', () => {
  it('orders by open time, keeps one bar per open time (the live one), drops bars after `through`', () => {
    const stored = [bar(3, 30), bar(1, 10), bar(2, 20), bar(5, 50)];
    const live = [bar(2, 21), bar(4, 40)];
    expect(mergeSeed(stored, live, 4, 10)).toEqual([bar(1, 10), bar(2, 21), bar(3, 30), bar(4, 40)]);
    expect(mergeSeed(stored, live, 4, 2)).toEqual([bar(3, 30), bar(4, 40)]);
    expect(mergeSeed([], [], 4, 10)).toEqual([]);
  });
});

describe('indicator warm-up from stored candles', () => {
  it('fires on the first qualifying live close after the seed, never on the seed itself', () => {
    const ev = new AlertEvaluator();
    // Live closes seen before the alert existed: the series is live, the RSI instance is not.
    for (let i = 0; i < 3; i++) ev.onCandle(candle(i, 100 - i));
    ev.add(rsiAlert('a', 'crossesUp', 50));
    const req = begin(ev);
    // The read covers what the series applied (bars 0..2), not what storage holds when it runs.
    expect(req).toMatchObject({
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1m',
      key: 'rsi(period=5)',
      through: T0 + 2 * MIN,
      before: T0 + 3 * MIN,
    });
    expect(ev.warmupStatus('a', T0)?.status).toBe('warming');
    // Falling prices for 30 bars: RSI far below 50. Stored history covers bars 0..29.
    const stored = Array.from({ length: 30 }, (_, i) => candle(i, 100 - i));
    // Two bars close live while the read is in flight: not pushed into the instance yet, no firing.
    expect(ev.onCandle(candle(3, 97))).toEqual([]);
    expect(ev.onCandle(candle(4, 96))).toEqual([]);
    const out = ev.completeWarmup(req, stored);
    // Bars 5..29 are stored but not yet seen live (the persister ran ahead): left for the live path.
    expect(out).toMatchObject({ applied: true, pushed: 5, ready: false });
    expect(ev.warmupStatus('a', T0)).toMatchObject({ status: 'cold', barsNeeded: 2 });
    for (let i = 5; i < 30; i++) expect(ev.onCandle(candle(i, 100 - i))).toEqual([]);
    expect(ev.warmupStatus('a', T0)?.status).toBe('ready');
    // The first up bar crosses RSI over 50 and fires at once.
    const fired = ev.onCandle(candle(30, 200));
    expect(fired.map((f) => f.id)).toEqual([`a:b:1m:${T0 + 30 * MIN}`]);
  });

  it('is ready at once when storage holds the history, and fires on the first live close', () => {
    const ev = new AlertEvaluator();
    for (let i = 0; i < 40; i++) ev.onCandle(candle(i, 100 - i));
    ev.add(rsiAlert('a', 'above', 0, 14));
    const req = begin(ev);
    expect(req.limit).toBeGreaterThanOrEqual(16);
    const stored = Array.from({ length: 40 }, (_, i) => candle(i, 100 - i));
    expect(ev.completeWarmup(req, stored)).toMatchObject({ applied: true, pushed: 40, ready: true });
    expect(ev.warmupStatus('a', T0)).toEqual({ status: 'ready', barsNeeded: 0, readyAt: null });
    expect(ev.stats().firings).toBe(0);
    expect(ev.onCandle(candle(40, 80)).map((f) => f.alertId)).toEqual(['a']);
  });

  it('a fresh series takes its state from storage with its first live close, only bars before it', () => {
    const ev = new AlertEvaluator();
    ev.add(rsiAlert('a', 'above', 0));
    const req = begin(ev);
    expect(req).toMatchObject({ through: null, before: null });
    const stored = Array.from({ length: 20 }, (_, i) => candle(i, 100 + (i % 3)));
    expect(ev.completeWarmup(req, stored)).toMatchObject({ applied: true, deferred: true, ready: false });
    // Applied with the first live close; enough is stored for the alert to fire on it.
    expect(ev.warmupStatus('a', T0)?.status).toBe('ready');
    // The consumer's first close is bar 19 (stored, not yet delivered): applied live, and it fires.
    expect(ev.onCandle(candle(19, 101)).map((f) => f.id)).toEqual([`a:b:1m:${T0 + 19 * MIN}`]);
    expect(ev.stats().lateCandles).toBe(0);
    expect(ev.warmupStatus('a', T0)?.status).toBe('ready');
    expect(ev.onCandle(candle(20, 105)).length).toBe(1);
  });

  it('adopting stored candles never drops the live closes the consumer has not delivered yet', () => {
    // Storage (the persister) is 10 bars ahead of the alert consumer: bars 20..29 are stored but not yet
    // delivered when the seed completes. Each must still be evaluated when it arrives.
    const ev = new AlertEvaluator();
    ev.add(rsiAlert('a', 'above', 0));
    ev.add({
      id: 'x',
      tenantId: 't1',
      name: 'x',
      venue: 'binance',
      symbol: 'BTC-USDT',
      condition: { kind: 'price', op: 'crossesUp', value: '150' },
      trigger: { mode: 'oncePerBarClose', interval: '1m' },
    });
    const req = begin(ev);
    const stored = Array.from({ length: 30 }, (_, i) => candle(i, 100 + (i % 3)));
    ev.completeWarmup(req, stored);
    const fired: string[] = [];
    for (let i = 20; i < 30; i++) {
      for (const f of ev.onCandle(candle(i, i === 25 ? 200 : 100 + (i % 3)))) fired.push(f.id);
    }
    expect(ev.stats().lateCandles).toBe(0);
    // The RSI alert fires on each delivered bar, the crossing on bar 25 (which storage held already).
    expect(fired.filter((id) => id.startsWith('a:')).length).toBe(10);
    expect(fired.filter((id) => id.startsWith('x:'))).toEqual([`x:b:1m:${T0 + 25 * MIN}`]);
    // The seed is bars 0..19 (what opened before the first live close), then the live ones.
    const rsi = ev.snapshot().series[0]?.indicators[0];
    const closes = Array.from({ length: 30 }, (_, i) => (i === 25 ? 200 : 100 + (i % 3)));
    expect(rsi?.cur[0]).toBeCloseTo(referenceRsi(closes, 5), 9);
    expect(rsi?.pushed).toBe(30);
  });

  it('stays cold when storage has too few candles, and says when it will be ready', () => {
    const ev = new AlertEvaluator();
    ev.onCandle(candle(0, 100));
    ev.add(rsiAlert('a', 'above', 0, 14));
    ev.add(rsiAlert('c', 'crossesUp', 50, 14));
    const req = begin(ev);
    expect(ev.completeWarmup(req, [candle(0, 100)])).toMatchObject({ pushed: 1, ready: false });
    // RSI(14) above a level reads the current value only: 15 bars (lookback 14, then one output), 14
    // more, the next opening at bar 1. A crossing compares two outputs: 16 bars.
    expect(ev.warmupStatus('a', T0)).toEqual({ status: 'cold', barsNeeded: 14, readyAt: T0 + 15 * MIN });
    expect(ev.warmupStatus('c', T0)).toEqual({ status: 'cold', barsNeeded: 15, readyAt: T0 + 16 * MIN });
    const fired: number[] = [];
    for (let i = 1; i < 16; i++) {
      if (ev.onCandle(candle(i, 100 + i)).some((f) => f.alertId === 'a')) fired.push(i);
      if (i === 14) {
        expect(ev.warmupStatus('a', T0)?.status).toBe('ready');
        expect(ev.warmupStatus('c', T0)).toMatchObject({ status: 'cold', barsNeeded: 1 });
      }
    }
    // 'ready' is exact: the level alert fires on the very bar its status turned ready.
    expect(fired[0]).toBe(14);
    expect(ev.warmupStatus('c', T0)?.status).toBe('ready');
  });

  it('ignores a completion that is no longer current, and seeds an instance once', () => {
    const ev = new AlertEvaluator();
    ev.add(rsiAlert('a', 'above', 0));
    ev.add(rsiAlert('b', 'above', 10));
    const reqs = ev.takeWarmups();
    expect(reqs.length).toBe(1); // one shared instance
    const queued = reqs[0];
    if (!queued) throw new Error('no warm-up request');
    expect(ev.beginWarmup({ ...queued, token: queued.token + 1 })).toBeNull();
    const req = ev.beginWarmup(queued);
    if (!req) throw new Error('not current');
    expect(ev.beginWarmup(queued)).toBeNull();
    expect(ev.completeWarmup({ ...req, token: req.token + 1 }, [candle(0, 1)]).applied).toBe(false);
    expect(ev.completeWarmup(req, []).applied).toBe(true);
    expect(ev.completeWarmup(req, []).applied).toBe(false);
    expect(ev.takeWarmups()).toEqual([]);
  });

  it('a snapshot taken while seeding is seeded again after a restore; a ready instance is not', () => {
    const ev = new AlertEvaluator();
    ev.onCandle(candle(0, 100));
    ev.add(rsiAlert('a', 'above', 0));
    ev.add(rsiAlert('b', 'above', 0, 7));
    const [qa, qb] = ev.takeWarmups();
    const ra = qa && ev.beginWarmup(qa);
    const rb = qb && ev.beginWarmup(qb);
    if (!ra || !rb) throw new Error('no warm-up requests');
    ev.completeWarmup(
      ra,
      Array.from({ length: 10 }, (_, i) => candle(i - 9, 100 + i)),
    );
    const snap = JSON.parse(JSON.stringify(ev.snapshot()));
    const again = new AlertEvaluator();
    again.add(rsiAlert('a', 'above', 0));
    again.add(rsiAlert('b', 'above', 0, 7));
    again.restore(snap);
    expect(again.takeWarmups().map((r) => r.key)).toEqual(['rsi(period=7)']);
    expect(again.warmupStatus('a', T0)?.status).toBe('ready');
  });

  it('seed and live closes racing: the instance equals one fed every bar once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 50, max: 150 }), { minLength: 12, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (closes, a, b, c) => {
          const n = closes.length;
          // Bars [0, seen) closed live before the alert; [seen, during) close live while the seed is read;
          // storage holds [0, stored) (it may lag behind the live series or run ahead of it).
          const seen = 1 + (a % (n - 2));
          const during = seen + (b % (n - seen));
          const stored = c % (n + 1);
          const ev = new AlertEvaluator();
          const at = (i: number) => candle(i, closes[i] as number);
          for (let i = 0; i < seen; i++) ev.onCandle(at(i));
          ev.add(rsiAlert('a', 'above', 100, 3));
          const req = begin(ev);
          for (let i = seen; i < during; i++) ev.onCandle(at(i));
          // The read returns rows in any order.
          const rows = Array.from({ length: stored }, (_, i) => at(i)).reverse();
          ev.completeWarmup(req, rows);
          for (let i = during; i < n; i++) ev.onCandle(at(i));
          const snap = ev.snapshot();
          const ind = snap.series[0]?.indicators[0];
          // Bars the seed could not know (not stored, closed before the last RECENT_LIVE_BARS live ones
          // before the request) are missing from it: compare with the bars it could know.
          const known = closes.filter((_, i) => i < stored || i >= seen - 8 || i >= during);
          const expected = referenceRsi(known, 3);
          const cur = ind?.cur[0];
          if (Number.isNaN(expected)) expect(cur).toEqual({ n: 'NaN' });
          else expect(cur).toBeCloseTo(expected, 9);
          expect(ind?.pushed).toBe(known.length);
          expect(warmupLength({ needed: 5, ind: { lookback: 3 } })).toBeGreaterThan(n);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('replay determinism', () => {
  const priceAlert = (id: string, op: 'crossesUp' | 'above', value: string) => ({
    id,
    tenantId: 't1',
    name: id,
    venue: 'binance',
    symbol: 'BTC-USDT',
    condition: { kind: 'price', op, value },
    trigger: { mode: 'every', cooldownMs: 1_000 },
  });
  const trade = (ts: number, price: string, id = String(ts)) => ({
    venue: 'binance',
    symbol: 'BTC-USDT',
    tradeId: id,
    price,
    qty: '1',
    ts,
  });

  it('an alert ignores trades, closes and events from before it started (a replay delivers them)', () => {
    const ev = new AlertEvaluator();
    const start = T0 + 10 * MIN;
    ev.add(priceAlert('p', 'crossesUp', '150'), { activeFrom: start });
    ev.add(priceAlert('h', 'above', '150'), { activeFrom: start });
    ev.add(rsiAlert('r', 'above', 0, 2), { activeFrom: start });
    ev.add(
      {
        id: 'q',
        tenantId: 't1',
        name: 'q',
        condition: { kind: 'dataQuality', events: ['gapDetected'] },
        trigger: { mode: 'once' },
      },
      { activeFrom: start },
    );
    // Replayed history from before the alerts existed: a crossing, a holding level, closes, an event.
    expect(ev.onTrade(trade(start - 2_000, '100'))).toEqual([]);
    expect(ev.onTrade(trade(start - 1_000, '200'))).toEqual([]);
    for (let i = 0; i < 9; i++) expect(ev.onCandle(candle(i, 100 + i))).toEqual([]);
    expect(ev.onDataQuality({ kind: 'gapDetected', id: 'g1', venue: 'binance', at: start - 1 })).toEqual([]);
    // From its start on it is evaluated: the level still holds (looked at again), the bar closing after.
    expect(ev.onTrade(trade(start, '201')).map((f) => f.alertId)).toEqual(['h']);
    expect(ev.onCandle(candle(10, 120)).map((f) => f.alertId)).toEqual(['r']);
    expect(ev.onDataQuality({ kind: 'gapDetected', id: 'g2', venue: 'binance', at: start }).length).toBe(1);
    // Without a start (the default) every event counts, as before.
    const plain = new AlertEvaluator();
    plain.add(priceAlert('p', 'crossesUp', '150'));
    plain.onTrade(trade(start - 2_000, '100'));
    expect(plain.onTrade(trade(start - 1_000, '200')).length).toBe(1);
  });

  it('restarts seed again only instances waiting for a seed, not one given up cold', () => {
    const ev = new AlertEvaluator();
    ev.onCandle(candle(0, 100));
    ev.add(rsiAlert('a', 'above', 0, 14)); // its read fails: given up, cold
    ev.add(rsiAlert('b', 'above', 0, 7)); // still queued at the snapshot
    ev.add(rsiAlert('c', 'above', 0, 9)); // its read in flight at the snapshot
    const [qa, qb, qc] = ev.takeWarmups();
    if (!qa || !qb || !qc) throw new Error('no warm-up requests');
    const ra = ev.beginWarmup(qa);
    if (!ra || !ev.beginWarmup(qc)) throw new Error('not current');
    ev.completeWarmup(ra, []);
    ev.onCandle(candle(1, 101));
    const snap = JSON.parse(JSON.stringify(ev.snapshot()));
    const again = new AlertEvaluator();
    for (const [id, p] of [
      ['a', 14],
      ['b', 7],
      ['c', 9],
    ] as const)
      again.add(rsiAlert(id, 'above', 0, p));
    again.restore(snap);
    expect(
      again
        .takeWarmups()
        .map((r) => r.key)
        .sort(),
    ).toEqual(['rsi(period=7)', 'rsi(period=9)']);
    // The cold one goes on warming live from where it was (2 bars), as it did in the run.
    expect(again.warmupStatus('a', T0)).toMatchObject({ status: 'cold', barsNeeded: 13 });
  });

  it('an instance being seeded never fires on a value from before its seed', () => {
    // Restored with enough bars for RSI above (lookback + 1) but not for a crossing: wanted again.
    const ev = new AlertEvaluator();
    ev.add(rsiAlert('a', 'above', 0, 3));
    ev.takeWarmups().forEach((r) => {
      ev.completeWarmup(r, []);
    });
    for (let i = 0; i < 4; i++) ev.onCandle(candle(i, 100 + i));
    expect(ev.onCandle(candle(4, 104)).length).toBe(1);
    const snap = JSON.parse(JSON.stringify(ev.snapshot()));
    // Snapshotted while queued for a seed, one bar short of `needed` (5): seeded again after a restore.
    snap.series[0].indicators[0].pushed = 4;
    snap.series[0].indicators[0].warmup = 'queued';
    const again = new AlertEvaluator();
    again.add(rsiAlert('a', 'above', 0, 3));
    again.restore(snap);
    const req = begin(again);
    // While the read runs, live closes are held back from the instance: its alert must stay silent
    // rather than read the restored (now frozen) RSI.
    expect(again.onCandle(candle(5, 50))).toEqual([]);
    expect(again.onCandle(candle(6, 40))).toEqual([]);
    expect(again.warmupStatus('a', T0)?.status).toBe('warming');
    // Snapshotted mid-seed it is stored reset, and a restore of that seeds it again.
    const mid = again.snapshot().series[0]?.indicators[0];
    expect(mid).toMatchObject({ pushed: 0, warmup: 'seeding', cur: [{ n: 'NaN' }] });
    expect(
      again.completeWarmup(
        req,
        Array.from({ length: 5 }, (_, i) => candle(i, 100 + i)),
      ),
    ).toMatchObject({ applied: true, pushed: 7, ready: true });
    expect(again.onCandle(candle(7, 60)).length).toBe(1);
  });
});
