import { AMOUNT_SCALE, divRound, formatScaled } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buyAndHoldOfMarks, runBacktest, serializeResult } from '../src/index.ts';
import { checkAction, strategyActionSchema } from '../src/intents.ts';
import { SmaCrossover } from './fixtures/drivers.ts';
import { randomCandles, spec } from './fixtures/market.ts';

/**
 * The replay path's shortcuts against what they stand for: the hand-written action check against the
 * zod schema, an array read by index against the same data through its iterator, and the buy-and-hold
 * line from per-sample doubles against the one from exact prices.
 */

const anyValue = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    true,
    false,
    0,
    -0,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    '',
    '1',
    '0.01',
    '-2.5',
    '1e3',
    '1.',
    '.5',
    ' 1',
    '0.0000000000000000001',
    'buy',
    'sell',
    'market',
    'limit',
    'stop_market',
    'stop_limit',
    'GTC',
    'IOC',
    'FOK',
    'place',
    'cancel',
    'cancelAll',
    [],
    {},
  ),
  fc.integer({ min: -3, max: 5 }),
  fc.string({ maxLength: 6 }),
);

const field = (valid: fc.Arbitrary<unknown>) => fc.oneof({ weight: 4, arbitrary: valid }, anyValue);

const placeLike = fc.record({
  kind: field(fc.constant('place')),
  handle: field(fc.nat()),
  instrument: field(fc.nat({ max: 3 })),
  side: field(fc.constantFrom('buy', 'sell')),
  type: field(fc.constantFrom('market', 'limit', 'stop_market', 'stop_limit')),
  quantity: field(fc.constantFrom('0.01', '1', '12.5')),
  price: field(fc.constantFrom(null, '50000', '49999.99')),
  stopPrice: field(fc.constantFrom(null, '51000')),
  timeInForce: field(fc.constantFrom('GTC', 'IOC', 'FOK')),
  postOnly: field(fc.boolean()),
  extra: anyValue,
});
const cancelLike = fc.record({ kind: field(fc.constant('cancel')), handle: field(fc.nat()) });
const cancelAllLike = fc.record({
  kind: field(fc.constant('cancelAll')),
  instrument: field(fc.integer({ min: -1, max: 3 })),
});
const actionLike = fc.oneof(placeLike, cancelLike, cancelAllLike, anyValue);

describe('the strategy action check', () => {
  it('accepts exactly what the schema accepts, with the same values, and refuses with its message', () => {
    fc.assert(
      fc.property(actionLike, (raw) => {
        const checked = checkAction(raw);
        const parsed = strategyActionSchema.safeParse(raw);
        if (parsed.success) {
          expect(typeof checked).toBe('object');
          // The action as the schema reads it (extra fields aside): the same values.
          expect(strategyActionSchema.parse(checked)).toEqual(parsed.data);
        } else {
          expect(checked).toBe(parsed.error.issues[0]?.message ?? '');
        }
      }),
      { numRuns: 5_000, seed: 7 },
    );
  });

  it('returns a well-formed action as it came, without copying it', () => {
    const raw = {
      kind: 'place',
      handle: 3,
      instrument: 0,
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '50000',
      stopPrice: null,
      timeInForce: 'GTC',
      postOnly: false,
    };
    expect(checkAction(raw)).toBe(raw);
    expect(checkAction({ kind: 'cancel', handle: -1 })).toBe(
      strategyActionSchema.safeParse({ kind: 'cancel', handle: -1 }).error?.issues[0]?.message,
    );
  });
});

describe('the data loop', () => {
  it('gives the same bytes for an array and for the same candles through an iterator', async () => {
    const data = randomCandles(400, 11);
    const make = () => new SmaCrossover(false);
    const fromArray = await runBacktest(spec(400), make(), data);
    const fromIterable = await runBacktest(spec(400), make(), data.values());
    expect(fromArray.metrics.orders).toBeGreaterThan(0);
    expect(serializeResult(fromArray)).toBe(serializeResult(fromIterable));
  });

  it('ends cancelled, not completed, when the abort comes while yielding after the last candle', async () => {
    const data = randomCandles(20, 3);
    const controller = new AbortController();
    const r = await runBacktest(spec(20), new SmaCrossover(false), data, {
      yieldEvery: 20,
      onProgress: (p) => {
        if (p.processed === 20) controller.abort();
      },
      progressEvery: 20,
      signal: controller.signal,
    });
    expect(r.status).toBe('cancelled');
  });
});

/** buyAndHold as it was written before the run kept doubles per sample (exact prices, one per sample). */
function reference(times: number[], prices: (bigint | null)[], startEquity: bigint) {
  const fmt = (u: bigint) => formatScaled(u, AMOUNT_SCALE);
  const p0 = prices[0] ?? null;
  if (startEquity <= 0n || p0 === null || p0 <= 0n || times.length === 0) return null;
  const e0 = Number(fmt(startEquity));
  const p0n = Number(p0);
  const curve: [number, number][] = [];
  let last = p0;
  for (let i = 0; i < times.length; i++) {
    const p = prices[i] ?? last;
    last = p;
    curve.push([times[i] as number, p === p0 ? e0 : e0 * (Number(p) / p0n)]);
  }
  return {
    venue: 'v',
    symbol: 's',
    startPrice: fmt(p0),
    endPrice: fmt(last),
    startEquity: fmt(startEquity),
    endEquity: fmt(divRound(startEquity * last, p0, 'halfEven')),
    curve,
  };
}

describe('buy and hold from per-sample doubles', () => {
  it('equals the line from exact prices, to the bit', () => {
    // Prices near 50,000 x 10^18 (beyond 2^53: distinct prices can share a double) and small ones.
    const price = fc.oneof(
      fc.bigInt({ min: 1n, max: 10n ** 24n }),
      fc.bigInt({ min: 50_000n * 10n ** 18n, max: 50_000n * 10n ** 18n + 100_000n }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.option(price, { nil: null, freq: 4 }), { minLength: 1, maxLength: 40 }),
        fc.bigInt({ min: 1n, max: 10n ** 25n }),
        (prices, equity) => {
          const times = prices.map((_, i) => 1_000 + i);
          const marks = prices.map((p) => (p === null ? Number.NaN : Number(p)));
          let last: bigint | null = null;
          for (const p of prices) if (p !== null) last = p;
          const got = buyAndHoldOfMarks(
            { venue: 'v', symbol: 's' },
            times,
            marks,
            prices[0] ?? null,
            last,
            equity,
          );
          const want = reference(times, prices, equity);
          expect(got).toEqual(want);
          // toEqual treats -0 and 0, and NaN, loosely: compare the curve's bits too.
          expect(JSON.stringify(got?.curve.map(([t, v]) => [t, Object.is(v, -0) ? '-0' : v]))).toBe(
            JSON.stringify(want?.curve.map(([t, v]) => [t, Object.is(v, -0) ? '-0' : v])),
          );
        },
      ),
      { numRuns: 500, seed: 3 },
    );
  });
});
