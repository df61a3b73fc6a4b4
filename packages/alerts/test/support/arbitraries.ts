import fc from 'fast-check';
import type { AlertCandle, AlertRuleInput, AlertTrade } from '../../src/index.ts';

/** Few distinct levels, written several ways, so equal prices and thresholds equal to prices are common. */
export const PRICES = ['98', '99', '99.5', '99.50', '100', '100.0', '100.25', '100.5', '101', '102'] as const;
const LEVELS = ['99', '99.5', '100', '100.25', '101'] as const;
const T0 = 1_700_000_000_000;

export const VENUE = 'binance';
export const SYMBOL = 'BTC-USDT';

const price = fc.constantFrom(...PRICES);
const level = fc.constantFrom(...LEVELS);

const tradeLeaf = fc.oneof(
  fc.record({
    kind: fc.constant('price' as const),
    op: fc.constantFrom('crosses', 'crossesUp', 'crossesDown', 'above', 'below'),
    value: level,
  }),
  fc
    .tuple(
      fc.constantFrom(...LEVELS),
      fc.constantFrom(...LEVELS),
      fc.constantFrom('entersRange', 'exitsRange'),
    )
    .filter(([a, b]) => Number(a) < Number(b))
    .map(([low, high, op]) => ({ kind: 'range' as const, op, low, high })),
  fc.record({
    kind: fc.constant('percentMove' as const),
    direction: fc.constantFrom('up', 'down'),
    percent: fc.constantFrom('0.25', '0.5', '1', '2.5'),
    windowMs: fc.constantFrom(1_000, 5_000, 60_000),
  }),
);

const barLeaf = fc.oneof(
  fc.record({
    kind: fc.constant('volumeSpike' as const),
    interval: fc.constant('1m' as const),
    bars: fc.integer({ min: 1, max: 3 }),
    factor: fc.constantFrom('1', '1.5', '2'),
  }),
  fc.record({
    kind: fc.constant('rsi' as const),
    interval: fc.constant('1m' as const),
    period: fc.integer({ min: 2, max: 3 }),
    op: fc.constantFrom('above', 'below', 'crossesUp', 'crossesDown'),
    value: fc.constantFrom(30, 50, 70),
  }),
  fc.record({
    kind: fc.constant('macdCross' as const),
    interval: fc.constant('1m' as const),
    fast: fc.constant(2),
    slow: fc.constant(3),
    signal: fc.integer({ min: 1, max: 2 }),
    op: fc.constantFrom('crosses', 'crossesUp', 'crossesDown'),
  }),
  fc.record({
    kind: fc.constant('bbandsCross' as const),
    interval: fc.constant('1m' as const),
    period: fc.integer({ min: 2, max: 3 }),
    stdDev: fc.constantFrom(1, 2),
    band: fc.constantFrom('upper', 'middle', 'lower'),
    op: fc.constantFrom('crosses', 'crossesUp', 'crossesDown'),
  }),
  fc.record({
    kind: fc.constant('emaCross' as const),
    interval: fc.constant('1m' as const),
    fast: fc.integer({ min: 2, max: 3 }),
    slow: fc.integer({ min: 4, max: 5 }),
    op: fc.constantFrom('crosses', 'crossesUp', 'crossesDown'),
  }),
);

const priceLeaf = tradeLeaf.filter((l) => l.kind !== 'percentMove');

function tree<T>(leaf: fc.Arbitrary<T>) {
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constantFrom('all' as const, 'any' as const),
        conditions: fc.array(leaf, { minLength: 1, maxLength: 3 }),
      }),
    },
  );
}

const tradeTrigger = fc.oneof(
  fc.constant({ mode: 'once' as const }),
  fc.record({
    mode: fc.constant('oncePerBar' as const),
    interval: fc.constantFrom('1s' as const, '1m' as const),
  }),
  fc.record({ mode: fc.constant('every' as const), cooldownMs: fc.constantFrom(1_000, 5_000) }),
);
const closeTrigger = fc.oneof(
  fc.constant({ mode: 'once' as const }),
  fc.constant({ mode: 'oncePerBarClose' as const, interval: '1m' as const }),
  fc.record({ mode: fc.constant('every' as const), cooldownMs: fc.constantFrom(60_000, 180_000) }),
);

const expiry = fc.option(
  fc.integer({ min: 0, max: 600_000 }).map((d) => T0 + d),
  { nil: null },
);

/** Every condition kind and trigger mode: intrabar alerts, bar-close price alerts and indicator alerts. */
export const ruleBody = fc.oneof(
  fc.record({ condition: tree(tradeLeaf), trigger: tradeTrigger, expiresAt: expiry }),
  fc.record({
    condition: tree(priceLeaf),
    trigger: fc.constant({ mode: 'oncePerBarClose' as const, interval: '1m' as const }),
    expiresAt: expiry,
  }),
  fc.record({
    condition: tree(fc.oneof(barLeaf, priceLeaf)).filter(
      (c) => JSON.stringify(c).match(/volumeSpike|rsi|macd|bbands|ema/) !== null,
    ),
    trigger: closeTrigger,
    expiresAt: expiry,
  }),
);

export type StreamEvent =
  | { type: 'trade'; trade: AlertTrade }
  | { type: 'candle'; candle: AlertCandle }
  | { type: 'add'; rule: AlertRuleInput };

type Step =
  | { type: 'trade'; price: string; dt: number; dup: boolean }
  | { type: 'candle'; close: string; high: string; low: string; volume: string; late: boolean }
  | { type: 'add'; body: unknown };

const CLOSES = Array.from({ length: 21 }, (_, i) => String(95 + i / 2));

const step = (tradeWeight: number, candleWeight: number): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: tradeWeight,
      arbitrary: fc.record({
        type: fc.constant('trade' as const),
        price,
        // 0: same ms as the previous trade; negative: a late trade.
        dt: fc.constantFrom(-3_000, -1, 0, 0, 250, 700, 1_000, 2_500, 20_000),
        dup: fc.boolean(),
      }),
    },
    {
      weight: candleWeight,
      arbitrary: fc.record({
        type: fc.constant('candle' as const),
        close: fc.oneof(price, fc.constantFrom(...CLOSES)),
        high: fc.constantFrom('102', '103'),
        low: fc.constantFrom('97', '98'),
        volume: fc.constantFrom('0', '1', '2.5', '3', '10'),
        late: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
      }),
    },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('add' as const), body: ruleBody }) },
  );

/**
 * A stream: some alerts added first, then trades (late ones, duplicates of the previous trade id at the
 * same ms, equal prices), closed 1m candles (some late: an open time already seen) and more alerts.
 */
export const streamArb = streamOf(12, 3, 120);
/** Mostly closed candles: enough bars for indicators to warm up and cross. */
export const barStreamArb = streamOf(2, 12, 160);

function streamOf(tradeWeight: number, candleWeight: number, maxSteps: number) {
  return fc
    .tuple(
      fc.array(ruleBody, { minLength: 1, maxLength: 8 }),
      fc.array(step(tradeWeight, candleWeight), { minLength: 1, maxLength: maxSteps }),
    )
    .map(([initial, steps]) => {
      const events: StreamEvent[] = [];
      let n = 0;
      const rule = (body: unknown): AlertRuleInput =>
        ({
          id: `a${n}`,
          tenantId: 't1',
          name: `alert ${n++}`,
          venue: VENUE,
          symbol: SYMBOL,
          ...(body as object),
        }) as AlertRuleInput;
      for (const body of initial) events.push({ type: 'add', rule: rule(body) });
      let ts = T0;
      let id = 0;
      let bar = Math.floor(T0 / 60_000) * 60_000;
      for (const s of steps) {
        if (s.type === 'add') events.push({ type: 'add', rule: rule(s.body) });
        else if (s.type === 'trade') {
          if (s.dup && id > 0 && s.dt === 0) {
            events.push({
              type: 'trade',
              trade: { venue: VENUE, symbol: SYMBOL, tradeId: String(id), price: s.price, qty: '1', ts },
            });
            continue;
          }
          // A negative step is a late trade: it does not move the stream's clock.
          if (s.dt >= 0) ts += s.dt;
          const t = s.dt < 0 ? ts + s.dt : ts;
          events.push({
            type: 'trade',
            trade: { venue: VENUE, symbol: SYMBOL, tradeId: String(++id), price: s.price, qty: '1', ts: t },
          });
        } else {
          // A late candle repeats the last open time; otherwise the next bar opens.
          if (!s.late) bar += 60_000;
          const openTime = bar - 60_000;
          events.push({
            type: 'candle',
            candle: {
              venue: VENUE,
              symbol: SYMBOL,
              interval: '1m',
              openTime,
              closeTime: openTime + 59_999,
              open: s.close,
              high: s.high,
              low: s.low,
              close: s.close,
              baseVolume: s.volume,
            },
          });
        }
      }
      return events;
    });
}
