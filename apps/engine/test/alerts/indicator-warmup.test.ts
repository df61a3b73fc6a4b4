import { type AlertCandle, AlertEvaluator } from '@qt/alerts';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { IndicatorWarmup, type StoredCandleReader } from '../../src/alerts/indicator-warmup.ts';
import { waitFor } from './alert-engine-support.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

function candle(i: number, close: number, symbol = 'BTC-USDT'): AlertCandle {
  const c = String(close);
  return {
    venue: 'binance',
    symbol,
    interval: '1m',
    openTime: T0 + i * MIN,
    closeTime: T0 + (i + 1) * MIN - 1,
    open: c,
    high: c,
    low: c,
    close: c,
    baseVolume: '2',
  };
}

function rsiAbove(id: string, symbol = 'BTC-USDT', period = 3) {
  return {
    id,
    tenantId: 't1',
    name: id,
    venue: 'binance',
    symbol,
    condition: { kind: 'rsi', interval: '1m', period, op: 'above', value: 0 },
    trigger: { mode: 'oncePerBarClose', interval: '1m' },
  };
}

type Read = Parameters<StoredCandleReader>[0];

/** A reader whose reads the test answers (or never answers). */
function controlledReader() {
  const calls: { q: Read; resolve: (c: AlertCandle[]) => void; reject: (e: Error) => void }[] = [];
  const read: StoredCandleReader = (q) =>
    new Promise((resolve, reject) => {
      calls.push({ q, resolve, reject });
    });
  return { calls, read };
}

function setup(o: { concurrency?: number; maxQueued?: number; readTimeoutMs?: number } = {}) {
  const ev = new AlertEvaluator();
  const reader = controlledReader();
  let lock: Promise<unknown> = Promise.resolve();
  const warmup = new IndicatorWarmup({
    evaluator: () => ev,
    serial: <T>(fn: () => Promise<T>) => {
      const run = lock.then(fn);
      lock = run.catch(() => undefined);
      return run;
    },
    read: reader.read,
    logger: pino({ level: 'silent' }),
    ...o,
  });
  return { ev, reader, warmup };
}

describe('IndicatorWarmup', () => {
  it('reads the window the series had applied when the read started (`before` = through + interval)', async () => {
    const { ev, reader, warmup } = setup();
    for (let i = 0; i < 6; i++) ev.onCandle(candle(i, 100 + i));
    warmup.start();
    ev.add(rsiAbove('a'));
    warmup.schedule();
    await waitFor('the read', async () => reader.calls[0], 5_000);
    expect(reader.calls[0]?.q).toMatchObject({ before: T0 + 6 * MIN, limit: 105 });
    // Storage ran ahead (bars 6..9 not delivered yet): those are left to the live path.
    reader.calls[0]?.resolve(Array.from({ length: 10 }, (_, i) => candle(i, 100 + i)));
    await waitFor('the seed', async () => (warmup.stats.ready === 1 ? true : undefined), 5_000);
    expect(ev.snapshot().series[0]?.indicators[0]?.pushed).toBe(6);
    expect(ev.warmupStatus('a', T0)?.status).toBe('ready');
    expect(ev.onCandle(candle(6, 106)).map((f) => f.alertId)).toEqual(['a']);
    warmup.stop();
  });

  it('a full queue: the instances beyond it are given up and warm up on live closes', async () => {
    const { ev, reader, warmup } = setup({ concurrency: 1, maxQueued: 2 });
    ev.onCandle(candle(0, 100, 'A-USDT'));
    ev.onCandle(candle(0, 100, 'B-USDT'));
    ev.onCandle(candle(0, 100, 'C-USDT'));
    warmup.start();
    ev.add(rsiAbove('a', 'A-USDT'));
    ev.add(rsiAbove('b', 'B-USDT'));
    ev.add(rsiAbove('c', 'C-USDT'));
    warmup.schedule();
    // a reads, b waits, c is dropped.
    expect(warmup.stats).toMatchObject({ requested: 3, dropped: 1 });
    expect(reader.calls.length).toBe(1);
    // b, queued, keeps taking live closes; c, given up, too: both can fire on them.
    expect(ev.warmupStatus('b', T0)?.status).toBe('cold');
    expect(ev.warmupStatus('c', T0)?.status).toBe('cold');
    const fired: string[] = [];
    // RSI(3) has a value after 4 bars: on bar 4, both fire.
    for (let i = 1; i < 5; i++)
      for (const s of ['B-USDT', 'C-USDT'])
        for (const f of ev.onCandle(candle(i, 100 + i, s))) fired.push(f.alertId);
    expect(fired).toEqual(['b', 'c']);
    warmup.stop();
  });

  it('a failed read: the instance takes the live closes logged meanwhile and warms up live', async () => {
    const { ev, reader, warmup } = setup();
    ev.onCandle(candle(0, 100));
    warmup.start();
    ev.add(rsiAbove('a'));
    warmup.schedule();
    await waitFor('the read', async () => reader.calls[0], 5_000);
    for (let i = 1; i < 4; i++) expect(ev.onCandle(candle(i, 100 + i))).toEqual([]);
    reader.calls[0]?.reject(new Error('database down'));
    await waitFor(
      'given up',
      async () => (ev.warmupStatus('a', T0)?.status === 'warming' ? undefined : true),
      5_000,
    );
    expect(warmup.stats.failed).toBe(1);
    // Bars 0..3 were logged while it was held back: with bar 4 it has RSI(3)'s 4 bars and fires.
    expect(ev.onCandle(candle(4, 104)).map((f) => f.alertId)).toEqual(['a']);
    warmup.stop();
  });

  it('a read past the timeout is given up and its slot freed at once (the next read starts)', async () => {
    const { ev, reader, warmup } = setup({ concurrency: 1, readTimeoutMs: 50 });
    ev.onCandle(candle(0, 100, 'A-USDT'));
    ev.onCandle(candle(0, 100, 'B-USDT'));
    warmup.start();
    ev.add(rsiAbove('a', 'A-USDT'));
    ev.add(rsiAbove('b', 'B-USDT'));
    warmup.schedule();
    // b waits for the slot, taking live closes meanwhile (not silenced by a queue).
    expect(reader.calls.length).toBe(1);
    expect(reader.calls[0]?.q).toMatchObject({ symbol: 'A-USDT', timeoutMs: 50 });
    expect(ev.warmupStatus('b', T0)?.status).toBe('cold');
    // a's read never answers: at the timeout it is given up and b's read starts.
    await waitFor('the second read', async () => reader.calls[1], 5_000);
    expect(reader.calls[1]?.q.symbol).toBe('B-USDT');
    expect(warmup.stats.timedOut).toBeGreaterThanOrEqual(1);
    expect(ev.warmupStatus('a', T0)?.status).toBe('cold');
    warmup.stop();
  });

  it('stop(): no read starts after it, and a read ending after it is not applied', async () => {
    const { ev, reader, warmup } = setup({ concurrency: 1 });
    ev.onCandle(candle(0, 100, 'A-USDT'));
    ev.onCandle(candle(0, 100, 'B-USDT'));
    warmup.start();
    ev.add(rsiAbove('a', 'A-USDT'));
    ev.add(rsiAbove('b', 'B-USDT'));
    warmup.schedule();
    expect(warmup.pending).toBe(2);
    warmup.stop();
    reader.calls[0]?.resolve(Array.from({ length: 10 }, (_, i) => candle(i, 100 + i, 'A-USDT')));
    await waitFor('the read ended', async () => (warmup.pending === 0 ? true : undefined), 5_000);
    expect(reader.calls.length).toBe(1);
    // Still seeding in the evaluator: a snapshot stores it as waiting, and the next start seeds it.
    expect(ev.warmupStatus('a', T0)?.status).toBe('warming');
    const ind = ev.snapshot().series.find((s) => s.symbol === 'A-USDT')?.indicators[0];
    expect(ind?.warmup).toBe('seeding');
    ev.add(rsiAbove('c', 'A-USDT', 5));
    warmup.schedule();
    expect(reader.calls.length).toBe(1);
  });
});
