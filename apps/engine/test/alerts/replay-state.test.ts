import { AlertEvaluator, parseAlertRule } from '@qt/alerts';
import { describe, expect, it } from 'vitest';
import { AlertsStoppingError, replayPlan } from '../../src/alerts/replay-positions.ts';
import { stateJsonInSlices } from '../../src/alerts/state-json.ts';

describe('replayPlan', () => {
  it('resumes after what the stored state covers and counts what is evaluated again', () => {
    const plan = replayPlan({
      bus: 'nats',
      streams: { MARKET_TRADES: 100, MARKET_KLINES: 7 },
      committed: { MARKET_TRADES: 160, MARKET_KLINES: 7, MARKET_QUALITY: 3 },
    });
    // The state's positions win: the gap 101..160 is evaluated again from that exact state.
    expect(plan.positions).toEqual({ MARKET_TRADES: 100, MARKET_KLINES: 7, MARKET_QUALITY: 3 });
    expect(plan.replayed).toEqual({ MARKET_TRADES: 60 });
    // Up to these, messages are a replay: no side effect beyond the firings table is repeated.
    expect(plan.committed).toEqual({ MARKET_TRADES: 160, MARKET_KLINES: 7, MARKET_QUALITY: 3 });
  });

  it('falls back to the committed position for a stream the state has none for; ignores bad numbers', () => {
    const plan = replayPlan({
      bus: 'nats',
      streams: { A: -1, B: Number.NaN },
      committed: { C: 5 },
    });
    expect(plan.positions).toEqual({ C: 5 });
    expect(plan.replayed).toEqual({});
  });

  it('a stopping error says the batch is left for the next start', () => {
    expect(new AlertsStoppingError()).toBeInstanceOf(Error);
    expect(new AlertsStoppingError().name).toBe('AlertsStoppingError');
  });
});

describe('stateJsonInSlices', () => {
  it('writes exactly JSON.stringify of an evaluator state, over several turns', async () => {
    const ev = new AlertEvaluator();
    for (let i = 0; i < 50; i++) {
      ev.add(
        parseAlertRule({
          id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          tenantId: 't',
          name: `a${i}`,
          venue: 'binance',
          symbol: `S${i % 7}-USDT`,
          condition: { kind: 'price', op: 'crosses', value: `${100 + (i % 5)}` },
          trigger: { mode: 'every', cooldownMs: 1_000 },
        }),
      );
    }
    let ts = 1_700_000_000_000;
    for (let k = 0; k < 400; k++) {
      const s = k % 7;
      ts += 500;
      ev.onTrade({
        venue: 'binance',
        symbol: `S${s}-USDT`,
        tradeId: `t${k}`,
        price: (98 + ((k * 37) % 90) / 10).toFixed(2),
        qty: '1',
        ts,
      });
    }
    const state = ev.snapshot();
    expect(state.alerts.length).toBeGreaterThan(0);
    const atCapture = JSON.stringify(state);
    // sliceMs 0: a turn after every element. A trade is evaluated between slices (what a batch does
    // while the state is written): queued now, it runs at the first yield, before the text is done.
    let written = false;
    let tradedBeforeDone: boolean | undefined;
    setImmediate(() => {
      ev.onTrade({
        venue: 'binance',
        symbol: 'S1-USDT',
        tradeId: 'between',
        price: '250',
        qty: '1',
        ts: ts + 10_000,
      });
      tradedBeforeDone = !written;
    });
    const text = await stateJsonInSlices(state, 0);
    written = true;
    expect(tradedBeforeDone).toBe(true);
    // The evaluator moved on meanwhile; the text is still the state as captured (a private copy).
    expect(JSON.stringify(ev.snapshot())).not.toBe(atCapture);
    expect(text).toBe(atCapture);
    expect(JSON.parse(text)).toEqual(state);
  });

  it('matches JSON.stringify on awkward values (undefined keys and elements, empty arrays)', async () => {
    const v = { a: [], b: undefined, c: [1, undefined, 'x'], d: { e: undefined, f: 2 }, g: null };
    expect(await stateJsonInSlices(v, 0)).toBe(JSON.stringify(v));
    expect(await stateJsonInSlices({}, 0)).toBe('{}');
  });
});
