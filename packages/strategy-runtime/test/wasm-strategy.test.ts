import { createIndicator } from '@qt/indicators';
import { describe, expect, it } from 'vitest';
import {
  type CallOutcome,
  HostError,
  IndicatorKind,
  MAX_ACTIONS_PER_CALL,
  type OrderIntent,
  type StrategyHostView,
  type StrategyInstrument,
  TIER_LIMITS,
  validateStrategyModule,
  WasmStrategy,
} from '../src/index.ts';
import { BTC, candle, ETH, type StrategyWat, strategyWat, wat } from './fixtures/wat.ts';

/** Lot 0.1 and tick 0.5: steps that are not powers of ten. */
const COARSE: StrategyInstrument = { venue: 'test', symbol: 'X-Y', tickSize: '0.5', lotSize: '0.1' };
const INSTRUMENTS = [BTC, ETH, COARSE];

const view: StrategyHostView & { time: number } = {
  time: 1_700_000_000_000,
  now() {
    return this.time;
  },
  position: (i) => [0.5, -2, 0][i] ?? Number.NaN,
  freeBalance: (i, which) => (which === 0 ? 10 + i : 1000 + i),
};

/** `env.trace` with the one-letter message "r": `report(x)` becomes the log line "trace: r <x>". */
const REPORT_IMPORT = '(import "env" "trace" (func $trace (param i32 i32 f64 f64 f64 f64 f64)))';
const REPORT_FUNCS = `
  (data (i32.const 12) "\\02\\00\\00\\00r\\00")
  (func $report (param $x f64)
    (call $trace (i32.const 16) (i32.const 1) (local.get $x) (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 0)))`;
const LOG_IMPORT = '(import "qt" "log" (func $log (param i32 i32 i32)))';

async function start(parts: StrategyWat, opts: { maxLogBytes?: number; maxLogLinesPerCall?: number } = {}) {
  const bytes = await wat(
    strategyWat({
      ...parts,
      imports: `${REPORT_IMPORT} ${LOG_IMPORT} ${parts.imports ?? ''}`,
      extra: `${REPORT_FUNCS} ${parts.extra ?? ''}`,
    }),
  );
  const strategy = new WasmStrategy(validateStrategyModule(bytes, TIER_LIMITS.FREE), { view, ...opts });
  const init = strategy.init({ fast: 5, slow: 20 }, INSTRUMENTS);
  return { strategy, init };
}

function reports(o: CallOutcome): number[] {
  return o.logs.filter((l) => l.message.startsWith('trace: r ')).map((l) => Number(l.message.slice(9)));
}

function actionsOf(o: CallOutcome) {
  if (!o.ok) throw new Error(`call failed: ${o.trap.code} ${o.trap.message}`);
  return o.actions;
}

/** An order whose every argument comes from the candle: open=side, low=type, volume=qty, close=price, high=stop. */
const ORDER_FROM_CANDLE: StrategyWat = {
  onCandle: `(call $report (f64.convert_i32_s (call $place (local.get $i)
      (i32.trunc_f64_s (local.get $o)) (i32.trunc_f64_s (local.get $l))
      (local.get $v) (local.get $c) (local.get $h) (local.get $iv) (i32.const 0))))`,
};

function order(
  instrument: number,
  side: number,
  type: number,
  qty: number,
  price: number,
  stop = Number.NaN,
  tif = 0,
) {
  return [
    instrument,
    { intervalSeconds: tif, openTime: 0, open: side, low: type, volume: qty, close: price, high: stop },
  ] as const;
}

describe('WasmStrategy', () => {
  it('rounds quantity toward zero to the lot and prices to the tick: buys down, sells up', async () => {
    const { strategy, init } = await start(ORDER_FROM_CANDLE);
    expect(init.ok).toBe(true);
    const place = (...args: Parameters<typeof order>) => {
      const out = strategy.onCandle(...order(...args));
      return { handle: reports(out)[0], action: actionsOf(out)[0] as OrderIntent };
    };
    let r = place(0, 0, 1, 0.123456789, 100.129);
    expect(r.handle).toBe(1);
    expect(r.action).toMatchObject({
      handle: 1,
      side: 'buy',
      type: 'limit',
      quantity: '0.12345',
      price: '100.12',
    });
    expect(r.action.stopPrice).toBeNull();
    r = place(0, 1, 1, 0.1, 100.121);
    expect(r.action).toMatchObject({ handle: 2, side: 'sell', quantity: '0.1', price: '100.13' });
    r = place(1, 1, 1, 1.9999, 2000.01);
    expect(r.action).toMatchObject({ handle: 3, instrument: 1, quantity: '1.999', price: '2000.05' });
    r = place(1, 0, 1, 1, 2000.04);
    expect(r.action.price).toBe('2000');
    // 0.1 + 0.2 is the double 0.30000000000000004: the lot of 0.1 takes it as 0.3, not 0.2 or 0.4.
    r = place(2, 0, 1, 0.1 + 0.2, 0.7);
    expect(r.action).toMatchObject({ quantity: '0.3', price: '0.5' });
    r = place(2, 1, 3, 3, 1.2, 1.1);
    expect(r.action).toMatchObject({ type: 'stop_limit', price: '1.5', stopPrice: '1.5' });
    r = place(0, 0, 2, 2, Number.NaN, 99.999);
    expect(r.action).toMatchObject({ type: 'stop_market', price: null, stopPrice: '99.99' });
    // Large and tiny values print with an exponent in JavaScript; they are expanded exactly.
    r = place(0, 0, 0, 1e21, Number.NaN);
    expect(r.action).toMatchObject({ type: 'market', quantity: '1000000000000000000000', price: null });
    r = place(0, 0, 1, 1.5e-5, 1e-2);
    expect(r.action).toMatchObject({ quantity: '0.00001', price: '0.01' });
    expect(r.handle).toBe(9);
  });

  it('refuses NaN, infinite, non-positive and zero-after-rounding amounts, bad codes and instruments', async () => {
    const { strategy } = await start(ORDER_FROM_CANDLE);
    const bad: [ReturnType<typeof order>, number][] = [
      [order(0, 0, 1, Number.NaN, 100), HostError.ERR_BAD_ARGUMENT],
      [order(0, 0, 1, Number.POSITIVE_INFINITY, 100), HostError.ERR_BAD_ARGUMENT],
      [order(0, 0, 1, 0, 100), HostError.ERR_BAD_ARGUMENT],
      [order(0, 0, 1, -1, 100), HostError.ERR_BAD_ARGUMENT],
      [order(0, 0, 1, 0.000009, 100), HostError.ERR_BAD_ARGUMENT], // below one lot
      [order(0, 0, 1, 1, 0.009), HostError.ERR_BAD_ARGUMENT], // a buy below one tick rounds to 0
      [order(0, 0, 1, 1, Number.NaN), HostError.ERR_BAD_ARGUMENT], // a limit order needs a price
      [order(0, 0, 1, 1, Number.NEGATIVE_INFINITY), HostError.ERR_BAD_ARGUMENT],
      [order(0, 0, 2, 1, 100, Number.NaN), HostError.ERR_BAD_ARGUMENT], // a stop needs a stop price
      [order(0, 2, 1, 1, 100), HostError.ERR_BAD_ARGUMENT], // side
      [order(0, 0, 4, 1, 100), HostError.ERR_BAD_ARGUMENT], // type
      [order(0, 0, 1, 1, 100, Number.NaN, 3), HostError.ERR_BAD_ARGUMENT], // time in force
      [order(3, 0, 1, 1, 100), HostError.ERR_BAD_INSTRUMENT],
      [order(-1, 0, 1, 1, 100), HostError.ERR_BAD_INSTRUMENT],
    ];
    for (const [args, code] of bad) {
      const out = strategy.onCandle(...args);
      expect(reports(out)).toEqual([code]);
      expect(actionsOf(out)).toEqual([]);
    }
    // No handle was spent on a refusal.
    expect(reports(strategy.onCandle(...order(0, 0, 1, 1, 100)))).toEqual([1]);
  });

  it('numbers handles 1, 2, 3... across calls, cancels only known handles, and caps actions per call', async () => {
    const { strategy } = await start(
      {
        imports: `(import "qt" "cancel_order" (func $cancel (param i32) (result i32)))
                (import "qt" "cancel_all" (func $cancelAll (param i32) (result i32)))`,
        onCandle: `(local $k i32)
        (call $report (f64.convert_i32_s (call $cancel (i32.trunc_f64_s (local.get $o)))))
        (call $report (f64.convert_i32_s (call $cancelAll (i32.trunc_f64_s (local.get $l)))))
        (loop $more
          (call $report (f64.convert_i32_s (call $place (i32.const 0) (i32.const 0) (i32.const 1)
            (f64.const 1) (f64.const 100) (f64.const nan) (i32.const 0) (i32.const 0))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $more (f64.lt (f64.convert_i32_s (local.get $k)) (local.get $v))))`,
      },
      { maxLogLinesPerCall: 200 }, // the results are reported as log lines
    );
    const call = (cancel: number, cancelAllOf: number, places: number) => {
      const out = strategy.onCandle(0, { ...candle(1), open: cancel, low: cancelAllOf, volume: places });
      return { results: reports(out), actions: actionsOf(out) };
    };
    let c = call(1, 3, 2); // handle 1 does not exist yet; instrument 3 neither
    expect(c.results).toEqual([HostError.ERR_UNKNOWN_HANDLE, HostError.ERR_BAD_INSTRUMENT, 1, 2]);
    c = call(2, -1, 1);
    expect(c.results).toEqual([0, 0, 3]);
    expect(c.actions).toEqual([
      { kind: 'cancel', handle: 2 },
      { kind: 'cancelAll', instrument: -1 },
      expect.objectContaining({ kind: 'place', handle: 3 }),
    ]);
    c = call(3, 0, MAX_ACTIONS_PER_CALL + 5); // 2 cancels + 98 places fit; the rest get ERR_TOO_MANY
    expect(c.actions).toHaveLength(MAX_ACTIONS_PER_CALL);
    expect(c.results.slice(0, 2)).toEqual([0, 0]);
    expect(c.results.slice(2, 100)).toEqual(Array.from({ length: 98 }, (_, k) => 4 + k));
    expect(c.results.slice(100)).toEqual(Array(7).fill(HostError.ERR_TOO_MANY));
  });

  it('discards a batch whose call traps, and stays failed with the reason', async () => {
    const { strategy } = await start({
      onCandle: `
        (drop (call $place (i32.const 0) (i32.const 0) (i32.const 1) (f64.const 1) (f64.const 100) (f64.const nan) (i32.const 0) (i32.const 0)))
        (drop (call $place (i32.const 0) (i32.const 1) (i32.const 1) (f64.const 1) (f64.const 101) (f64.const nan) (i32.const 0) (i32.const 0)))
        (if (f64.gt (local.get $c) (f64.const 10)) (then unreachable))`,
    });
    expect(actionsOf(strategy.onCandle(0, candle(5)))).toHaveLength(2);
    const out = strategy.onCandle(0, candle(50));
    expect(out.ok).toBe(false);
    expect(out).not.toHaveProperty('actions');
    if (out.ok) return;
    expect(out.trap.code).toBe('TRAP');
    expect(out.trap.message).toMatch(/unreachable/);
    expect(strategy.failed).toEqual(out.trap);
    const after = strategy.onCandle(0, candle(5));
    expect(after).toMatchObject({ ok: false, trap: out.trap });
  });

  it('reports an AssemblyScript abort with its message and location', async () => {
    // AS strings: UTF-16LE code units, their byte length in the u32 before them.
    const { strategy } = await start({
      imports: '(import "env" "abort" (func $abort (param i32 i32 i32 i32)))',
      extra: `(data (i32.const 60) "\\0a\\00\\00\\00b\\00o\\00o\\00m\\00!\\00")
              (data (i32.const 80) "\\10\\00\\00\\00m\\00a\\00i\\00n\\00.\\00t\\00s\\00\\ac\\20")`,
      onCandle: `(if (f64.gt (local.get $c) (f64.const 10))
          (then (call $abort (i32.const 64) (i32.const 84) (i32.const 12) (i32.const 5)))
          (else (call $abort (i32.const 0xfffffff0) (i32.const 0) (i32.const 0) (i32.const 0))))`,
    });
    const out = strategy.onCandle(0, candle(50));
    expect(out).toMatchObject({
      ok: false,
      trap: { code: 'ABORT', message: 'abort: boom! at main.ts€:12:5' },
    });
    const { strategy: other } = await start({
      imports: '(import "env" "abort" (func $abort (param i32 i32 i32 i32)))',
      onCandle: '(call $abort (i32.const 0xfffffff0) (i32.const 2) (i32.const 0) (i32.const 0))',
    });
    // A pointer outside memory is not read.
    expect(other.onCandle(0, candle(1))).toMatchObject({
      ok: false,
      trap: { code: 'ABORT', message: 'abort: (no message)' },
    });
  });

  it('makes memory.grow past the declared maximum fail inside the module, and names the limit on the trap', async () => {
    const { strategy } = await start({
      memory: '2 16',
      onCandle: `(block $full (loop $grow
          (br_if $full (i32.lt_s (memory.grow (i32.const 1)) (i32.const 0)))
          (br $grow)))
        (call $report (f64.convert_i32_s (memory.size)))
        (call $report (f64.convert_i32_s (memory.grow (i32.const 1))))
        (if (f64.gt (local.get $c) (f64.const 10)) (then unreachable))`,
    });
    expect(reports(strategy.onCandle(0, candle(1)))).toEqual([16, -1]);
    const out = strategy.onCandle(0, candle(50));
    expect(out).toMatchObject({ ok: false, trap: { code: 'MEMORY_LIMIT' } });
    if (!out.ok) expect(out.trap.message).toMatch(/maximum of 16 pages \(1 MiB\)/);
  });

  it('decodes log text as UTF-8 from memory, caps its length and lines, and survives bad pointers', async () => {
    const { strategy } = await start(
      {
        extra: '(data (i32.const 200) "h\\c3\\a9llo \\e2\\82\\ac and a much longer tail")',
        onCandle: `(local $k i32)
          (call $log (i32.const 1) (i32.const 200) (i32.const 10))
          (call $log (i32.const 3) (i32.const 200) (i32.const 30))
          (call $log (i32.const 9) (i32.const 200) (i32.const 1))
          (call $log (i32.const 2) (i32.const 0x7ffffff0) (i32.const 100))
          (loop $more
            (call $log (i32.const 0) (i32.const 200) (i32.const 1))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $more (i32.lt_s (local.get $k) (i32.const 20))))`,
      },
      { maxLogBytes: 16, maxLogLinesPerCall: 10 },
    );
    view.time = 1_700_000_000_123;
    const out = strategy.onCandle(0, candle(1));
    expect(out.ok).toBe(true);
    expect(out.logs.slice(0, 5)).toEqual([
      { level: 'info', message: 'héllo €', time: 1_700_000_000_123 },
      { level: 'error', message: 'héllo € and a…', time: 1_700_000_000_123 },
      { level: 'info', message: 'h', time: 1_700_000_000_123 },
      { level: 'warn', message: '(log text outside the strategy memory)', time: 1_700_000_000_123 },
      { level: 'debug', message: 'h', time: 1_700_000_000_123 },
    ]);
    expect(out.logs).toHaveLength(11);
    expect(out.logs[10]?.message).toMatch(/^14 more log lines in this call were dropped/);
  });

  it('writes the init record at qt_scratch() so the module reads back params and instruments', async () => {
    const { strategy, init } = await start({
      init: `(local $p i32) (local $n i32) (local $l i32)
        (local.set $p (i32.const 1024))
        (local.set $n (i32.load (local.get $p)))
        (call $report (f64.convert_i32_u (local.get $n)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (block $done (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $l (i32.load16_u (local.get $p)))
          (call $log (i32.const 1) (i32.add (local.get $p) (i32.const 2)) (local.get $l))
          (local.set $p (i32.add (local.get $p) (i32.add (i32.const 2) (local.get $l))))
          (call $report (f64.load (local.get $p)))
          (local.set $p (i32.add (local.get $p) (i32.const 8)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
        (local.set $n (i32.load (local.get $p)))
        (call $report (f64.convert_i32_u (local.get $n)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (block $done (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $l (i32.load16_u (local.get $p)))
          (call $log (i32.const 1) (i32.add (local.get $p) (i32.const 2)) (local.get $l))
          (local.set $p (i32.add (local.get $p) (i32.add (i32.const 2) (local.get $l))))
          (call $report (f64.load (local.get $p)))
          (call $report (f64.load (i32.add (local.get $p) (i32.const 8))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
        (call $report (f64.convert_i32_u (i32.sub (local.get $p) (i32.const 1024))))
        (call $report (f64.convert_i32_u (local.get $len)))
        (i32.const 0)`,
    });
    expect(init.ok).toBe(true);
    expect(init.logs.filter((l) => !l.message.startsWith('trace')).map((l) => l.message)).toEqual([
      'fast',
      'slow',
      'binance:BTC-USDT',
      'okx:ETH-USDT',
      'test:X-Y',
    ]);
    const length = 4 + (2 + 4 + 8) * 2 + 4 + (2 + 16 + 16) + (2 + 12 + 16) + (2 + 8 + 16);
    expect(reports(init)).toEqual([2, 5, 20, 3, 0.01, 0.00001, 0.05, 0.001, 0.5, 0.1, length, length]);
    expect(strategy.failed).toBeUndefined();
  });

  it('answers position, free balance and now from the host view, and turns set_timer into requests', async () => {
    const { strategy } = await start({
      imports: `(import "qt" "position" (func $position (param i32) (result f64)))
                (import "qt" "free_balance" (func $free (param i32 i32) (result f64)))
                (import "qt" "now" (func $now (result f64)))
                (import "qt" "set_timer" (func $timer (param f64 i32) (result i32)))`,
      onCandle: `
        (call $report (call $position (i32.const 1)))
        (call $report (call $position (i32.const 7)))
        (call $report (call $free (i32.const 1) (i32.const 0)))
        (call $report (call $free (i32.const 1) (i32.const 1)))
        (call $report (call $free (i32.const 1) (i32.const 2)))
        (call $report (call $now))
        (call $report (f64.convert_i32_s (call $timer (f64.const 60000) (i32.const 7))))
        (call $report (f64.convert_i32_s (call $timer (f64.const -1) (i32.const 8))))`,
    });
    view.time = 1_700_000_000_000;
    const out = strategy.onCandle(0, candle(1));
    expect(reports(out)).toEqual([
      -2,
      Number.NaN,
      11,
      1001,
      Number.NaN,
      1_700_000_000_000,
      0,
      HostError.ERR_BAD_ARGUMENT,
    ]);
    expect(out.ok && out.timers).toEqual([{ timerId: 7, dueAt: 1_700_000_060_000 }]);
  });

  it('passes trade, fill, order and timer events to the optional callbacks with ABI codes', async () => {
    const { strategy } = await start({
      extra: `
        (func (export "qt_on_trade") (param i32 f64 f64 f64 i32)
          (call $report (local.get 2)) (call $report (f64.convert_i32_s (local.get 4))))
        (func (export "qt_on_fill") (param i32 i32 i32 f64 f64 f64 f64)
          (call $report (f64.convert_i32_s (local.get 0))) (call $report (f64.convert_i32_s (local.get 2)))
          (call $report (local.get 5)))
        (func (export "qt_on_order") (param i32 i32 i32)
          (call $report (f64.convert_i32_s (local.get 1))) (call $report (f64.convert_i32_s (local.get 2))))`,
    });
    expect(reports(strategy.onTrade(0, { time: 1, price: 101.5, quantity: 2, takerSide: 'sell' }))).toEqual([
      101.5, 1,
    ]);
    expect(
      reports(
        strategy.onFill({
          handle: 4,
          instrument: 0,
          side: 'sell',
          price: 1,
          quantity: 1,
          fee: 0.25,
          time: 2,
        }),
      ),
    ).toEqual([4, 1, 0.25]);
    expect(reports(strategy.onOrder({ handle: 4, status: 'rejected', reason: 'RISK_MAX_POSITION' }))).toEqual(
      [4, 9],
    );
    expect(reports(strategy.onOrder({ handle: 4, status: 'filled', reason: null }))).toEqual([2, 0]);
    expect(reports(strategy.onOrder({ handle: 4, status: 'rejected', reason: 'SOMETHING_NEW' }))).toEqual([
      4, 1,
    ]);
    // No qt_on_timer export: the call is a no-op.
    expect(strategy.onTimer(1, 5)).toMatchObject({ ok: true, actions: [] });
  });

  it('computes host indicators by handle with @qt/indicators, NaN meaning the default parameter', async () => {
    const { strategy, init } = await start({
      imports: `(import "qt" "ind_create" (func $create (param i32 f64 f64 f64) (result i32)))
                (import "qt" "ind_update" (func $update (param i32 f64 f64 f64 f64) (result f64)))
                (import "qt" "ind_value" (func $value (param i32 i32) (result f64)))`,
      extra: '(global $sma (mut i32) (i32.const 0)) (global $macd (mut i32) (i32.const 0))',
      init: `
        (global.set $sma (call $create (i32.const ${IndicatorKind.sma}) (f64.const 3) (f64.const nan) (f64.const nan)))
        (global.set $macd (call $create (i32.const ${IndicatorKind.macd}) (f64.const 3) (f64.const 6) (f64.const nan)))
        (call $report (f64.convert_i32_s (global.get $sma)))
        (call $report (f64.convert_i32_s (global.get $macd)))
        (call $report (f64.convert_i32_s (call $create (i32.const ${IndicatorKind.macd}) (f64.const 6) (f64.const 3) (f64.const 2))))
        (call $report (f64.convert_i32_s (call $create (i32.const ${IndicatorKind.sma}) (f64.const 2.5) (f64.const nan) (f64.const nan))))
        (call $report (f64.convert_i32_s (call $create (i32.const 99) (f64.const 3) (f64.const nan) (f64.const nan))))
        (i32.const 0)`,
      onCandle: `
        (call $report (call $update (global.get $sma) (local.get $h) (local.get $l) (local.get $c) (local.get $v)))
        (drop (call $update (global.get $macd) (local.get $h) (local.get $l) (local.get $c) (local.get $v)))
        (call $report (call $value (global.get $macd) (i32.const 2)))
        (call $report (call $value (global.get $macd) (i32.const 3)))
        (call $report (call $update (i32.const 9) (local.get $h) (local.get $l) (local.get $c) (local.get $v)))`,
    });
    expect(reports(init)).toEqual([
      1,
      2,
      HostError.ERR_BAD_INDICATOR,
      HostError.ERR_BAD_INDICATOR,
      HostError.ERR_BAD_INDICATOR,
    ]);
    const sma = createIndicator('sma', { period: 3 });
    const macd = createIndicator('macd', { fast: 3, slow: 6 });
    for (let k = 0; k < 20; k++) {
      const close = 100 + Math.sin(k) * 5;
      const smaNow = sma.push(close, close, close, 1);
      macd.push(close, close, close, 1);
      const expected = [smaNow, macd.value(2)];
      expect(reports(strategy.onCandle(0, candle(close)))).toEqual([...expected, Number.NaN, Number.NaN]);
    }
    expect(sma.value()).not.toBeNaN();
    expect(macd.value(2)).not.toBeNaN();
  });

  it('refuses to start on a wrong ABI version, a non-zero qt_init, or a trapping start function', async () => {
    const wrongVersion = await start({}).then(async () => {
      const bytes = await wat(
        strategyWat().replace('(result i32) (i32.const 1))', '(result i32) (i32.const 2))'),
      );
      return new WasmStrategy(validateStrategyModule(bytes, TIER_LIMITS.FREE), { view }).init({}, [BTC]);
    });
    expect(wrongVersion).toMatchObject({ ok: false, trap: { code: 'INIT_REFUSED' } });
    if (!wrongVersion.ok)
      expect(wrongVersion.trap.message).toMatch(/ABI version 2; this host speaks version 1/);
    expect((await start({ init: '(i32.const 3)' })).init).toMatchObject({
      ok: false,
      trap: { code: 'INIT_REFUSED', message: 'qt_init returned 3: the strategy refused to start.' },
    });
    expect((await start({ extra: '(func $boot unreachable) (start $boot)' })).init).toMatchObject({
      ok: false,
      trap: { code: 'TRAP' },
    });
    const badTick = new WasmStrategy(validateStrategyModule(await wat(strategyWat()), TIER_LIMITS.FREE), {
      view,
    });
    expect(badTick.init({}, [{ ...BTC, tickSize: '0' }])).toMatchObject({
      ok: false,
      trap: { code: 'INIT_REFUSED', message: expect.stringMatching(/tick or lot size must be positive/) },
    });
    const { strategy } = await start({});
    expect(strategy.onCandle(0, candle(1))).toMatchObject({ ok: true });
    expect(strategy.init({}, [BTC])).toMatchObject({ ok: false, trap: { code: 'INIT_REFUSED' } });
  });
});
